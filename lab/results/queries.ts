/**
 * What the Pulumi lab's scripts ask of a results folder, answered through the one reader
 * (core/results/read.ts) and printed by the lab CLI (`npm run lab -- <query>`), so no script
 * carries a program of its own: whether a fixed run id still plans the same cells, one cell's
 * outcome as a line of JSON, the cells by status, the artifacts' sizes, and the merge of a host
 * pair's cells into the run folder.
 */
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { InputError } from "../../core/config/errors";
import type { Cell } from "../../core/matrix";
import { RuntimeNameSchema } from "../../core/model";
import { portableArtifactRef } from "../../core/results/artifactRefs";
import {
  CELLS_DIR,
  MANIFEST_FILE,
  pairCalibrationDir,
  parseJsonFile,
  readCellFile,
  readCells,
  readManifest,
  statusCounts,
} from "../../core/results/read";
import type { ArtifactRecord } from "../../workloads/artifacts/build";

/**
 * `new` when the run folder has no manifest yet (a folder without one is a plan that died half-way
 * and holds no result), `existing` when its manifest planned exactly these cells. Other cells under
 * the same run id (a changed revision or profile) are refused, with how many differ.
 */
export function planState(runDir: string, cells: readonly Cell[]): "new" | "existing" {
  if (!existsSync(join(runDir, MANIFEST_FILE))) return "new";
  const manifest = readManifest(runDir);
  const have = new Set(manifest.cells.map((c) => c.id));
  const absent = cells.filter((c) => !have.has(c.id));
  if (absent.length > 0 || have.size !== cells.length) {
    throw new InputError(
      `run ${manifest.runId} was planned with other cells (${absent.length} of ${cells.length} not in it, ${have.size} planned then): the revision or profile changed under the same run id; plan it under a new run id`,
    );
  }
  return "existing";
}

export interface CellSummary {
  id: string;
  name: string;
  status: string;
  flags: string[];
  pair: number | null;
}

/** One recorded cell's outcome; a missing or broken file is an error naming it. */
export function cellSummary(runDir: string, id: string): CellSummary {
  const path = join(runDir, CELLS_DIR, `${id}.json`);
  if (!existsSync(path)) throw new InputError(`${path} does not exist: cell ${id} has no result in ${runDir}`);
  const read = readCellFile(path);
  if ("problem" in read) throw new InputError(read.problem);
  const { cell, mismatches } = read.cell;
  if (mismatches.length > 0) throw new InputError(mismatches.join("; "));
  return { id: cell.id, name: cell.name, status: cell.status, flags: cell.flags, pair: cell.pair ?? null };
}

/** Cells by status ({ ok: 170, oom: 6 }); files that cannot be read count as `unreadable`. */
export function runCounts(runDir: string): Record<string, number> {
  return statusCounts(readCells(runDir));
}

/** The builder's manifest (build/artifacts/<revision>/manifest.json, workloads/artifacts/build.ts). */
const ArtifactManifestSchema = z.object({
  revision: z.string(),
  artifacts: z.array(
    z.object({
      runtime: RuntimeNameSchema,
      kind: z.string(),
      status: z.enum(["built", "inputs-only"]),
      ref: z.string(),
      size: z.object({ apparentBytes: z.number(), allocatedBytes: z.number().nullable() }).nullable(),
      builtWith: z.record(z.string(), z.string()),
      buildMs: z.number(),
      notes: z.array(z.string()),
    }),
  ),
});

/** What the artifact builder last built for a revision; an error names the file and the problem. */
export function readBuiltArtifacts(manifestPath: string): ArtifactRecord[] {
  if (!existsSync(manifestPath)) {
    throw new InputError(`${manifestPath} does not exist: no artifact was built for this revision yet`);
  }
  const read = parseJsonFile(manifestPath);
  if ("problem" in read) throw new InputError(`${manifestPath} ${read.problem}`);
  const parsed = ArtifactManifestSchema.safeParse(read.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `${manifestPath} is not an artifact manifest: ${issue?.path.join(".") || "(top level)"}: ${issue?.message}`,
    );
  }
  return parsed.data.artifacts;
}

export interface ArtifactSizeLine {
  runtime: string;
  kind: string;
  status: string;
  ref: string;
  apparentBytes: number | null;
  allocatedBytes: number | null;
}

/** Each artifact the builder recorded: kind, status, ref (relative to the repository) and sizes. */
export function artifactSizes(manifestPath: string): ArtifactSizeLine[] {
  return readBuiltArtifacts(manifestPath).map((a) => ({
    runtime: a.runtime,
    kind: a.kind,
    status: a.status,
    ref: portableArtifactRef(a.ref),
    apparentBytes: a.size?.apparentBytes ?? null,
    allocatedBytes: a.size?.allocatedBytes ?? null,
  }));
}

export interface PairMerge {
  /** One pair's copy of the run folder, as pulled from its SUT. */
  from: string;
  /** The run folder the pairs' cells land in. */
  into: string;
  /** The cells this pair owns. */
  cells: readonly string[];
  /** The calibration cell every pair runs (kept apart, under calibration/pair-<k>/), or null. */
  calibration: string | null;
  pair: number;
}

function copyCell(from: string, into: string, id: string): "copied" | "absent" | string {
  const file = join(from, CELLS_DIR, `${id}.json`);
  if (!existsSync(file)) return "absent";
  const read = readCellFile(file);
  if ("problem" in read) return read.problem;
  const { cell } = read.cell;
  mkdirSync(join(into, CELLS_DIR), { recursive: true });
  cpSync(file, join(into, CELLS_DIR, `${id}.json`));
  const raw = join(from, cell.rawDir);
  if (existsSync(raw)) {
    mkdirSync(dirname(join(into, cell.rawDir)), { recursive: true });
    cpSync(raw, join(into, cell.rawDir), { recursive: true });
  }
  return "copied";
}

/**
 * Each SUT holds the whole plan but only its own cells. Its cells (checked by the reader; a broken
 * file is named, not copied) go into the run folder, its run of the calibration cell to
 * calibration/pair-<k>/ beside it, and the manifest of the first pair merged.
 */
export function mergePair(merge: PairMerge): { merged: number; problems: string[] } {
  mkdirSync(merge.into, { recursive: true });
  if (!existsSync(join(merge.into, MANIFEST_FILE)) && existsSync(join(merge.from, MANIFEST_FILE))) {
    readManifest(merge.from); // a broken manifest stops the merge, naming the file
    cpSync(join(merge.from, MANIFEST_FILE), join(merge.into, MANIFEST_FILE));
  }
  const problems: string[] = [];
  let merged = 0;
  for (const id of merge.cells) {
    const outcome = copyCell(merge.from, merge.into, id);
    if (outcome === "copied") merged++;
    else if (outcome !== "absent") problems.push(outcome);
  }
  if (merge.calibration) {
    const outcome = copyCell(merge.from, pairCalibrationDir(merge.into, merge.pair), merge.calibration);
    if (outcome !== "copied" && outcome !== "absent") problems.push(outcome);
  }
  return { merged, problems };
}
