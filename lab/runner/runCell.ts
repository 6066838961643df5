import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { max, median, min } from "simple-statistics";
import { CommandError, run } from "../../core/exec";
import type { SweepGenerators } from "../../core/load/record";
import type { LoadSpec } from "../../core/load/types";
import type { Cell } from "../../core/matrix";
import type { CellResult, CellStatus } from "../../core/results/schema";
import { RESULTS_SCHEMA_VERSION } from "../../core/results/schema";
import { lastLinesExcerpt, oneLine } from "../../core/text";
import { type AppInfo, quickVerify } from "../../workloads/contract";
import type { RemoteLoadHost } from "../load/remote";
import { type CellLoadOutput, runCellLoad } from "../load/sweep";
import { instanceContext } from "../platforms/context";
import { FOOTPRINT_FILE, FOOTPRINT_STOP_FILE, footprintScript, readFootprint } from "../platforms/footprint";
import { type InstanceExit, type LaunchedInstance, launchInstance, SCRIPT_NAMES } from "../platforms/instance";
import { OOM_LINE_FILE } from "../platforms/qemuShell";
import type { EnforcedLimits, InstanceContext, Platform } from "../platforms/types";
import { portTaken } from "../ports";
import { waitForInstance } from "../ready";
import { cellRawDir, clearActive, markActive, storageFault } from "../results/store";
import { InterferenceProbe } from "./interference";
import { PhaseClock } from "./phases";

export interface CellRunContext {
  cell: Cell;
  runDir: string;
  runId: string;
  platform: Platform;
  /** What the platform's recipe built for the cell's runtime (a path or an image tag). */
  artifact: string;
  /** A VM under TCG: the cell is marked emulated. */
  emulated: boolean;
  /** How long a load cell's instance may take to answer (the profile's ttr.timeoutS). */
  readyTimeoutS: number;
  /** The sweep's generators and their ceilings (lab/load/sweep.ts). */
  generators: SweepGenerators;
  /** Where instances publish their port: loopback locally, the SUT's private address in a two-host lab. */
  bindAddress: string;
  /** Load from another host over SSH (two-host lab); absent: the generator runs here. */
  loadHost?: RemoteLoadHost;
  signal: AbortSignal;
}

/** Thrown when the run is interrupted; the cell is then not recorded, so a resume runs it again. */
export class CellInterrupted extends Error {
  override name = "CellInterrupted";
}

/** An instance that could not be launched at all (its scripts not written, its prepare failed). */
class LaunchFailed extends Error {
  override name = "LaunchFailed";
  constructor(readonly error: unknown) {
    // A failed prepare script: its own words (what it printed), not the command line that ran it.
    const said = error instanceof CommandError ? error.stderr.trim() : "";
    super(said || (error instanceof Error ? error.message : String(error)), { cause: error });
  }
}

/** A launch that failed before the instance existed is the cell's failed start; a storage fault stops the sweep. */
function recordLaunchFailure(outcome: Outcome, error: unknown, runDir: string): void {
  if (!(error instanceof LaunchFailed) || storageFault(error, runDir, runDir) !== null) throw error;
  outcome.status = "failed-start";
  outcome.reason = `the instance could not be prepared: ${lastLines(error.message)}`;
}

const FOOTPRINT_INTERVAL_MS = 500;

/** The end of a log, quoted in a reason: plain text on one line (core/text.ts). */
function lastLines(text: string, count = 3): string {
  return lastLinesExcerpt(text, count, 300);
}

