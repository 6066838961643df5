import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../core/config/errors";
import { run } from "../../core/exec";
import { CELLS_DIR, MANIFEST_FILE, withPortableArtifacts } from "../../core/results/read";
import { runIdProblem } from "../../core/results/runId";
import { type CellResult, CellResultSchema, type Manifest, ManifestSchema } from "../../core/results/schema";

/**
 * Writing a results folder (reading it is core/results/read.ts). The layout, shared by the local
 * runner and the Pulumi lab's pull-back:
 *   <root>/<runId>/manifest.json       what was run, where, with which versions
 *   <root>/<runId>/cells/<id>.json     one result per cell
 *   <root>/<runId>/cells/<id>/         the cell's raw files (scripts, logs, load summary, samples)
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
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Artifact paths are recorded relative to the repository, so the folder reads the same anywhere. */
export function writeManifest(runDir: string, manifest: Manifest): void {
  writeJsonAtomic(join(runDir, MANIFEST_FILE), withPortableArtifacts(ManifestSchema.parse(manifest)));
}

export function cellRawDir(runDir: string, cellId: string): string {
  return join(runDir, CELLS_DIR, cellId);
}

/** Record a finished cell. A cell already recorded is never replaced. */
export function writeCellResult(runDir: string, result: CellResult): void {
  const path = join(runDir, CELLS_DIR, `${result.id}.json`);
  if (existsSync(path)) throw new Error(`${path} exists: a recorded cell is never overwritten`);
  writeJsonAtomic(path, CellResultSchema.parse(result));
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
 * each active marker names the cleanup script of one instance. Returns the names cleaned.
 */
export async function cleanLeftovers(root: string): Promise<string[]> {
  const cleaned: string[] = [];
  if (!existsSync(root)) return cleaned;
  for (const runId of readdirSync(root)) {
    const activeDir = join(root, runId, ACTIVE_DIR);
    if (!existsSync(activeDir)) continue;
    for (const name of readdirSync(activeDir)) {
      const script = readFileSync(join(activeDir, name), "utf8").trim();
      if (existsSync(script)) await run("bash", [script], { timeoutMs: 60_000 }).catch(() => undefined);
      rmSync(join(activeDir, name), { force: true });
      cleaned.push(name);
    }
  }
  return cleaned;
}
