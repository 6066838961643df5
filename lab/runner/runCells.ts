/**
 * The sweep's second phase: run the cells its schedule hands out, one at a time, and record each
 * result as it finishes. A cell of a platform that cannot run here is recorded as skipped; an
 * interruption leaves the current cell unrecorded (a resume runs it); a results disk that refuses
 * a write stops the sweep with what is kept and how to finish.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { Cell } from "../../core/matrix";
import type { CellResult } from "../../core/results/schema";
import { SCRIPT_NAMES } from "../platforms/instance";
import { getPlatform } from "../platforms/registry";
import type { Availability } from "../platforms/types";
import { cellRawDir, markActive, setAsideLabError, storageFault, writeCellResult } from "../results/store";
import type { SweepEstimate } from "./estimate";
import { progressLine, revisedLine } from "./progress";
import { CellInterrupted, skippedCell } from "./runCell";
import type { CellSchedule } from "./schedule";

export interface CellsPhase {
  runId: string;
  runDir: string;
  resultsRoot: string;
  schedule: CellSchedule;
  /** Each platform's availability; a platform found gone mid-sweep is marked here, and its later cells are skipped. */
  availability: Map<string, Availability>;
  /** Runs one cell of an available platform to its result (lab/runner/runCell.ts in a real sweep). */
  runOne: (cell: Cell, available: Availability) => Promise<CellResult>;
  /** Whether a platform re-checked after a failure may use emulation (the profile's allowEmulation). */
  allowEmulation: boolean;
  /** The revision's tool versions, for platforms whose check is versioned (a re-check asks with them too). */
  versions?: Readonly<Record<string, string>>;
  estimate: SweepEstimate;
  /** The Pulumi lab's host pair running this invocation: recorded in each result. */
  pair?: number;
  log: (line: string) => void;
  signal: AbortSignal;
}

export interface CellsOutcome {
  /** This sweep's results, in the order they were recorded. */
  results: CellResult[];
  /** Cells that ran (not skipped). */
  ran: number;
  /** Why the sweep stopped before its end when it could not go on, with the resume command. */
  stopped?: string;
}

export async function runCells(phase: CellsPhase): Promise<CellsOutcome> {
  const { runDir, availability, schedule, estimate, log, signal } = phase;
  const results: CellResult[] = [];
  let ran = 0;
  let stopped: string | undefined;
  const stop = (error: unknown): boolean => {
    const problem = storageFault(error, runDir, phase.resultsRoot);
    if (problem === null) return false;
    stopped = storageStopped(problem, phase.runId);
    return true;
  };
  for (let cell = schedule.next(results); cell !== null; cell = schedule.next(results)) {
    if (signal.aborted) break;
    try {
      const kept = setAsideLabError(runDir, cell.id);
      if (kept) log(`  ${relative(runDir, kept)}: the earlier lab-error of ${cell.name}, kept beside; it runs again`);
    } catch (error) {
      if (stop(error)) break;
      throw error;
    }
    const available = availability.get(cell.spec.platform);
    let result: CellResult;
    if (!available?.ok) {
      result = skippedCell(cell, available?.reason ?? `${cell.spec.platform}: not available`);
    } else {
      try {
        result = await phase.runOne(cell, available);
      } catch (error) {
        if (error instanceof CellInterrupted || signal.aborted) break;
        if (stop(error)) break;
        throw error;
      }
      ran++;
      estimate.ran(cell, result.wallS);
      if (mayBePlatformGone(result)) await recheckPlatform(cell, result, phase);
    }
    if (phase.pair !== undefined) result = { ...result, pair: phase.pair };
    try {
      const kept = writeCellResult(runDir, result);
      if (kept) log(`  ${relative(runDir, kept)}: the unreadable file that stood in this cell's place, kept beside`);
    } catch (error) {
      if (stop(error)) break;
      throw error;
    }
    results.push(result);
    const pending = schedule.pending(results);
    const runnable = pending.filter((c) => availability.get(c.spec.platform)?.ok);
    log(progressLine(results.length, results.length + pending.length, result, estimate.remainingS(runnable)));
    const revised = estimate.revised(runnable);
    if (revised) log(revisedLine(revised));
  }
  return { results, ran, ...(stopped ? { stopped } : {}) };
}

/** What the console says when the results storage refused a write: what is kept and how to finish. */
export function storageStopped(problem: string, runId: string): string {
  return (
    `stopped: the results storage refused a write (${problem}). Every cell recorded so far is kept; ` +
    `free space or fix the folder, then finish with: npm run lab -- --resume ${runId}`
  );
}

/**
 * A failure that may be the platform's rather than the app's: it could not launch, the lab
 * failed, or the instance ended without the platform saying how (a stopped Docker engine reports
 * no exit code). An app that crashed with an exit code, or was OOM-killed, says nothing about the
 * platform, so the (sometimes costly) check is not run again for it.
 */
function mayBePlatformGone(result: CellResult): boolean {
  if (result.status === "failed-start" || result.status === "lab-error") return true;
  const unknownEnd = result.exit === null || (result.exit.exitCode === null && result.exit.signal === null);
  return (result.status === "crashed" || result.status === "timeout") && unknownEnd;
}

/**
 * After a cell that failed, ask its platform again whether it can run here (a Docker engine that
 * stopped, a tool gone from PATH). If not, the failure was the host's, not the app's: the cell is
 * a lab-error with the platform's own reason, and the platform's later cells are skipped with it.
 * Only after a failure, so healthy sweeps pay nothing.
 */
async function recheckPlatform(cell: Cell, result: CellResult, phase: CellsPhase): Promise<void> {
  const { availability, runDir, log } = phase;
  const name = cell.spec.platform;
  const now = await getPlatform(name)
    .checkAvailability({ allowEmulation: phase.allowEmulation, versions: phase.versions })
    .catch((error: unknown) => ({ ok: false, reason: `${name}: ${(error as Error).message}`, facts: {} }));
  if (now.ok) return;
  const reason = `${now.reason ?? `${name}: not available`} (found after ${cell.name})`;
  availability.set(name, { ok: false, reason, facts: availability.get(name)?.facts ?? {} });
  result.status = "lab-error";
  result.reason = `${result.reason ?? "the cell failed"}; then ${name} failed its check: ${now.reason}`;
  log(`  ${name.padEnd(7)} went away during the sweep: its later cells are skipped: ${now.reason}`);
  // Its stop could not reach the platform (a stopped engine keeps its containers' records): the
  // cell's instances stay marked, so the next lab run here removes them once the platform is back.
  const rawDir = cellRawDir(runDir, cell.id);
  if (!existsSync(rawDir)) return;
  const dirs = [
    rawDir,
    ...readdirSync(rawDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(rawDir, e.name)),
  ];
  const scripts = dirs.map((dir) => join(dir, SCRIPT_NAMES.cleanup)).filter((path) => existsSync(path));
  for (const [i, script] of scripts.entries()) markActive(runDir, `unconfirmed-${cell.id}-${i + 1}`, script);
  if (scripts.length > 0) log(`  ${cell.name}: ${scripts.length} instance(s) kept marked for the next run's cleanup`);
}
