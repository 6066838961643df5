/**
 * One load run on this machine with any generator of the registry. The generator runs as a child
 * process, pinned to the cores it was given, so its own CPU use can be read from /proc (Linux) and
 * a cell where the generator, not the app, was the bottleneck is flagged. A warm-up the generator
 * cannot do inside its measured run (wrk) is a separate run before it whose figures are not read.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { run } from "../../core/exec";
import type { GeneratorName, LoadRun, LoadSpec, LoadSummary } from "../../core/load/types";
import { repoRoot } from "../../core/paths";
import { type Shell, sh, shellComment, shellLines } from "../../core/shell";
import { accountCpu, coresBesideApp, type GeneratorCores, pinnedArgv } from "./cores";
import { validateLoadSpec } from "./k6";
import { FilteredLog } from "./logSink";
import type { CommandTarget, LoadGenerator } from "./plugin";
import { generatorRegistry } from "./registry";

export const SUMMARY_FILE = "load-summary.json";
export const LOG_FILE = "load.log";
/** The exact commands of the run, replayable from the repository root: `bash load-command.sh`. */
export const COMMAND_FILE = "load-command.sh";
/** The generator's own summary file, where it differs from the lab's (wrk's raw figures). */
export const GENERATOR_SUMMARY_FILE = "generator-summary.json";
const SAMPLE_MS = 250;
const KILL_GRACE_MS = 2_000;

export interface RunLoadOptions {
  signal?: AbortSignal;
  /** The generator (default k6). */
  generator?: GeneratorName;
  /** Its program, when not the one on PATH (tests use stand-ins). */
  binary?: string;
  /** The cores it runs on (default: those beside a 1-CPU app). */
  cores?: GeneratorCores;
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

/** The generator's version, or null when it does not answer like itself (not installed). */
export async function probeVersion(generator: LoadGenerator, binary?: string): Promise<string | null> {
  const [command, ...args] = generator.versionCommand(binary);
  if (command === undefined) return null;
  // Some exit non-zero after printing it (`wrk -v` exits 1): read whatever was printed.
  const printed = await run(command, args, { timeoutMs: 10_000 }).then(
    ({ stdout, stderr }) => `${stdout}\n${stderr}`,
    (error: unknown) => (error instanceof Error && "stderr" in error ? String(error.stderr) : ""),
  );
  return generator.parseVersion(printed);
}

/** How this machine starts a TypeScript file: this Node with tsx's loader, by absolute URL so cwd does not matter. */
export const LOCAL_TS_NODE = [process.execPath, "--import", pathToFileURL(require.resolve("tsx")).href];

/** One command line per run, each word quoted: for scripts that run them. */
export function commandLines(argvs: readonly (readonly string[])[]): Shell {
  return shellLines(argvs.map((argv) => sh`${argv}`));
}

/** The same as text, for load-command.sh and the cell's record. */
export function commandText(argvs: readonly (readonly string[])[]): string {
  return commandLines(argvs).text;
}

/** load-command.sh: the cell's load as a script; `about` says whose commands and where they run. */
export function commandScript(about: string, argvs: readonly (readonly string[])[]): string {
  return sh`#!/usr/bin/env bash
${shellComment(about)}
set -euo pipefail
${commandLines(argvs)}
`.text;
}

function logTail(logPath: string, lines = 20): string {
  try {
    return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no load.log)";
  }
}

interface ChildRun {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  cpuTicks: number;
  wallSeconds: number;
}