function readLimits(workDir: string): EnforcedLimits | null {
  const path = join(workDir, "limits.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as EnforcedLimits) : null;
}

/**
 * An OOM a VM's console showed: the line that said so (oom.line, kept by the platform's stop),
 * quoted in the reason, so a reader sees what classified the cell.
 */
function quoteOomLine(outcome: Outcome, workDir: string): void {
  const path = join(workDir, OOM_LINE_FILE);
  if (outcome.status !== "oom" || !existsSync(path)) return;
  const line = oneLine(readFileSync(path, "utf8")).slice(0, 200);
  if (line !== "") outcome.reason = `${outcome.reason}; the console said: "${line}"`;
}

/** What a VM guest reported of its memory (guest.json, written by the platform's stop), or null. */
function readGuest(workDir: string): CellResult["guest"] {
  const path = join(workDir, "guest.json");
  if (!existsSync(path)) return null;
  const raw = JSON.parse(readFileSync(path, "utf8")) as { memTotalKb?: unknown; appPeakRssKb?: unknown };
  const kb = (value: unknown) => (typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null);
  return { memTotalKb: kb(raw.memTotalKb), appPeakRssKb: kb(raw.appPeakRssKb) };
}

/**
 * How an instance that stopped serving ended, from what its platform recorded. A launch command
 * that failed is a failed start with the platform's own error, never a timeout.
 */
export function classifyEnd(
  exit: InstanceExit,
  diedOnItsOwn: boolean,
  phase: string,
  launchError?: string,
): { status: CellStatus; reason: string } {
  const how = exit.signal ? `signal ${exit.signal}` : `exit ${exit.exitCode ?? "unknown"}`;
  // An OOM kill is what it is even when it ended the launch (a sandbox killed as it starts).
  if (exit.oomKilled) {
    const during = launchError === undefined ? phase : `as it started: ${launchError}`;
    return { status: "oom", reason: `OOM-killed ${during} (${how})` };
  }
  if (launchError !== undefined) return { status: "failed-start", reason: `the launch failed: ${launchError}` };
  if (diedOnItsOwn) return { status: "crashed", reason: `the instance died ${phase} (${how})` };
  return { status: "timeout", reason: `the instance did not answer ${phase}` };
}

/**
 * After an instance failed to come up: when another process listens on its port, the app was
 * never reachable (it could not bind, or the probes reached the other process). That is the host's
 * fault, said as such, with the holder where `ss` can name it.
 */
async function portTakenReason(context: InstanceContext): Promise<string | null> {
  const address = context.bindAddress === "0.0.0.0" ? "127.0.0.1" : context.bindAddress;
  if (!(await portTaken(context.hostPort, address).catch(() => false))) return null;
  const holder = await run("ss", ["-Hltnp", `sport = :${context.hostPort}`], { timeoutMs: 5_000 })
    .then(({ stdout }) => /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout))
    .catch(() => null);
  const who = holder ? `${holder[1]} (pid ${holder[2]})` : "another process";
  return `port ${context.hostPort} on ${address} was taken by ${who} when the instance started`;
}

/** Mark a failed start whose port another process held; an OOM kill stays what it is. */
async function notePortTaken(outcome: Outcome, context: InstanceContext): Promise<void> {
  if (outcome.status === "oom" || outcome.status === "ok") return;
  const taken = await portTakenReason(context);
  if (taken === null) return;
  outcome.status = "failed-start";
  outcome.reason = `${taken}: ${outcome.reason}`;
}

class CellWorkspace {
  readonly rawDir: string;
  readonly phases = new PhaseClock();
  constructor(private readonly ctx: CellRunContext) {
    this.rawDir = cellRawDir(ctx.runDir, ctx.cell.id);
    mkdirSync(this.rawDir, { recursive: true });
  }

