import http from "node:http";
import net from "node:net";
import type { Runtime, Workload } from "../core/model";
import { BUILTIN_PAYLOAD, getWorkload, IO_BODY, workloadNames } from "./endpoints";
import { referenceDigest } from "./reference";
import { getRuntime } from "./runtimes/registry";

/** Must match the apps' MAX_BODY_BYTES / maxBodyBytes. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Deterministic pseudo-random bytes, so golden payloads are the same everywhere. */
export function patternBytes(length: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** The golden payloads: empty, short, and 1 MiB. */
export const GOLDEN_PAYLOADS: ReadonlyArray<{ name: string; body: Buffer }> = [
  { name: "empty", body: Buffer.alloc(0) },
  { name: "short", body: Buffer.from("abc") },
  { name: "utf8", body: Buffer.from("edge ⚡ latency") },
  { name: "1MiB", body: patternBytes(1024 * 1024) },
];

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How a request body is sent. */
export type BodyMode =
  | { kind: "none" }
  | { kind: "sized"; body: Buffer }
  | { kind: "chunked"; body: Buffer }
  /** Headers that announce `length` bytes, and no body: a server must refuse from the header alone. */
  | { kind: "declared"; length: number };

/** One request on a fresh connection. */
export function request(baseUrl: string, method: string, path: string, body?: Buffer | BodyMode): Promise<HttpReply> {
  const mode: BodyMode = body === undefined ? { kind: "none" } : Buffer.isBuffer(body) ? { kind: "sized", body } : body;
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, { method, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
        req.destroy();
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on("error", reject);
    switch (mode.kind) {
      case "none":
        req.end();
        break;
      case "sized":
        req.setHeader("Content-Length", mode.body.length);
        req.end(mode.body);
        break;
      case "chunked":
        req.setHeader("Transfer-Encoding", "chunked");
        req.end(mode.body);
        break;
      case "declared":
        // Sending the body would race the server's early 413 and end in EPIPE: send none.
        req.setHeader("Content-Length", mode.length);
        req.flushHeaders();
        break;
    }
  });
}

/** Bytes that are not HTTP at all, on a raw socket: the app must survive them. */
export function sendGarbage(baseUrl: string): Promise<void> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.end(Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0x47, 0x45]));
    });
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.setTimeout(2_000, () => socket.destroy());
    socket.resume();
  });
}

export interface AppInfo {
  runtime: Runtime;
  version: string;
  pid: number;
  uptimeMs: number;
  cpu: { seen: number; cgroupQuotaCpus: number | null };
  gomaxprocs: number | null;
  v8HeapLimitBytes: number | null;
  memory: { totalBytes: number; cgroupVersion: 1 | 2 | null; cgroupLimitBytes: number | null };
}

function infoProblems(info: AppInfo, runtime: Runtime): string[] {
  const problems: string[] = [];
  if (info.runtime !== runtime) problems.push(`/info runtime is ${info.runtime}, expected ${runtime}`);
  if (typeof info.version !== "string" || info.version === "") problems.push("/info has no version");
  if (!(info.cpu?.seen >= 1)) problems.push(`/info cpu.seen = ${info.cpu?.seen}`);
  if (!(info.memory?.totalBytes > 0)) problems.push(`/info memory.totalBytes = ${info.memory?.totalBytes}`);
  problems.push(...getRuntime(runtime).infoProblems(info));
  return problems;
}

/**
 * The light check run before every load: the workloads (every registered one unless given) answer
 * as they must and /info parses. Unlike verifyContract it sends no large bodies, which could
 * themselves exhaust a 16 MB instance and turn the cell's outcome into an artefact of the check.
 */
export async function quickVerify(
  baseUrl: string,
  runtime: Runtime,
  workloads: readonly Workload[] = workloadNames(),
): Promise<ContractReport> {
  const problems: string[] = [];
  for (const workload of workloads) {
    const problem = getWorkload(workload).check(await request(baseUrl, "GET", `/${workload}`));
    if (problem !== null) problems.push(`GET /${workload}: ${problem}`);
  }
  const infoReply = await request(baseUrl, "GET", "/info");
  let info: AppInfo | undefined;
  try {
    info = JSON.parse(infoReply.body) as AppInfo;
    problems.push(...infoProblems(info, runtime));
  } catch {
    problems.push(`GET /info: status ${infoReply.status}, not JSON`);
  }
  return { problems, info };
}

export interface ContractReport {
  problems: string[];
  info: AppInfo | undefined;
}

/**
 * Every rule of the apps' HTTP contract, checked against a running instance. The lab runs this
 * before it loads an instance (a wrong app must not be benchmarked) and the tests assert it.
 */
export async function verifyContract(baseUrl: string, runtime: Runtime): Promise<ContractReport> {
  const problems: string[] = [];
  const expect = (what: string, reply: HttpReply, status: number, body?: string) => {
    if (reply.status !== status) problems.push(`${what}: status ${reply.status}, expected ${status}`);
    else if (body !== undefined && reply.body !== body) {
      problems.push(`${what}: body ${JSON.stringify(reply.body.slice(0, 80))}, expected ${JSON.stringify(body)}`);
    }
  };

  expect("GET /io", await request(baseUrl, "GET", "/io"), 200, IO_BODY);
  expect("GET /compute", await request(baseUrl, "GET", "/compute"), 200, `${referenceDigest(BUILTIN_PAYLOAD)}\n`);
  for (const payload of GOLDEN_PAYLOADS) {
    const reply = await request(baseUrl, "POST", "/compute", payload.body);
    expect(`POST /compute (${payload.name})`, reply, 200, `${referenceDigest(payload.body)}\n`);
  }
  const declared = await request(baseUrl, "POST", "/compute", { kind: "declared", length: MAX_BODY_BYTES + 1 });
  expect("POST /compute (Content-Length over the limit)", declared, 413);
  const streamed = await request(baseUrl, "POST", "/compute", {
    kind: "chunked",
    body: Buffer.alloc(MAX_BODY_BYTES + 1),
  });
  expect("POST /compute (chunked body over the limit)", streamed, 413);
  expect("PUT /io", await request(baseUrl, "PUT", "/io"), 405);
  expect("DELETE /compute", await request(baseUrl, "DELETE", "/compute"), 405);
  expect("POST /info", await request(baseUrl, "POST", "/info"), 405);
  expect("GET /nope", await request(baseUrl, "GET", "/nope"), 404);
  await sendGarbage(baseUrl);
  expect("GET /io after garbage", await request(baseUrl, "GET", "/io"), 200, IO_BODY);

  const infoReply = await request(baseUrl, "GET", "/info");
  let info: AppInfo | undefined;
  if (infoReply.status !== 200) problems.push(`GET /info: status ${infoReply.status}`);
  else {
    try {
      info = JSON.parse(infoReply.body) as AppInfo;
      problems.push(...infoProblems(info, runtime));
    } catch {
      problems.push(`GET /info: not JSON: ${infoReply.body.slice(0, 80)}`);
    }
  }
  return { problems, info };
}