/** Run argv with its output through the log, sampling its CPU; the signal kills it. */
async function runChild(argv: readonly string[], log: FilteredLog, opts: RunLoadOptions): Promise<ChildRun> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error("empty generator command");
  const child: ChildProcess = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (chunk: Buffer) => log.write(chunk));
  child.stderr?.on("data", (chunk: Buffer) => log.write(chunk));
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
  try {
    const exit = await new Promise<ChildRun["exit"]>((resolveExit, reject) => {
      child.once("error", reject);
      // "close", not "exit": the output pipes are drained into the log by then.
      child.once("close", (code, signal) => resolveExit({ code, signal }));
    });
    return { exit, cpuTicks: last.ticks, wallSeconds: (last.at - spawnedAt) / 1000 };
  } catch (error) {
    throw new Error(`could not start ${command}: ${(error as Error).message}`);
  } finally {
    clearInterval(sampler);
    clearTimeout(killTimer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Run the generator for spec and read its summary. Output goes to outDir: load-summary.json (the
 * lab's LoadSummary), load.log (the generator's stdout and stderr, per-request lines counted, not
 * kept) and load-command.sh (the exact commands).
 *
 * generatorCpu covers the measured run's whole life (start-up included, the separate warm-up not)
 * up to its last /proc sample, so cores is an average close to the measured phase's for runs of
 * more than a few seconds; the last <= 250 ms before exit are not seen.
 */
export async function runLoad(spec: LoadSpec, outDir: string, opts: RunLoadOptions = {}): Promise<LoadRun> {
  validateLoadSpec(spec);
  opts.signal?.throwIfAborted();
  const generator = generatorRegistry[opts.generator ?? "k6"];
  const cores = opts.cores ?? coresBesideApp(1);
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const summaryPath = join(dir, SUMMARY_FILE);
  const ownSummaryPath = join(dir, GENERATOR_SUMMARY_FILE);
  const logPath = join(dir, LOG_FILE);
  // A summary left by an earlier run must never pass for this one's.
  rmSync(summaryPath, { force: true });
  rmSync(ownSummaryPath, { force: true });
  const [version, ticksPerSecond] = await Promise.all([probeVersion(generator, opts.binary), clkTck()]);
  opts.signal?.throwIfAborted();
  if (version === null) {
    throw new Error(
      `${generator.name} is not installed here (${opts.binary ?? "on PATH"}): ${generator.install.howTo}`,
    );
  }
  const target: CommandTarget = {
    labDir: repoRoot,
    summaryPath: ownSummaryPath,
    version,
    cores: cores.count,
    tsNode: LOCAL_TS_NODE,
    ...(opts.binary ? { binary: opts.binary } : {}),
  };
  const commands = generator.commands(spec, target);
  const warmup = commands.warmup ? pinnedArgv(cores, commands.warmup) : null;
  const measure = pinnedArgv(cores, commands.measure);
  const argvs = warmup ? [warmup, measure] : [measure];
  const commandLine = commandText(argvs);
  writeFileSync(
    join(dir, COMMAND_FILE),
    commandScript(
      `${generator.name} ${version}: this cell's load, as the lab ran it (from the repository root).`,
      argvs,
    ),
  );

  const log = new FilteredLog(logPath, generator.perRequestLogLine);
  let measured: ChildRun;
  let suppressedLogLines: number;
  try {
    if (warmup) {
      log.write("[lab] warm-up run (not counted)\n");
      await runChild(warmup, log, opts);
      opts.signal?.throwIfAborted();
      log.write("[lab] measured run\n");
    }
    measured = await runChild(measure, log, opts);
  } catch (error) {
    throw new Error(`${generator.name}: ${(error as Error).message}`);
  } finally {
    suppressedLogLines = log.close();
  }
  // Rejected only now, so an aborted run never leaves its generator behind.
  opts.signal?.throwIfAborted();

  const { exit } = measured;
  const failure = (what: string) =>
    new Error(
      `${generator.name} ${what} (exit ${exit.code ?? `signal ${exit.signal}`}); end of ${logPath}:\n${logTail(logPath)}`,
    );
  const summaryText = existsSync(ownSummaryPath) ? readFileSync(ownSummaryPath, "utf8") : null;
  let summary: LoadSummary;
  try {
    summary = generator.parseOutput({ summaryText, log: readFileSync(logPath, "utf8") }, spec, version);
  } catch (error) {
    if (exit.code !== 0) throw failure("failed");
    if (summaryText === null) throw failure(`wrote no ${SUMMARY_FILE}`);
    throw failure(`wrote an invalid summary: ${(error as Error).message}`);
  }
  writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);

  const cpu = accountCpu(
    measured.cpuTicks / ticksPerSecond,
    measured.wallSeconds,
    generator.usableCores(cores.count, spec),
  );
  const { bound, ...generatorCpu } = cpu;
  const rawFiles = [SUMMARY_FILE, LOG_FILE, COMMAND_FILE];
  if (summaryText !== null) rawFiles.splice(1, 0, GENERATOR_SUMMARY_FILE);
  return { summary, generatorCpu, generatorBound: bound, rawFiles, commandLine, suppressedLogLines };
}
