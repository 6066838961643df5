/**
 * The local lab's entry: a run folder made or resumed under its lock, and the sweep through its
 * three phases: prepare (prepare.ts), run the cells (runCells.ts, in the order of a schedule,
 * schedule.ts), finish.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../core/config/errors";
import type { Revision } from "../../core/config/revision";
import type { GeneratorChoice, GeneratorName } from "../../core/load/types";
import type { Cell } from "../../core/matrix";
import { readManifest } from "../../core/results/read";
import { newRunId } from "../../core/results/runId";
import type { CellResult } from "../../core/results/schema";
import type { RemoteLoadHost } from "../load/remote";
import type { Selection } from "../matrix";
import { allPlatforms, getPlatform } from "../platforms/registry";
import type { Availability } from "../platforms/types";
import { acquireRunLock, describeHolder, LOCK_FILE, liveHolderOf, type RunLock, RunLockedError } from "../results/lock";
import { cleanLeftovers, createRunDir, storageProblem, writeManifest } from "../results/store";
import { SweepEstimate } from "./estimate";
import { floorSchedule } from "./floor/search";
import {
  announceEstimate,
  describePlan,
  NO_GENERATORS,
  type PreparedRun,
  planRun,
  prepareRun,
  type RunPlan,
} from "./prepare";
import { summaryTable } from "./progress";
import { runCell } from "./runCell";
import { type CellsOutcome, runCells, storageStopped } from "./runCells";
import { type CellSchedule, inOrder } from "./schedule";
import { type InterleavedSchedule, interleaved } from "./schedules/interleaved";

export interface NewRun {
  kind: "new";
  revision: Revision;
  profileName: string;
  selection: Selection;
  runId?: string;
}

export interface ResumedRun {
  kind: "resume";
  runId: string;
  /** Leave recorded lab-error cells as they are (by default a resume runs them again). */
  keepLabErrors?: boolean;
}

export interface RunnerOptions {
  run: NewRun | ResumedRun;
  resultsRoot: string;
  /** The command line's generator (overrides the profile's). */
  generatorPreference: GeneratorChoice | null;
  /** Cross-check every load cell with this generator (overrides the profile's selection). */
  crossCheck?: GeneratorName;
  /** Print the plan and stop. */
  dryRun?: boolean;
  /** Create the run (manifest, artifacts) without running a cell: the Pulumi lab's first step. */
  planOnly?: boolean;
  /** Run only these cells (ids or names); the Pulumi lab runs one cell per command. */
  onlyCells?: readonly string[];
  /** Where instances publish their port (default 127.0.0.1). */
  bindAddress?: string;
  /** Load from another host over SSH instead of here. */
  loadHost?: RemoteLoadHost;
  /** The seed of a new run's shuffled order (recorded in its manifest); absent: a fresh one. */
  seed?: number;
  /** Recorded in a new run's manifest, e.g. "local" or "pulumi:<stack>". */
  origin?: string;
  /** The Pulumi lab's host pair running this invocation (edge-lab:pairs > 1): recorded in each result. */
  pair?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RunnerOutcome {
  runId: string;
  runDir: string;
  interrupted: boolean;
  /** Why the sweep stopped before its end when it could not go on (a full results disk), with the resume command. */
  stopped?: string;
  results: CellResult[];
  ran: number;
}

/**
 * Ends what the given runs' platforms left behind (a SIGKILLed runner's sandboxes, VMs, taps):
 * those runs' only, so a lab or a test running beside this one keeps its instances.
 */
async function cleanPlatformLeftovers(runIds: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const platform of allPlatforms()) {
    if (!platform.cleanupLeftovers) continue;
    try {
      removed.push(...(await platform.cleanupLeftovers({ runIds })));
    } catch (error) {
      removed.push(`${platform.name}: cleanup failed: ${(error as Error).message}`);
    }
  }
  return removed;
}

/**
 * The local lab: plan, build, run every cell in order, record each result as it finishes.
 * Interrupting stops the current cell, removes its instance and leaves it unrecorded, so
 * `--resume` runs exactly the cells that have no result. The run folder is locked for the whole
 * run (lab/results/lock.ts): a second lab on it is refused before it writes anything.
 */
