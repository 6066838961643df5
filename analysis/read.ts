import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { MANIFEST_FILE, readCells, readManifest } from "../core/results/read";
import type { CellResult, Manifest } from "../core/results/schema";

export interface LoadedRun {
  dir: string;
  manifest: Manifest;
}

/** A cell together with where it came from, so the tidy table and the warnings can name it. */
export interface LoadedCell {
  runId: string;
  file: string;
  cell: CellResult;
}

export interface RunInput {
  runs: LoadedRun[];
  cells: LoadedCell[];
  /** Files that could not be used at all (each names the file); every other cell is still used. */
  errors: string[];
  /** Things a reader should know but that do not drop data: partial runs, duplicates, id mismatches. */
  warnings: string[];
}

function openRun(dir: string): LoadedRun {
  // Without a valid manifest no cell can be trusted: the reader's error names the folder and the problem.
  const path = resolve(dir);
  return { dir: path, manifest: readManifest(path) };
}

/**
 * Read one or more run folders. Cells are merged by id: the id is the hash of the spec including
 * the repetition, so the same id in two runs is the same measurement recorded twice, not more
 * data; the first one read is kept. Different repetitions of a scenario merge naturally.
 */
export function readRuns(dirs: readonly string[]): RunInput {
  const runs = dirs.map(openRun);
  const input: RunInput = { runs, cells: [], errors: [], warnings: [] };
  const seen = new Map<string, LoadedCell>();
  for (const run of runs) {
    const { runId } = run.manifest;
    const read = readCells(run.dir);
    const files = read.cells.length + read.broken.length;
    if (files === 0) input.warnings.push(`run ${runId} (${run.dir}) has no cell results yet`);
    input.errors.push(...read.broken.map((problem) => `${problem}; the cell is left out`));
    const recorded = new Set<string>();
    for (const { file: path, cell, mismatches } of read.cells) {
      // A cell whose id does not line up is still data: merged by its recorded id, with a warning.
      input.warnings.push(...mismatches.map((m) => `${m}; merged by the recorded id`));
      recorded.add(cell.id);
      const earlier = seen.get(cell.id);
      if (earlier) {
        input.warnings.push(
          `cell ${cell.name} (${cell.id}) is in both ${earlier.runId} and ${runId}: the same spec and repetition, kept the one from ${earlier.runId}`,
        );
        continue;
      }
      const loaded = { runId, file: path, cell };
      seen.set(cell.id, loaded);
      input.cells.push(loaded);
    }
    const missing = run.manifest.cells.filter((c) => !recorded.has(c.id));
    if (missing.length > 0 && files > 0) {
      const names = missing.map((c) => c.name);
      const shown = names.slice(0, 8).join(", ");
      input.warnings.push(
        `run ${runId} is partial: ${missing.length} of ${run.manifest.cells.length} planned cells have no usable result (${shown}${names.length > 8 ? ", ..." : ""})`,
      );
    }
  }
  return input;
}

/**
 * The run folders under a results root: `results/<runId>` (what `npm run lab` writes) and one
 * level deeper, `results/<stack>/<runId>` (what the Pulumi lab pulls back). A folder with a
 * manifest is a run; one without is searched once more.
 */
function runFolders(resultsRoot: string, depth = 1): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(resultsRoot, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(resultsRoot, entry.name);
    if (existsSync(join(dir, MANIFEST_FILE))) found.push(dir);
    else if (depth > 0) found.push(...runFolders(dir, depth - 1));
  }
  return found;
}

/** When a run was made: its manifest's creation time, else the manifest file's. */
function createdAt(dir: string): number {
  try {
    return Date.parse(readManifest(dir).createdAt);
  } catch {
    // an unreadable manifest still counts by its file time; reading it later names the problem
    return statSync(join(dir, MANIFEST_FILE)).mtimeMs;
  }
}

/** The newest run under a results root or a stack's folder in it (by manifest creation time), or null when there is none. */
export function newestRun(resultsRoot: string): string | null {
  if (!existsSync(resultsRoot)) return null;
  let best: { dir: string; at: number } | null = null;
  for (const dir of runFolders(resultsRoot)) {
    const at = createdAt(dir);
    if (!best || at > best.at) best = { dir, at };
  }
  return best?.dir ?? null;
}
