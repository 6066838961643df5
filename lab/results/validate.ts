import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cellId } from "../../core/matrix";
import { type CellResult, CellResultSchema } from "../../core/results/schema";
import { CELLS_DIR, readManifest } from "./store";

export interface RunValidation {
  runId: string;
  /** Problems that make the folder untrustworthy: broken files, ids that do not match specs. */
  problems: string[];
  /** Planned cells with no result yet (an interrupted run; `--resume` finishes it). */
  missing: string[];
  cells: CellResult[];
}

/**
 * Check a results folder the way the report will read it: the manifest, every cell file
 * against the schema, each id against the hash of its spec, and the raw folder of every cell
 * that ran. A broken file is named and the others are still returned.
 */
export function validateRun(runDir: string): RunValidation {
  const manifest = readManifest(runDir);
  const problems: string[] = [];
  const cells: CellResult[] = [];
  const dir = join(runDir, CELLS_DIR);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
  for (const file of files.sort()) {
    const path = join(dir, file);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      problems.push(`${path}: not JSON (${(error as Error).message})`);
      continue;
    }
    const parsed = CellResultSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problems.push(`${path}: ${issue?.path.join(".") || "(top level)"}: ${issue?.message}`);
      continue;
    }
    const cell = parsed.data;
    if (`${cell.id}.json` !== file) problems.push(`${path}: holds cell ${cell.id}`);
    if (cellId(cell.spec) !== cell.id) problems.push(`${path}: id ${cell.id} does not match its spec`);
    if (cell.status !== "skipped" && !existsSync(join(runDir, cell.rawDir))) {
      problems.push(`${path}: raw folder ${cell.rawDir} is missing`);
    }
    cells.push(cell);
  }
  const recorded = new Set(cells.map((c) => c.id));
  const missing = manifest.cells.filter((c) => !recorded.has(c.id)).map((c) => c.name);
  const planned = new Set(manifest.cells.map((c) => c.id));
  for (const cell of cells.filter((c) => !planned.has(c.id))) {
    problems.push(`cell ${cell.name} (${cell.id}) is not in the manifest`);
  }
  return { runId: manifest.runId, problems, missing, cells };
}
