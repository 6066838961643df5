/**
 * The responder a generator's ceiling is measured against (lab/load/responder/main.go): an HTTP
 * server that only finds each request's end and answers a fixed 200, so it is never the
 * bottleneck. Why not the lab's Go app: on one core it answers wrk at about 27k req/s while using
 * 0.87 of its core and leaving wrk at 0.64 (issue 9's table) - it would measure itself, and a Go
 * cell at that rate would be flagged against its own speed. The responder costs a fraction of that
 * per request, runs on the cores the apps get in the cells (the generator keeps its own), and may
 * use all of them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../core/exec";
import { buildDir, repoRoot } from "../../core/paths";
import { findGoToolchain } from "../../workloads/artifacts/goToolchain";
import { freePort } from "../ports";
import { waitForReady } from "../ready";

const sourceDir = join(repoRoot, "lab", "load", "responder");

/** Build the responder once per checkout (a second call reuses the binary). */
export async function buildResponder(): Promise<string> {
  const outDir = join(buildDir, "load");
  const path = join(outDir, "responder");
  if (existsSync(path)) return path;
  const toolchain = await findGoToolchain();
  mkdirSync(outDir, { recursive: true });
  await run(toolchain.command, ["build", "-trimpath", "-o", path, "."], {
    cwd: sourceDir,
    env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
    timeoutMs: 300_000,
  });
  return path;
}

export interface Responder {
  baseUrl: string;
  stop(): Promise<void>;
}

/** Start the responder on `cpuList` (taskset) with GOMAXPROCS = its cores; stop() ends it. */
export async function startResponder(cpuList: string, cores: number, host = "127.0.0.1"): Promise<Responder> {
  const binary = await buildResponder();
  const port = await freePort();
  const child: ChildProcess = spawn("taskset", ["-c", cpuList, binary], {
    env: { ...process.env, PORT: String(port), HOST: host, GOMAXPROCS: String(Math.max(1, cores)) },
    stdio: "ignore",
  });
  const baseUrl = `http://${host}:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  };
  try {
    await waitForReady(`${baseUrl}/io`, performance.now(), {
      timeoutMs: 10_000,
      isAlive: () => child.exitCode === null,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}