export async function runLab(options: RunnerOptions): Promise<RunnerOutcome> {
  const runId =
    options.run.kind === "resume" ? options.run.runId : (options.run.runId ?? newRunId(options.run.profileName));
  const runDir = join(options.resultsRoot, runId);
  if (options.dryRun) return sweep(options, runId, runDir, { manifestWritten: false });
  let lock: RunLock;
  let createdHere = false;
  try {
    if (options.run.kind === "resume") {
      readManifest(runDir); // a folder that is no run is refused before anything is written into it
      lock = acquireRunLock(runDir);
    } else {
      try {
        createRunDir(options.resultsRoot, runId);
      } catch (error) {
        // The folder exists: when a live lab holds it, say who, rather than only that it exists.
        const holder = liveHolderOf(runDir);
        if (holder) throw new RunLockedError(join(runDir, LOCK_FILE), holder);
        throw error;
      }
      createdHere = true;
      lock = acquireRunLock(runDir);
    }
  } catch (error) {
    if (createdHere) rmSync(runDir, { recursive: true, force: true });
    const problem = storageProblem(error, options.resultsRoot);
    if (problem !== null) {
      const retry = options.run.kind === "resume" ? `; fix it, then: npm run lab -- --resume ${runId}` : "";
      throw new InputError(`the results storage refused a write (${problem}): nothing was run${retry}`);
    }
    throw error;
  }
  const state = { manifestWritten: false };
  try {
    if (lock.tookOverFrom) {
      const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
      log(`took over the lock of ${describeHolder(lock.tookOverFrom)}: that lab is no longer running`);
    }
    return await sweep(options, runId, runDir, state);
  } catch (error) {
    // A run that never got its manifest is no run: leave no folder that --resume would trip on.
    if (createdHere && !state.manifestWritten) rmSync(runDir, { recursive: true, force: true });
    const problem = storageProblem(error, options.resultsRoot);
    if (problem !== null) {
      throw new InputError(
        createdHere && !state.manifestWritten
          ? `the results storage refused a write (${problem}): no run was made`
          : storageStopped(problem, runId),
      );
    }
    throw error;
  } finally {
    lock.release();
  }
}

/** Instances an interrupted run on this results root left behind, and (only then) its platforms' leftovers. */
async function removeLeftovers(resultsRoot: string, log: (line: string) => void): Promise<void> {
  const leftovers = await cleanLeftovers(resultsRoot);
  if (leftovers.length === 0) return;
  log(`removed ${leftovers.length} instance(s) an interrupted run left behind`);
  // A runner was killed here: its platforms may hold more than its instances' own cleanup finds
  // (sandbox processes, taps). Only then, and only that run's: another lab on this host (a live
  // run, which cleanLeftovers skipped by its lock, or a test) keeps its instances.
  const runIds = [...new Set(leftovers.map((l) => l.runId))];
  for (const line of await cleanPlatformLeftovers(runIds)) log(`removed a leftover: ${line}`);
}