  /** Launch one instance of this cell in `workDir`, registered for cleanup should the runner die. */
  async launch(workDir: string, label: string): Promise<{ instance: LaunchedInstance; context: InstanceContext }> {
    const setupFrom = performance.now();
    const { spec } = this.ctx.cell;
    const context = await instanceContext({
      platform: this.ctx.platform,
      runtime: spec.runtime,
      artifact: this.ctx.artifact,
      workDir,
      label,
      resources: { cpus: spec.cpus, memoryMB: spec.memoryMB },
      knobs: spec.knobs,
      runId: this.ctx.runId,
      bindAddress: this.ctx.bindAddress,
      emulated: this.ctx.emulated,
      allowEmulation: spec.allowEmulation,
    });
    mkdirSync(workDir, { recursive: true });
    markActive(this.ctx.runDir, context.instanceName, join(workDir, SCRIPT_NAMES.cleanup));
    const prepareFrom = performance.now();
    this.phases.add("setup", prepareFrom - setupFrom);
    let instance: LaunchedInstance;
    try {
      instance = await launchInstance(this.ctx.platform, context);
    } catch (error) {
      // Writing the scripts or preparing failed (a full disk, the platform's prepare): remove
      // whatever prepare made, and the marker, so no later run mistakes it for a leftover.
      const cleanup = join(workDir, SCRIPT_NAMES.cleanup);
      if (existsSync(cleanup)) await run("bash", [cleanup], { timeoutMs: 60_000 }).catch(() => undefined);
      clearActive(this.ctx.runDir, context.instanceName);
      throw new LaunchFailed(error);
    }
    // launchedAt is taken once prepare is done, right before the start script is spawned.
    this.phases.add("prepare", instance.launchedAt - prepareFrom);
    return { instance, context };
  }

  /** From the start script's spawn to the first HTTP 200 (or the failure to get one): TTR and what wraps it. */
  async ready(instance: LaunchedInstance, timeoutMs: number) {
    try {
      return await waitForInstance(instance, "/io", timeoutMs);
    } finally {
      this.phases.add("launch", performance.now() - instance.launchedAt);
    }
  }

  finish(instance: LaunchedInstance, context: InstanceContext): Promise<InstanceExit> {
    return this.phases.time("stop", () => this.stop(instance, context));
  }

  private async stop(instance: LaunchedInstance, context: InstanceContext): Promise<InstanceExit> {
    try {
      return await instance.stop();
    } catch (error) {
      await instance.cleanup();
      throw error;
    } finally {
      clearActive(this.ctx.runDir, context.instanceName);
    }
  }

  async abandon(instance: LaunchedInstance, context: InstanceContext): Promise<void> {
    await this.phases.time("stop", () => instance.cleanup());
    clearActive(this.ctx.runDir, context.instanceName);
  }
}

type Outcome = Omit<
  CellResult,
  "schemaVersion" | "id" | "name" | "spec" | "startedAt" | "finishedAt" | "wallS" | "rawDir"
>;

const emptyOutcome = (): Outcome => ({
  status: "ok",
  reason: null,
  flags: [],
  ttr: null,
  load: null,
  generator: null,
  crossCheck: null,
  footprint: null,
  appInfo: null,
  limits: null,
  exit: null,
  guest: null,
  interference: null,
});

