import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../core/config/errors";
import { run } from "../../core/exec";
import { CELLS_DIR, MANIFEST_FILE, readCellFile, withPortableArtifacts } from "../../core/results/read";
import { runIdProblem } from "../../core/results/runId";
import { type CellResult, CellResultSchema, type Manifest, ManifestSchema } from "../../core/results/schema";
import { liveHolderOf } from "./lock";

/**
 * Writing a results folder (reading it is core/results/read.ts). The layout, shared by the local
 * runner and the Pulumi lab's pull-back:
 *   <root>/<runId>/manifest.json       what was run, where, with which versions
 *   <root>/<runId>/cells/<id>.json     one result per cell
 *   <root>/<runId>/cells/<id>/         the cell's raw files (scripts, logs, load summary, samples)
 *   <root>/<runId>/cells/<id>.json.lab-error, <id>.lab-error/   a lab-error a resume ran again
 *   <root>/<runId>/active/<name>       cleanup scripts of instances that may still be running
 */
export const ACTIVE_DIR = "active";

/** Make a new run folder; refuses an existing one, so a previous run is never overwritten. */
export function createRunDir(root: string, runId: string): string {
  const problem = runIdProblem(runId);
  if (problem) throw new InputError(problem);
  mkdirSync(root, { recursive: true });
  const dir = join(root, runId);
  try {
    mkdirSync(dir); // not recursive: fails with EEXIST instead of reusing a run
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new InputError(`${dir} already exists: a run is never overwritten (use --resume ${runId} to finish it)`);
    }
    throw error;
  }
  mkdirSync(join(dir, CELLS_DIR));
  mkdirSync(join(dir, ACTIVE_DIR));
  return dir;
}

/** Write via a temporary file and rename, so a reader or a crash never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (error) {
    // A full disk leaves half a temporary file: remove it, the target is untouched.
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** A full disk or a read-only filesystem, wherever the write was. */
const NO_SPACE = ["ENOSPC", "EDQUOT", "EROFS"];
/** Refused writes that are the storage's fault only when they name a path under the results root. */
const REFUSED = ["EACCES", "EPERM", "EIO"];
/** A NO_SPACE code named in an error's text (one that wrapped the original into its message). */
const NO_SPACE_IN_TEXT = new RegExp(`\\b(${NO_SPACE.join("|")})\\b`);

/**
 * What is wrong with the results storage when `error` is a failed write (a full disk, a read-only
 * or unwritable results folder under `resultsRoot`), else null. Looks through causes, and into
 * the text of errors that wrapped one into their message (a load generator's failed log).
 */
export function storageProblem(error: unknown, resultsRoot: string): string | null {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const { code, path } = e as NodeJS.ErrnoException;
    if (code && NO_SPACE.includes(code)) return e.message;
    if (code && REFUSED.includes(code) && path?.startsWith(resultsRoot)) return e.message;
    if (NO_SPACE_IN_TEXT.test(e.message)) return e.message.split("\n")[0] ?? e.message;
  }
  return null;
}

/**
 * The storage problem behind a failure: named by the error itself, or found by writing a probe
 * into `runDir` (a full disk often shows first as a tool's output file that came out empty).
 */
export function storageFault(error: unknown, runDir: string, resultsRoot: string): string | null {
  const named = storageProblem(error, resultsRoot);
  if (named !== null) return named;
  const probe = join(runDir, `.write-probe.${process.pid}`);
  try {
    writeFileSync(probe, Buffer.alloc(64 * 1024));
    return null;
  } catch (probeError) {
    return storageProblem(probeError, resultsRoot);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Artifact paths are recorded relative to the repository, so the folder reads the same anywhere. */
export function writeManifest(runDir: string, manifest: Manifest): void {
  writeJsonAtomic(join(runDir, MANIFEST_FILE), withPortableArtifacts(ManifestSchema.parse(manifest)));
}

export function cellRawDir(runDir: string, cellId: string): string {
  return join(runDir, CELLS_DIR, cellId);
}

/**
 * Record a finished cell. A cell already recorded is never replaced. A file in its place that is
 * no result (truncated, not JSON, not this cell) recorded nothing: it is kept beside, renamed
 * `<id>.json.unreadable`, and the new result takes its place. Returns the kept file, if any.
 */
export function writeCellResult(runDir: string, result: CellResult): string | undefined {
  const path = join(runDir, CELLS_DIR, `${result.id}.json`);
  let kept: string | undefined;
  if (existsSync(path)) {
    if (readsAsCell(path, result.id)) throw new Error(`${path} exists: a recorded cell is never overwritten`);
    kept = `${path}.unreadable`;
    for (let n = 2; existsSync(kept); n++) kept = `${path}.unreadable-${n}`;
    renameSync(path, kept);
  }
  writeJsonAtomic(path, CellResultSchema.parse(result));
  return kept;
}

/**
 * Before a resume runs a recorded lab-error cell again: its record and raw files move beside,
 * `<id>.json.lab-error` and `<id>.lab-error/` (numbered when an earlier retry left one), so the new
 * attempt writes into an empty place and the failed one stays to read. Returns the kept record,
 * or undefined when the cell's place holds no lab-error.
 */
export function setAsideLabError(runDir: string, cellId: string): string | undefined {
  const path = join(runDir, CELLS_DIR, `${cellId}.json`);
  if (!existsSync(path)) return undefined;
  const read = readCellFile(path);
  if ("problem" in read || read.cell.cell.id !== cellId || read.cell.cell.status !== "lab-error") return undefined;
  const raw = cellRawDir(runDir, cellId);
  let suffix = ".lab-error";
  for (let n = 2; existsSync(`${path}${suffix}`) || existsSync(`${raw}${suffix}`); n++) suffix = `.lab-error-${n}`;
  if (existsSync(raw)) renameSync(raw, `${raw}${suffix}`);
  renameSync(path, `${path}${suffix}`);
  return `${path}${suffix}`;
}

/** Whether `path` holds a sound result (the reader's rule: the one a resume skips). */
function readsAsCell(path: string, id: string): boolean {
  const read = readCellFile(path);
  return !("problem" in read) && read.cell.mismatches.length === 0 && read.cell.cell.id === id;
}

/** Note an instance that is about to run, with the script that removes it. */
export function markActive(runDir: string, instanceName: string, cleanupScript: string): void {
  writeFileSync(join(runDir, ACTIVE_DIR, instanceName), `${cleanupScript}\n`);
}

export function clearActive(runDir: string, instanceName: string): void {
  rmSync(join(runDir, ACTIVE_DIR, instanceName), { force: true });
}

/**
 * Remove instances an earlier runner left behind (it was killed before it could clean up):
 * each active marker names the cleanup script of one instance. Returns what was cleaned.
 */
export async function cleanLeftovers(root: string): Promise<{ runId: string; instance: string }[]> {
  const cleaned: { runId: string; instance: string }[] = [];
  if (!existsSync(root)) return cleaned;
  for (const runId of readdirSync(root)) {
    const activeDir = join(root, runId, ACTIVE_DIR);
    if (!existsSync(activeDir)) continue;
    // A run another live lab holds: its markers are its running instances, not leftovers.
    if (liveHolderOf(join(root, runId))) continue;
    for (const name of readdirSync(activeDir)) {
      const script = readFileSync(join(activeDir, name), "utf8").trim();
      if (existsSync(script)) await run("bash", [script], { timeoutMs: 60_000 }).catch(() => undefined);
      rmSync(join(activeDir, name), { force: true });
      cleaned.push({ runId, instance: name });
    }
  }
  return cleaned;
}
