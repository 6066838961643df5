import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { type InstanceExit, type LaunchedInstance, OutputBuffer } from "./instance";

export interface NativeLaunch {
  command: string;
  args?: string[];
  hostPort: number;
  env?: Record<string, string>;
}

function waitForExit(child: ChildProcess): Promise<InstanceExit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ exitCode: child.exitCode, signal: child.signalCode, oomKilled: false });
  }
  return once(child, "exit").then(([code, signal]) => ({
    exitCode: code as number | null,
    signal: signal as string | null,
    oomKilled: false,
  }));
}

/** The app as a plain process on this machine. */
export function launchNative(spec: NativeLaunch): LaunchedInstance {
  const output = new OutputBuffer();
  const launchedAt = performance.now();
  const child = spawn(spec.command, spec.args ?? [], {
    env: { ...process.env, ...spec.env, PORT: String(spec.hostPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => output.append(c));
  child.stderr?.on("data", (c) => output.append(c));
  child.on("error", (e) => output.append(`spawn error: ${e.message}\n`));
  const exited = waitForExit(child);
  return {
    baseUrl: `http://127.0.0.1:${spec.hostPort}`,
    launchedAt,
    started: Promise.resolve(),
    isAlive: () => child.exitCode === null && child.signalCode === null,
    output: () => output.toString(),
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