/** The instance's host process, as its start script wrote it; null when it wrote none. */
function instancePid(workDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(workDir, "instance.pid"), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Others' use of the machine over a measured window; over the threshold the cell is flagged `disturbed`. */
function noteInterference(outcome: Outcome, ws: CellWorkspace, probe: InterferenceProbe, pid: number | null): void {
  const interference = ws.phases.timeSync("interference", () => probe.stop(pid));
  outcome.interference = interference;
  if (interference.disturbed) outcome.flags.push("disturbed");
}

function ttrOf(
  samples: number[],
  launches: number,
  clock: "launch-command" | "harness" = "launch-command",
): NonNullable<CellResult["ttr"]> {
  const rounded = samples.map((s) => Math.round(s * 1000) / 1000);
  return {
    clock,
    launches,
    samplesMs: rounded,
    medianMs: rounded.length ? median(rounded) : null,
    minMs: rounded.length ? min(rounded) : null,
    maxMs: rounded.length ? max(rounded) : null,
  };
}

/** Startup cell: N launches, each timed from the launch command to the first HTTP 200. */
async function runStartupCell(ctx: CellRunContext, ws: CellWorkspace, outcome: Outcome): Promise<void> {
  const ttr = ctx.cell.spec.ttr ?? { launches: 0, timeoutS: 60 };
  const samples: number[] = [];
  let clock: "launch-command" | "harness" = "launch-command";
  const probe = ws.phases.timeSync("interference", () => new InterferenceProbe());
  try {
    await runLaunches(ctx, ws, outcome, ttr, samples, (harness) => {
      if (harness) clock = "harness";
    });
  } finally {
    if (!ctx.signal.aborted) noteInterference(outcome, ws, probe, null);
  }
  outcome.ttr = ttrOf(samples, ttr.launches, clock);
}

async function runLaunches(
  ctx: CellRunContext,
  ws: CellWorkspace,
  outcome: Outcome,
  ttr: { launches: number; timeoutS: number },
  samples: number[],
  harnessClock: (harness: boolean) => void,
): Promise<void> {
  for (let i = 1; i <= ttr.launches; i++) {
    if (ctx.signal.aborted) throw new CellInterrupted("interrupted");
    let launched: Awaited<ReturnType<CellWorkspace["launch"]>>;
    try {
      launched = await ws.launch(join(ws.rawDir, `launch-${i}`), `${ctx.cell.name}-l${i}`);
    } catch (error) {
      recordLaunchFailure(outcome, error, ctx.runDir);
      break;
    }
    const { instance, context } = launched;
    try {
      const ready = await ws.ready(instance, ttr.timeoutS * 1000);
      samples.push(ready.elapsedMs);
      harnessClock(ready.clock === "harness");
    } catch (error) {
      if (ctx.signal.aborted) {
        await ws.abandon(instance, context);
        throw new CellInterrupted("interrupted");
      }
      const diedOnItsOwn = !instance.isAlive();
      const exit = await ws.finish(instance, context);
      const launchError = instance.launchError();
      Object.assign(outcome, classifyEnd(exit, diedOnItsOwn, `before it was ready (launch ${i})`, launchError), {
        exit,
      });
      if (launchError === undefined) {
        outcome.reason = `${outcome.reason}: ${(error as Error).message}; log: ${lastLines(instance.output())}`;
      }
      await notePortTaken(outcome, context);
      quoteOomLine(outcome, context.workDir);
      outcome.limits = readLimits(context.workDir);
      outcome.guest = readGuest(context.workDir);
      break;
    }
    outcome.exit = await ws.finish(instance, context);
    outcome.limits = readLimits(context.workDir);
    outcome.guest = readGuest(context.workDir);
  }
}

function startFootprint(workDir: string, maxSeconds: number): ChildProcess {
  const script = join(workDir, "footprint.sh");
  writeFileSync(script, footprintScript(workDir, FOOTPRINT_INTERVAL_MS, maxSeconds));
  // A process group of its own, so stopping it ends its `sleep` too (see stopFootprint).
  return spawn("bash", [script], { stdio: "ignore", detached: true });
}

/** Signal a process group; false when it is already gone. */
function killGroup(leader: ChildProcess, signal: NodeJS.Signals): boolean {
  if (leader.pid === undefined) return false;
  try {
    process.kill(-leader.pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function stopFootprint(sampler: ChildProcess, workDir: string): Promise<void> {
  // The stop file is how a sampler on a remote SUT is ended; it stays the first word here too.
  writeFileSync(join(workDir, FOOTPRINT_STOP_FILE), "");
  if (sampler.exitCode === null && sampler.signalCode === null) {
    const exited = once(sampler, "exit");
    // The sampler only reads the stop file between sleeps of FOOTPRINT_INTERVAL_MS, which cost
    // a cell a quarter of a second on average. The load is over, so nothing measured is lost by
    // ending it (and its sleep) at once; a sample line is one small append, never half written.
    killGroup(sampler, "SIGTERM");
    const timer = setTimeout(() => killGroup(sampler, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Load cell: launch, check the endpoints, then load it while its footprint is sampled. */
async function runLoadCell(ctx: CellRunContext, ws: CellWorkspace, outcome: Outcome): Promise<void> {
  const load = ctx.cell.spec.load;
  if (!load || ctx.cell.spec.workload === "startup") throw new Error(`${ctx.cell.name} has no load settings`);
  const workload = ctx.cell.spec.workload;
  let launched: Awaited<ReturnType<CellWorkspace["launch"]>>;
  try {
    launched = await ws.launch(ws.rawDir, ctx.cell.name);
  } catch (error) {
    recordLaunchFailure(outcome, error, ctx.runDir);
    return;
  }
  const { instance, context } = launched;
  let stopped = false;
  try {
    try {
      const ready = await ws.ready(instance, ctx.readyTimeoutS * 1000);
      outcome.ttr = ttrOf([ready.elapsedMs], 1, ready.clock);
    } catch (error) {
      if (ctx.signal.aborted) throw new CellInterrupted("interrupted");
      const diedOnItsOwn = !instance.isAlive();
      const exit = await ws.finish(instance, context);
      stopped = true;
      const launchError = instance.launchError();
      Object.assign(outcome, classifyEnd(exit, diedOnItsOwn, "before it was ready", launchError), { exit });
      if (launchError === undefined) {
        outcome.reason = `${outcome.reason}: ${(error as Error).message}; log: ${lastLines(instance.output())}`;
      }
      await notePortTaken(outcome, context);
      quoteOomLine(outcome, context.workDir);
      return;
    }
    let check: Awaited<ReturnType<typeof quickVerify>>;
    try {
      // The endpoint this cell loads answers as it must (its workload's check), and /info parses.
      check = await ws.phases.time("check", () =>
        quickVerify(instance.baseUrl, ctx.cell.spec.runtime, [ctx.cell.spec.workload]),
      );
    } catch (error) {
      // The instance went away during the check (a sandbox OOM-killed by its first /compute does).
      if (ctx.signal.aborted) throw new CellInterrupted("interrupted");
      const diedOnItsOwn = !instance.isAlive();
      const exit = await ws.finish(instance, context);
      stopped = true;
      Object.assign(outcome, classifyEnd(exit, diedOnItsOwn, "during the contract check"), { exit });
      outcome.reason = `${outcome.reason}: ${(error as Error).message}; log: ${lastLines(instance.output())}`;
      quoteOomLine(outcome, context.workDir);
      return;
    }
    outcome.appInfo = (check.info as AppInfo | undefined) ?? null;
    if (check.problems.length > 0) {
      outcome.status = "crashed";
      outcome.reason = `the app broke its contract, not loaded: ${check.problems.join("; ")}`;
      return;
    }

    const deadlineMs = (load.warmupS + load.durationS + load.requestTimeoutS + 60) * 1000;
    const samplerFrom = performance.now();
    const sampler = startFootprint(context.workDir, load.warmupS + load.durationS + 30);
    ws.phases.add("footprint", performance.now() - samplerFrom);
    const guard = AbortSignal.any([ctx.signal, AbortSignal.timeout(deadlineMs)]);
    let loadRun: CellLoadOutput | undefined;
    const loadSpec: LoadSpec = {
      baseUrl: instance.baseUrl,
      workload,
      executor: load.executor,
      vus: load.vus,
      ...(load.threads !== undefined ? { threads: load.threads } : {}),
      ...(load.rate !== undefined ? { rate: load.rate } : {}),
      warmupS: load.warmupS,
      durationS: load.durationS,
      requestTimeoutS: load.requestTimeoutS,
    };
    const probe = ws.phases.timeSync("interference", () => new InterferenceProbe());
    try {
      loadRun = await ws.phases.time("load", () =>
        runCellLoad({
          spec: loadSpec,
          cell: { ...ctx.cell.spec, workload },
          rawDir: ws.rawDir,
          runDir: ctx.runDir,
          generators: ctx.generators,
          ...(ctx.loadHost ? { loadHost: ctx.loadHost } : {}),
          signal: guard,
          isAlive: () => instance.isAlive(),
        }),
      );
    } catch (error) {
      if (ctx.signal.aborted) throw new CellInterrupted("interrupted");
      if (guard.aborted) {
        outcome.status = "timeout";
        outcome.reason = `the load did not finish within ${deadlineMs / 1000} s`;
      } else if (storageFault(error, ctx.runDir, ctx.runDir) !== null) {
        throw error; // the runner stops the sweep: nothing more can be recorded
      } else {
        // The generator, not the app, failed (killed, crashed): a fault of the lab. Should the app
        // have died too, the check below says so instead.
        outcome.status = "lab-error";
        // Paths relative to the run folder, so the result reads the same on any machine.
        const message = (error as Error).message.replaceAll(`${ctx.runDir}/`, "");
        outcome.reason = `the load generator failed: ${lastLines(message, 4)}`;
      }
    } finally {
      await ws.phases.time("footprint", () => stopFootprint(sampler, context.workDir));
    }
    // Read while the instance still runs: its cgroup and cores name what is its own.
    noteInterference(outcome, ws, probe, instancePid(context.workDir));
    outcome.footprint = readFootprint(join(context.workDir, FOOTPRINT_FILE));
    if (loadRun) {
      outcome.load = loadRun.load;
      outcome.generator = loadRun.generator;
      outcome.crossCheck = loadRun.crossCheck;
      outcome.flags.push(...loadRun.flags);
    }
    const diedOnItsOwn = !instance.isAlive();
    const exit = await ws.finish(instance, context);
    stopped = true;
    outcome.exit = exit;
    if (diedOnItsOwn || exit.oomKilled) {
      Object.assign(outcome, classifyEnd(exit, diedOnItsOwn, "during the load"));
      outcome.reason = `${outcome.reason}; log: ${lastLines(instance.output())}`;
      quoteOomLine(outcome, context.workDir);
    }
  } finally {
    outcome.limits = readLimits(context.workDir);
    if (!stopped) {
      if (ctx.signal.aborted) await ws.abandon(instance, context);
      else outcome.exit = await ws.finish(instance, context);
    }
    // The guest's own report is complete once it stopped (stop writes guest.json).
    outcome.guest = readGuest(context.workDir);
  }
}

/** Run one cell to its result. An OOM, crash or timeout is a result; only an interruption throws. */
export async function runCell(ctx: CellRunContext): Promise<CellResult> {
  const startedAt = new Date();
  const started = performance.now();
  const ws = new CellWorkspace(ctx);
  const outcome = emptyOutcome();
  if (ctx.cell.spec.workload === "startup") await runStartupCell(ctx, ws, outcome);
  else await runLoadCell(ctx, ws, outcome);

  if (ctx.emulated) outcome.flags.push("emulated");
  if (outcome.limits && !outcome.limits.cpu.enforced) outcome.flags.push("cpu-limit-not-enforced");
  if (outcome.limits && !outcome.limits.memoryMB.enforced) outcome.flags.push("memory-limit-not-enforced");
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    id: ctx.cell.id,
    name: ctx.cell.name,
    spec: ctx.cell.spec,
    ...outcome,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    wallS: Math.round(performance.now() - started) / 1000,
    phasesS: ws.phases.seconds(),
    rawDir: relative(ctx.runDir, ws.rawDir),
  };
}

/** The result of a cell whose platform cannot run on this host. */
export function skippedCell(cell: Cell, reason: string): CellResult {
  const now = new Date().toISOString();
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    id: cell.id,
    name: cell.name,
    spec: cell.spec,
    ...emptyOutcome(),
    status: "skipped",
    reason,
    startedAt: now,
    finishedAt: now,
    wallS: 0,
    rawDir: `cells/${cell.id}`,
  };
}
