/**
 * One load run with whichever generator this machine has: k6 when `k6 version` works, else the
 * autocannon fallback. Both run as a child process so the generator's own CPU use can be read
 * from /proc (Linux) and a cell where the generator, not the app, was the bottleneck is flagged.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { run } from "../exec";
import { repoRoot } from "../paths";
import { k6Argv, parseK6Version, readK6Summary, validateLoadSpec } from "./k6";
import {
  GENERATOR_BOUND_FRACTION,
  type GeneratorCpu,
  type GeneratorName,
  type LoadRun,
  type LoadSpec,
  type LoadSummary,
} from "./types";

export const SUMMARY_FILE = "load-summary.json";
export const LOG_FILE = "load.log";
const SAMPLE_MS = 250;
const KILL_GRACE_MS = 2_000;

export interface RunLoadOptions {
  signal?: AbortSignal;
  /** 'autocannon' forces the fallback; otherwise k6 is used when it is installed. */
  prefer?: GeneratorName;
  /** The k6 command (default "k6" on PATH). */
  k6Binary?: string;
  /** Called with the generator's pid once it is started (tests check it is gone after an abort). */
  onSpawn?: (pid: number) => void;
}

let clockTicks: Promise<number> | undefined;

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times; asked once. */
function clkTck(): Promise<number> {
  clockTicks ??= run("getconf", ["CLK_TCK"], { timeoutMs: 5_000 })
    .then(({ stdout }) => Number(stdout.trim()))
    .then((n) => (Number.isInteger(n) && n > 0 ? n : 100))
    .catch(() => 100);
  return clockTicks;
}

/** utime + stime of a live process in ticks, or null once it is gone (or off Linux). */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may hold spaces and parentheses: count fields from the last ')'. The text
    // after it starts at field 3, so utime (14) and stime (15) are its 12th and 13th words.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

interface Command {
  generator: GeneratorName;
  command: string;
  args: string[];
}

/** k6 if it answers `k6 version` (and the caller did not ask for the fallback), else autocannon. */
async function chooseCommand(spec: LoadSpec, summaryPath: string, opts: RunLoadOptions): Promise<Command> {
  const k6 = opts.k6Binary ?? "k6";
  if (opts.prefer !== "autocannon") {
    const version = await run(k6, ["version"], { timeoutMs: 10_000 }).then(
      ({ stdout }) => ({ text: parseK6Version(stdout) }),
      () => null,
    );
    if (version) {
      const scriptPath = join(repoRoot, "k6", "load.js");
      return { generator: "k6", command: k6, args: k6Argv(spec, { scriptPath, summaryPath, k6Version: version.text }) };
    }
  }
  // The fallback CLI runs on this Node with tsx's loader, given by absolute URL so cwd does not matter.
  const args = [
    "--import",
    pathToFileURL(require.resolve("tsx")).href,
    join(repoRoot, "lab", "load", "fallbackCli.ts"),
    ...["--url", spec.baseUrl, "--workload", spec.workload, "--executor", spec.executor],
    ...["--vus", String(spec.vus), "--warmup", String(spec.warmupS), "--duration", String(spec.durationS)],
    ...["--timeout", String(spec.requestTimeoutS), "--summary", summaryPath],
  ];
  if (spec.executor === "constant-arrival-rate") args.push("--rate", String(spec.rate));
  return { generator: "autocannon", command: process.execPath, args };
}

function logTail(logPath: string, lines = 20): string {
  try {
    return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no load.log)";
  }
}

/**
 * Run the generator for spec and read its summary. Output goes to outDir: load-summary.json and
 * load.log (the generator's stdout and stderr).
 *
 * generatorCpu covers the child's whole life (start-up and warm-up included) up to its last
 * /proc sample, so cores is an average over the run, close to the measured phase's for runs of
 * more than a few seconds; the last <= 250 ms before exit are not seen.
 */
export async function runLoad(spec: LoadSpec, outDir: string, opts: RunLoadOptions = {}): Promise<LoadRun> {
  validateLoadSpec(spec);
  opts.signal?.throwIfAborted();
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const summaryPath = join(dir, SUMMARY_FILE);
  const logPath = join(dir, LOG_FILE);
  // A summary left by an earlier run must never pass for this one's.
  rmSync(summaryPath, { force: true });
  const [{ generator, command, args }, ticksPerSecond] = await Promise.all([
    chooseCommand(spec, summaryPath, opts),
    clkTck(),
  ]);
  opts.signal?.throwIfAborted();

  const logFd = openSync(logPath, "w");
  const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", logFd, logFd] });
  closeSync(logFd); // the child holds its own copy
  const spawnedAt = performance.now();
  let last = { ticks: 0, at: spawnedAt };
  const sample = () => {
    if (child.pid === undefined) return;
    const ticks = cpuTicks(child.pid);
    if (ticks !== null) last = { ticks, at: performance.now() };
  };
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);

  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    child.kill("SIGTERM");
    killTimer = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await new Promise((resolveExit, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => resolveExit({ code, signal }));
    });
  } catch (error) {
    throw new Error(`${generator}: could not start ${command}: ${(error as Error).message}`);
  } finally {
    clearInterval(sampler);
    clearTimeout(killTimer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  // Rejected only now, so an aborted run never leaves its generator behind.
  opts.signal?.throwIfAborted();

  const failure = (what: string) =>
    new Error(
      `${generator} ${what} (exit ${exit.code ?? `signal ${exit.signal}`}); end of ${logPath}:\n${logTail(logPath)}`,
    );
  if (exit.code !== 0) throw failure("failed");
  if (!existsSync(summaryPath)) throw failure(`wrote no ${SUMMARY_FILE}`);
  let summary: LoadSummary;
  try {
    summary = readK6Summary(summaryPath);
  } catch (error) {
    throw failure(`wrote an invalid summary: ${(error as Error).message}`);
  }

  const wallSeconds = (last.at - spawnedAt) / 1000;
  const cpuSeconds = last.ticks / ticksPerSecond;
  const generatorCpu: GeneratorCpu = {
    cpuSeconds,
    wallSeconds,
    cores: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0,
    // k6 spreads VUs over every core; autocannon (without workers) has one event loop.
    coresAvailable: generator === "k6" ? os.availableParallelism() : 1,
  };
  return {
    summary,
    generatorCpu,
    generatorBound: generatorCpu.cores / generatorCpu.coresAvailable > GENERATOR_BOUND_FRACTION,
    rawFiles: [SUMMARY_FILE, LOG_FILE],
  };
}
