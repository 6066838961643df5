import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandError, run } from "../../core/exec";
import { plainText } from "../../core/text";
import { LAUNCH_STAMP_FILE, readLaunchStamp } from "../clock";
import type { InstanceContext, InstanceExitRecord, InstanceScripts, Platform } from "./types";

export type InstanceExit = InstanceExitRecord;

/** A running app on some platform, reachable over HTTP. */
export interface LaunchedInstance {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** performance.now() taken just before the start script was spawned. */
  launchedAt: number;
  /** When the start script stamped its launch command (performance clock), once it has. */
  launchStamp(): number | undefined;
  /**
   * Resolves once the launch command returned (for Docker, `docker run -d` is back, so the
   * container's network exists and probing cannot disturb it); rejects when the launch failed.
   */
  started: Promise<void>;
  /** The platform's own words when its launch command failed (what the start script printed), once it has. */
  launchError(): string | undefined;
  /** Whether time-to-ready probing may begin before `started` resolves (see Platform). */
  probeDuringStart: boolean;
  /** The host process that is the instance (app, container init or qemu), once known. */
  pid(): number | undefined;
  isAlive(): boolean;
  /** What the app printed; for Docker and Nanos complete only after stop(). */
  output(): string;
  /** Stop it (SIGTERM or the platform's equivalent), wait, remove it, and say how it ended. */
  stop(): Promise<InstanceExit>;
  /** Remove it by force (interrupted runs); never throws. */
  cleanup(): Promise<void>;
}

export const SCRIPT_NAMES = {
  prepare: "prepare.sh",
  start: "start.sh",
  stop: "stop.sh",
  cleanup: "cleanup.sh",
} as const satisfies Record<keyof InstanceScripts, string>;

/** Write a platform's scripts for one instance into its folder; returns their paths. */
export function writeInstanceScripts(scripts: InstanceScripts, workDir: string): Record<keyof InstanceScripts, string> {
  mkdirSync(workDir, { recursive: true });
  const keys = Object.keys(SCRIPT_NAMES) as (keyof InstanceScripts)[];
  const paths = Object.fromEntries(keys.map((key) => [key, join(workDir, SCRIPT_NAMES[key])])) as Record<
    keyof InstanceScripts,
    string
  >;
  for (const key of keys) {
    writeFileSync(paths[key], scripts[key]);
    chmodSync(paths[key], 0o755);
  }
  return paths;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); its state letter in /proc says it is gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Launch through the platform's generated scripts: the same text the Pulumi program runs on a
 * remote SUT, here run with bash on this machine. `prepare` runs first, off the clock; the TTR
 * clock starts just before `start` is issued.
 */
export async function launchInstance(platform: Platform, ctx: InstanceContext): Promise<LaunchedInstance> {
  const paths = writeInstanceScripts(platform.scripts(ctx), ctx.workDir);
  await run("bash", [paths.prepare], { timeoutMs: 120_000 });
  const host = ctx.bindAddress === "0.0.0.0" ? "127.0.0.1" : ctx.bindAddress;
  // A guest on a bridge is reached on its own address, which prepare leased and wrote here.
  const endpointFile = join(ctx.workDir, "endpoint");
  const endpoint = existsSync(endpointFile) ? readFileSync(endpointFile, "utf8").trim() : `${host}:${ctx.hostPort}`;
  let pid: number | undefined;
  rmSync(join(ctx.workDir, LAUNCH_STAMP_FILE), { force: true });
  const launchedAt = performance.now();
  const started = run("bash", [paths.start], { timeoutMs: 180_000 }).then(() => {
    const raw = readFileSync(join(ctx.workDir, "instance.pid"), "utf8").trim();
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed <= 0)
      throw new Error(`${platform.name}: instance.pid holds ${JSON.stringify(raw)}`);
    pid = parsed;
  });
  let launchError: string | undefined;
  started.catch((error: unknown) => {
    // The start script's own output says what the platform refused; the command line adds nothing.
    // Plain text: the script may quote qemu or a guest console, escape sequences and all.
    launchError = plainText(error instanceof CommandError ? error.stderr.trim() || error.message : String(error));
  });
  return {
    baseUrl: `http://${endpoint}`,
    launchedAt,
    launchError: () => launchError,
    launchStamp: () => readLaunchStamp(join(ctx.workDir, LAUNCH_STAMP_FILE)),
    started,
    probeDuringStart: platform.probeDuringStart,
    pid: () => pid,
    isAlive: () => pid === undefined || processAlive(pid),
    output: () => {
      const log = join(ctx.workDir, "app.log");
      return existsSync(log) ? readFileSync(log, "utf8") : "";
    },
    async stop() {
      await started.catch(() => undefined);
      await run("bash", [paths.stop], { timeoutMs: 120_000 });
      return JSON.parse(readFileSync(join(ctx.workDir, "exit.json"), "utf8")) as InstanceExit;
    },
    async cleanup() {
      await run("bash", [paths.cleanup], { timeoutMs: 60_000 }).catch(() => undefined);
    },
  };
}
