import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { cellId } from "../core/matrix";
import { type CellResult, CellResultSchema, type Manifest } from "../core/results/schema";
import { CELLS_DIR, MANIFEST_FILE, readManifest } from "../lab/results/store";

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

/** Thrown for a command-line path that is not a results run folder. */
export class NotARunFolderError extends Error {
  override name = "UsageError";
}

function openRun(dir: string): LoadedRun {
  const path = resolve(dir);
  if (!existsSync(path)) throw new NotARunFolderError(`${dir} is not a run folder: it does not exist`);
  if (!statSync(path).isDirectory()) throw new NotARunFolderError(`${dir} is not a run folder: it is a file`);
  if (!existsSync(join(path, MANIFEST_FILE))) {
    throw new NotARunFolderError(
      `${dir} is not a run folder: ${MANIFEST_FILE} is missing (expected results/<runId>/manifest.json)`,
    );
  }
  try {
    // readManifest validates against ManifestSchema; without a manifest no cell can be trusted.
    return { dir: path, manifest: readManifest(path) };
  } catch (error) {
    throw new NotARunFolderError(`${dir} is not a usable run folder: ${MANIFEST_FILE}: ${(error as Error).message}`);
  }
}

function readCellFile(path: string): { cell: CellResult } | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { error: `${path}: not valid JSON (${(error as Error).message}); the cell is left out` };
  }
  const parsed = CellResultSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      error: `${path}: does not match the cell result schema at ${issue?.path.join(".") || "(top level)"}: ${issue?.message}; the cell is left out`,
    };
  }
  return { cell: parsed.data };
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
    const cellsDir = join(run.dir, CELLS_DIR);
    const files = existsSync(cellsDir)
      ? readdirSync(cellsDir)
          .filter((f) => f.endsWith(".json"))
          .sort()
      : [];
    if (files.length === 0) input.warnings.push(`run ${runId} (${run.dir}) has no cell results yet`);
    const recorded = new Set<string>();
    for (const file of files) {
      const path = join(cellsDir, file);
      const read = readCellFile(path);
      if ("error" in read) {
        input.errors.push(read.error);
        continue;
      }
      const { cell } = read;
      if (basename(file, ".json") !== cell.id) input.warnings.push(`${path}: holds cell ${cell.id} (${cell.name})`);
      if (cellId(cell.spec) !== cell.id) {
        input.warnings.push(`${path}: id ${cell.id} does not match the hash of its spec; merged by the recorded id`);
      }
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
    if (missing.length > 0 && files.length > 0) {
      const names = missing.map((c) => c.name);
      const shown = names.slice(0, 8).join(", ");
      input.warnings.push(
        `run ${runId} is partial: ${missing.length} of ${run.manifest.cells.length} planned cells have no usable result (${shown}${names.length > 8 ? ", ..." : ""})`,
      );
    }
  }
  return input;
}

/** The newest run under a results root (by manifest creation time), or null when there is none. */
export function newestRun(resultsRoot: string): string | null {
  if (!existsSync(resultsRoot)) return null;
  let best: { dir: string; at: number } | null = null;
  for (const entry of readdirSync(resultsRoot, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(resultsRoot, entry.name);
    const manifestPath = join(dir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) continue;
    let at = statSync(manifestPath).mtimeMs;
    try {
      const createdAt = (JSON.parse(readFileSync(manifestPath, "utf8")) as { createdAt?: unknown }).createdAt;
      if (typeof createdAt === "string" && !Number.isNaN(Date.parse(createdAt))) at = Date.parse(createdAt);
    } catch {
      // an unreadable manifest still counts by its file time; reading it later names the problem
    }
    if (!best || at > best.at) best = { dir, at };
  }
  return best?.dir ?? null;
}
