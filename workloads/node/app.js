// @ts-check
// The Node.js workload of the lab: the same HTTP contract as workloads/go.
// node:http only and one CommonJS file, because a Node single executable (SEA)
// and a Nanos image both take exactly one script with no node_modules.

const http = require("node:http");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const v8 = require("node:v8");

/** The paper's "100-iteration SHA-256 hashing loop". */
const HASH_ROUNDS = 100;
/** Larger POST /compute bodies get 413, so a client cannot exhaust a tight memory cap. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** What GET /compute hashes; identical in both apps. */
const BUILTIN_PAYLOAD = Buffer.from("unikernels-vs-containers:compute");
const IO_BODY = "ok\n";
/** cgroup v1 reports "no limit" as a page-rounded LONG_MAX: anything this large is unlimited. */
const UNLIMITED_FLOOR = 2 ** 50;

const startedAt = Date.now();

/**
 * Lowercase hex of h100, where h0 = payload and h(i+1) = SHA-256(h(i)) over raw digest bytes.
 * @param {Buffer} payload
 */
function chainedSha256(payload) {
  let digest = payload;
  for (let i = 0; i < HASH_ROUNDS; i++) {
    digest = crypto.createHash("sha256").update(digest).digest();
  }
  return digest.toString("hex");
}

/** @param {string} path */
function readTrimmed(path) {
  try {
    return fs.readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * The folders of this process's own cgroups, from /proc/self/cgroup: inside a container that is
 * "/" (cgroup namespace), natively it is wherever the lab put the process.
 * @returns {{ v2: string | undefined, v1: Record<string, string> }}
 */
function ownCgroups() {
  /** @type {Record<string, string>} */
  const v1 = {};
  let v2;
  for (const line of (readTrimmed("/proc/self/cgroup") ?? "").split("\n")) {
    const [id, controllers, path] = line.split(":", 3);
    if (path === undefined) continue;
    if (id === "0" && controllers === "") v2 = path;
    for (const controller of (controllers ?? "").split(",")) if (controller) v1[controller] = path;
  }
  return { v2, v1 };
}

/** @param {string} root @param {string | undefined} own @param {string} file */
function cgroupFile(root, own, file) {
  const nested = own && own !== "/" ? readTrimmed(`${root}${own}/${file}`) : undefined;
  return nested ?? readTrimmed(`${root}/${file}`);
}

/** @returns {{ cgroupVersion: number | null, cgroupLimitBytes: number | null }} */
function cgroupMemoryLimit() {
  const own = ownCgroups();
  if (readTrimmed("/sys/fs/cgroup/cgroup.controllers") !== undefined) {
    const v2 = cgroupFile("/sys/fs/cgroup", own.v2, "memory.max");
    const n = Number(v2);
    return { cgroupVersion: 2, cgroupLimitBytes: v2 !== undefined && v2 !== "max" && Number.isFinite(n) ? n : null };
  }
  const v1 = cgroupFile("/sys/fs/cgroup/memory", own.v1.memory, "memory.limit_in_bytes");
  if (v1 !== undefined) {
    const n = Number(v1);
    return { cgroupVersion: 1, cgroupLimitBytes: Number.isFinite(n) && n < UNLIMITED_FLOOR ? n : null };
  }
  return { cgroupVersion: null, cgroupLimitBytes: null };
}

/** @returns {number | null} CPUs granted by a CFS quota, or null when there is none. */
function cgroupCpuQuota() {
  /** @param {string} num @param {string} den */
  const ratio = (num, den) => {
    const n = Number(num);
    const d = Number(den);
    return Number.isFinite(n) && Number.isFinite(d) && d > 0 ? n / d : null;
  };
  const own = ownCgroups();
  if (readTrimmed("/sys/fs/cgroup/cgroup.controllers") !== undefined) {
    const [quota, period] = (cgroupFile("/sys/fs/cgroup", own.v2, "cpu.max") ?? "max").split(/\s+/);
    return quota !== "max" && quota !== undefined && period !== undefined ? ratio(quota, period) : null;
  }
  const cpuPath = own.v1.cpu ?? own.v1.cpuacct;
  const quota = cgroupFile("/sys/fs/cgroup/cpu", cpuPath, "cpu.cfs_quota_us");
  const period = cgroupFile("/sys/fs/cgroup/cpu", cpuPath, "cpu.cfs_period_us");
  if (quota !== undefined && period !== undefined && !quota.startsWith("-")) return ratio(quota, period);
  return null;
}

function collectInfo() {
  return {
    runtime: "node",
    version: process.version,
    pid: process.pid,
    uptimeMs: Date.now() - startedAt,
    // availableParallelism honours the CPU affinity mask, as Go's NumCPU does.
    cpu: { seen: os.availableParallelism(), cgroupQuotaCpus: cgroupCpuQuota() },
    gomaxprocs: null,
    v8HeapLimitBytes: v8.getHeapStatistics().heap_size_limit,
    memory: { totalBytes: os.totalmem(), ...cgroupMemoryLimit() },
  };
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {string} body
 * @param {Record<string, string>} [headers]
 */
function send(res, status, body, headers = {}) {
  const contentType = headers["Content-Type"] ?? "text/plain; charset=utf-8";
  res.writeHead(status, { ...headers, "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** @param {http.ServerResponse} res @param {string} allow */
function methodNotAllowed(res, allow) {
  send(res, 405, "method not allowed\n", { Allow: allow });
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function tooLarge(req, res) {
  send(res, 413, "body too large\n", { Connection: "close" });
  // Stop reading the rest of the upload; the connection closes after the reply.
  req.unpipe();
  req.resume();
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function handleComputePost(req, res) {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    tooLarge(req, res);
    return;
  }
  /** @type {Buffer[]} */
  const chunks = [];
  let received = 0;
  let rejected = false;
  req.on("data", (/** @type {Buffer} */ chunk) => {
    if (rejected) return;
    received += chunk.length;
    if (received > MAX_BODY_BYTES) {
      rejected = true;
      chunks.length = 0;
      tooLarge(req, res);
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (!rejected) send(res, 200, `${chainedSha256(Buffer.concat(chunks, received))}\n`);
  });
}

/** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
function route(req, res) {
  // A client that aborts mid-request must not take the process down.
  req.on("error", () => res.destroy());
  const path = (req.url ?? "/").split("?", 1)[0];
  switch (path) {
    case "/io":
      if (req.method !== "GET") return methodNotAllowed(res, "GET");
      return send(res, 200, IO_BODY);
    case "/compute":
      if (req.method === "GET") return send(res, 200, `${chainedSha256(BUILTIN_PAYLOAD)}\n`);
      if (req.method === "POST") return handleComputePost(req, res);
      return methodNotAllowed(res, "GET, POST");
    case "/info":
      if (req.method !== "GET") return methodNotAllowed(res, "GET");
      return send(res, 200, JSON.stringify(collectInfo()), { "Content-Type": "application/json" });
    default:
      return send(res, 404, "not found\n");
  }
}

function listenPort() {
  const raw = process.env.PORT;
  if (raw === undefined || raw === "") return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write(`PORT=${JSON.stringify(raw)} is not allowed: use an integer from 1 to 65535\n`);
    process.exit(2);
  }
  return port;
}

function main() {
  const port = listenPort();
  const server = http.createServer(route);
  server.on("clientError", (_err, socket) => socket.destroy());
  const stop = () => {
    // A benchmark stop must not wait for keep-alive clients to go away.
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  server.listen(port, "0.0.0.0", () => {
    const ready = { event: "ready", runtime: "node", version: process.version, port, time: new Date().toISOString() };
    process.stdout.write(`${JSON.stringify(ready)}\n`);
  });
}

main();
