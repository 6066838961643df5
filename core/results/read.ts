/**
 * The one reader of a results folder:
 *   <runDir>/manifest.json       what was planned, where, with which versions
 *   <runDir>/cells/<id>.json     one result per cell
 *   <runDir>/calibration/        the generators' ceiling runs, and (the Pulumi lab with several host
 *                                pairs) pair-<k>/cells/<id>.json: the calibration cell as pair k ran it
 * Every user reads through here: the runner (which cells a resume skips), the validator, the
 * report and the Pulumi lab's scripts (through the lab CLI). Each problem names the file and what
 * is wrong with it; a truncated or unparsable cell file is reported by name and the other cells
 * are still read.
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describeIssues, InputError } from "../config/errors";
import { cellId } from "../matrix";
import { portableArtifactRef } from "./artifactRefs";
import { isFloorProbe } from "./floorProbes";
import { type CellResult, CellResultSchema, type CellStatus, type Manifest, ManifestSchema } from "./schema";

export const MANIFEST_FILE = "manifest.json";
export const CELLS_DIR = "cells";
export const CALIBRATION_DIR = "calibration";

/** Where host pair `pair` keeps its run of the calibration cell, in a run folder. */
export function pairCalibrationDir(runDir: string, pair: number): string {
  return join(runDir, CALIBRATION_DIR, `pair-${pair}`);
}

/** At most this many schema problems are named per file: the first ones say what kind of file it is. */
const SHOWN_ISSUES = 3;

/** A JSON file's content, or what is wrong with it ("is empty", "is not valid JSON, ..."), to follow its name. */
export function parseJsonFile(path: string): { data: unknown } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  if (text.trim() === "") return { problem: "is empty (a write that never finished?)" };
  try {
    return { data: JSON.parse(text) };
  } catch (error) {
    return { problem: `is not valid JSON, truncated or damaged (${(error as Error).message})` };
  }
}

function schemaProblem(issues: Parameters<typeof describeIssues>[0], data: unknown): string {
  const lines = describeIssues(issues, data);
  const more = lines.length > SHOWN_ISSUES ? `; and ${lines.length - SHOWN_ISSUES} more` : "";
  return `${lines.slice(0, SHOWN_ISSUES).join("; ")}${more}`;
}

/**
 * A run folder's manifest, checked against the schema. Artifact refs of older manifests
 * (absolute paths of the machine that ran them) come back relative to the repository.
 * Throws an InputError naming the folder and what is wrong.
 */
export function readManifest(runDir: string): Manifest {
  if (!existsSync(runDir)) throw new InputError(`${runDir} is not a run folder: it does not exist`);
  if (!statSync(runDir).isDirectory()) throw new InputError(`${runDir} is not a run folder: it is a file`);
  const path = join(runDir, MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new InputError(
      `${runDir} is not a run folder: ${MANIFEST_FILE} is missing (expected <results>/<runId>/${MANIFEST_FILE})`,
    );
  }
  const read = parseJsonFile(path);
  if ("problem" in read) throw new InputError(`${runDir} is not a usable run folder: ${MANIFEST_FILE} ${read.problem}`);
  const parsed = ManifestSchema.safeParse(read.data, { reportInput: true });
  if (!parsed.success) {
    throw new InputError(
      `${runDir} is not a usable run folder: ${MANIFEST_FILE}: ${schemaProblem(parsed.error.issues, read.data)}`,
    );
  }
  return withPortableArtifacts(parsed.data);
}

/** The manifest as it is written: artifact refs relative to the repository (see artifactRefs.ts). */
export function withPortableArtifacts(manifest: Manifest): Manifest {
  return {
    ...manifest,
    artifacts: manifest.artifacts.map((a) =>
      typeof a.ref === "string" ? { ...a, ref: portableArtifactRef(a.ref) } : a,
    ),
  };
}

/** A cell result that passed the schema, with what does not line up about it (nothing, normally). */
export interface RecordedCell {
  /** The file it was read from. */
  file: string;
  cell: CellResult;
  /** The file name is not the id, or the id is not the hash of the spec: each names the file. */
  mismatches: string[];
}

export interface CellsRead {
  /** Cells that pass the schema, in file-name order (sound ones have no mismatches). */
  cells: RecordedCell[];
  /** Files that could not be used at all (unreadable, truncated, not the schema): each names the file. */
  broken: string[];
}

