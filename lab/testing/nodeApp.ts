import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { repoRoot } from "../../core/paths";
import { freePort } from "../ports";
import { waitForReady } from "../ready";

export interface RunningApp {
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The Node app on this machine's Node, started directly rather than through lab/platforms: for
 * tests of the load generators, which need a real target and do not exercise the platforms.
 */
export async function startNodeApp(): Promise<RunningApp> {
  const port = await freePort();
  const launchedAt = performance.now();
  const child = spawn(process.execPath, [join(repoRoot, "workloads/node/app.js")], {
    env: { ...process.env, PORT: String(port) },
    stdio: "ignore",
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForReady(`${baseUrl}/io`, launchedAt, { isAlive: () => child.exitCode === null });
  return {
    baseUrl,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}