/** The sweep in its three phases: prepare (plan, platforms, artifacts, generators, manifest), run the cells, finish. */
async function sweep(
  options: RunnerOptions,
  runId: string,
  runDir: string,
  state: { manifestWritten: boolean },
): Promise<RunnerOutcome> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const signal = options.signal ?? new AbortController().signal;
  await removeLeftovers(options.resultsRoot, log);

  const plan = await planRun(options, runId, runDir);
  describePlan(plan, log);
  const estimate = new SweepEstimate();
  if (options.dryRun) {
    announceEstimate(plan, estimate, 0, log, "by the platforms' declared costs (a run tries each platform first)");
    return { runId, runDir, interrupted: false, results: [], ran: 0 };
  }

  const prepared = await prepareRun(plan, options, estimate, log, signal, () => {
    state.manifestWritten = true;
  });
  if (options.planOnly) {
    log(`planned ${runDir}: run cells with --resume ${runId} [--cell ID]`);
    return { runId, runDir, interrupted: false, results: [], ran: 0 };
  }

  // A floor search decides its probes as it goes; other runs go in their seeded order (or the matrix's).
  const floorSearch = plan.profile.floor ? floorSchedule(plan.todo, plan.profile.floor, plan.earlier) : null;
  const shuffled = floorSearch ? null : scheduleOf(plan, options);
  const schedule: CellSchedule = floorSearch ?? shuffled ?? inOrder(plan.todo);
  const cells = await runCells({
    runId,
    runDir,
    resultsRoot: options.resultsRoot,
    schedule,
    availability: plan.availability,
    runOne: (cell, available) => runPreparedCell(prepared, cell, available, options, signal),
    allowEmulation: plan.profile.allowEmulation,
    versions: plan.revision.versions,
    estimate,
    ...(options.pair !== undefined ? { pair: options.pair } : {}),
    log,
    signal,
  });
  if (shuffled) recordStops(runDir, shuffled, cells.results, log);
  // A floor search plans its probes as it goes: the count is what ran and what it still expects.
  const planned = floorSearch ? cells.results.length + floorSearch.pending(cells.results).length : plan.todo.length;
  return finish(cells, planned, runId, runDir, signal.aborted, log);
}

/**
 * The run's order: shuffled and interleaved from its seed, with the profile's adaptive repetitions;
 * null (matrix order) for a run made before seeds were recorded. A single cell run (the Pulumi
 * lab's --cell) adds no repetition: its orchestrator chooses the cells.
 */
function scheduleOf(plan: RunPlan, options: RunnerOptions): InterleavedSchedule | null {
  if (plan.seed === null) return null;
  const adaptive = options.onlyCells ? undefined : plan.profile.adaptive;
  return interleaved({
    planned: plan.cells,
    todo: plan.todo,
    earlier: plan.earlier,
    seed: plan.seed,
    ...(adaptive ? { adaptive } : {}),
  });
}

/** Which rule ended each scenario's repetitions, into the manifest; a manifest that cannot be updated loses only this. */
function recordStops(
  runDir: string,
  schedule: InterleavedSchedule,
  ran: CellResult[],
  log: (line: string) => void,
): void {
  try {
    const manifest = readManifest(runDir);
    if (!manifest.schedule) return;
    manifest.schedule.stops = schedule.stops(ran);
    writeManifest(runDir, manifest);
  } catch (error) {
    log(`  the scenarios' stopping rules were not recorded: ${(error as Error).message}`);
  }
}

/** One cell of an available platform, with what the prepare phase made. */
function runPreparedCell(
  prepared: PreparedRun,
  cell: Cell,
  available: Availability,
  options: RunnerOptions,
  signal: AbortSignal,
): Promise<CellResult> {
  const platform = getPlatform(cell.spec.platform);
  const artifact = prepared.artifactOf(cell.spec.runtime, platform.artifact.kind);
  if (!artifact) throw new Error(`no ${platform.artifact.kind} artifact was built for ${cell.spec.runtime}`);
  return runCell({
    cell,
    runDir: prepared.runDir,
    runId: prepared.runId,
    platform,
    artifact,
    readyTimeoutS: prepared.profile.ttr.timeoutS,
    emulated: available.facts.accelerator === "tcg",
    bindAddress: options.bindAddress ?? "127.0.0.1",
    ...(options.loadHost ? { loadHost: options.loadHost } : {}),
    generators: prepared.generators ?? NO_GENERATORS,
    signal,
  });
}

/** The sweep's last phase: what the console says at the end (the table, or how to finish the run). */
function finish(
  cells: CellsOutcome,
  planned: number,
  runId: string,
  runDir: string,
  interrupted: boolean,
  log: (line: string) => void,
): RunnerOutcome {
  const { results, ran, stopped } = cells;
  if (stopped) {
    log(`${results.length} of ${planned} cells recorded; ${stopped}`);
  } else if (interrupted) {
    log(`interrupted: ${results.length} of ${planned} cells recorded; finish with: npm run lab -- --resume ${runId}`);
  } else {
    log(summaryTable(results));
    log(`results: ${runDir}`);
  }
  return { runId, runDir, interrupted, results, ran, ...(stopped ? { stopped } : {}) };
}