/** One cell file: the cell, or why it cannot be used. */
export function readCellFile(path: string): { cell: RecordedCell } | { problem: string } {
  const read = parseJsonFile(path);
  if ("problem" in read) return { problem: `${path} ${read.problem}` };
  const parsed = CellResultSchema.safeParse(read.data, { reportInput: true });
  if (!parsed.success) {
    return {
      problem: `${path} is not a cell result: ${schemaProblem(parsed.error.issues, read.data)}`,
    };
  }
  const cell = parsed.data;
  const mismatches: string[] = [];
  const name = path.split(/[\\/]/).pop() ?? path;
  if (name !== `${cell.id}.json`) mismatches.push(`${path} holds cell ${cell.id} (${cell.name}), not ${name}`);
  const expected = cellId(cell.spec);
  if (expected !== cell.id) {
    mismatches.push(`${path}: id ${cell.id} does not match its spec (the spec's id is ${expected})`);
  }
  return { cell: { file: path, cell, mismatches } };
}

/** Every cells/*.json of a run folder (none when the folder has no cells/ yet). */
export function readCells(runDir: string): CellsRead {
  const dir = join(runDir, CELLS_DIR);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
  const out: CellsRead = { cells: [], broken: [] };
  for (const file of files) {
    const read = readCellFile(join(dir, file));
    if ("problem" in read) out.broken.push(read.problem);
    else out.cells.push(read.cell);
  }
  return out;
}

/** Cells whose file, id and spec agree: what a run has truly recorded (a resume skips these). */
export function soundCells(read: CellsRead): CellResult[] {
  return read.cells.filter((c) => c.mismatches.length === 0).map((c) => c.cell);
}

/** Ids of the cells a run has truly recorded: a resume runs every other planned cell. */
export function recordedCellIds(runDir: string): Set<string> {
  return new Set(soundCells(readCells(runDir)).map((c) => c.id));
}

export interface RunFolder extends CellsRead {
  dir: string;
  manifest: Manifest;
  /** Planned cells (by id and name) with no sound result yet: an interrupted run. */
  missing: { id: string; name: string }[];
  /** Recorded cells the manifest did not plan: each names the cell. */
  unplanned: string[];
}

/** The manifest and every cell of a run folder, with what is missing and what was not planned. */
export function readRunFolder(runDir: string): RunFolder {
  const manifest = readManifest(runDir);
  const read = readCells(runDir);
  const sound = new Set(soundCells(read).map((c) => c.id));
  const planned = new Set(manifest.cells.map((c) => c.id));
  // A floor search plans its scenarios; its other probes are decided as it runs.
  const floor = manifest.profile.floor !== undefined;
  const plannedList = manifest.cells.map((c) => c.name);
  // Adaptive repetitions (the profile's `adaptive`) add repetitions of planned scenarios, up to its maximum.
  const plannedNames = new Set(plannedList);
  const maxRepetitions = manifest.profile.adaptive?.maxRepetitions ?? 0;
  const added = (cell: CellResult) =>
    cell.spec.repetition <= maxRepetitions && plannedNames.has(cell.name.replace(/-r\d+$/, "-r1"));
  return {
    dir: runDir,
    manifest,
    ...read,
    missing: manifest.cells.filter((c) => !sound.has(c.id)),
    unplanned: read.cells
      .filter((c) => !planned.has(c.cell.id) && !added(c.cell) && !(floor && isFloorProbe(c.cell.name, plannedList)))
      .map((c) => `${c.file}: cell ${c.cell.name} (${c.cell.id}) is not in the manifest`),
  };
}

/** The calibration cell as the other host pairs ran it (calibration/pair-<k>/cells/), by pair, read as any cells are. */
export function readPairCalibrations(runDir: string): { pair: number; dir: string; read: CellsRead }[] {
  const root = join(runDir, CALIBRATION_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => /^pair-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pair: Number(m[1]), dir: join(root, m[0]) }))
    .sort((a, b) => a.pair - b.pair)
    .map(({ pair, dir }) => ({ pair, dir, read: readCells(dir) }));
}

/** Cells by status, and `unreadable` for files that could not be used: { ok: 170, oom: 6 }. */
export function statusCounts(read: CellsRead): Partial<Record<CellStatus | "unreadable", number>> {
  const counts: Partial<Record<CellStatus | "unreadable", number>> = {};
  for (const { cell } of read.cells) counts[cell.status] = (counts[cell.status] ?? 0) + 1;
  if (read.broken.length > 0) counts.unreadable = read.broken.length;
  return counts;
}
