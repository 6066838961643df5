import { existsSync } from "node:fs";
import { join } from "node:path";
import { readRunFolder } from "../../core/results/read";
import type { CellResult } from "../../core/results/schema";

export interface RunValidation {
  runId: string;
  /** Problems that make the folder untrustworthy: broken files, ids that do not match specs. */
  problems: string[];
  /** Planned cells with no result yet (an interrupted run; `--resume` finishes it). */
  missing: string[];
  cells: CellResult[];
}

/**
 * Check a results folder the way the report will read it (core/results/read.ts): the manifest,
 * every cell file against the schema, each id against the hash of its spec, and the raw folder of
 * every cell that ran. A broken file is named and the others are still returned.
 */
export function validateRun(runDir: string): RunValidation {
  const run = readRunFolder(runDir);
  const problems = [...run.broken, ...run.cells.flatMap((c) => c.mismatches), ...run.unplanned];
  for (const { file, cell } of run.cells) {
    if (cell.status !== "skipped" && !existsSync(join(runDir, cell.rawDir))) {
      problems.push(`${file}: raw folder ${cell.rawDir} is missing`);
    }
  }
  return {
    runId: run.manifest.runId,
    problems,
    missing: run.missing.map((c) => c.name),
    cells: run.cells.map((c) => c.cell),
  };
}
