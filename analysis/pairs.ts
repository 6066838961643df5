/**
 * How the host pairs of a Pulumi run agree (edge-lab:pairs > 1): every pair ran the same
 * calibration cell; the owner's run is in cells/, the others' in calibration/pair-<k>/cells/.
 * One row per pair with the cell's throughput and latency and the difference from the owner's,
 * so a reader sees whether cells measured on different pairs can be compared.
 *
 *   npx tsx analysis/pairs.ts results/<stack>/<runId>
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { InputError } from "../core/config/errors";
import { readCellFile, readPairCalibrations } from "../core/results/read";
import type { CellResult } from "../core/results/schema";
import { markdownTable } from "./table";
import { hostPairsTable } from "./tables";

export interface PairRow {
  pair: number;
  /** Where the row comes from, relative to the run folder. */
  file: string;
  status: string;
  throughputRps: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Throughput relative to the pair that owns the cell, in percent (0 for the owner). */
  throughputDeltaPct: number | null;
}

export interface PairAgreement {
  cellId: string;
  cellName: string;
  rows: PairRow[];
}

/** Through the one reader: a broken file is an error naming it. */
function read(path: string): CellResult {
  const got = readCellFile(path);
  if ("problem" in got) throw new InputError(got.problem);
  return got.cell.cell;
}

/** The calibration cell on every pair of a run folder; null when the run has no calibration (one pair). */
export function pairAgreement(runDir: string): PairAgreement | null {
  const others = readPairCalibrations(runDir).flatMap(({ pair, read: cells }) => {
    // A broken file is an error naming it, as every read of a cell is.
    if (cells.broken[0] !== undefined) throw new InputError(cells.broken[0]);
    return cells.cells.map((c) => ({ pair, file: relative(runDir, c.file), cell: c.cell }));
  });
  const first = others[0];
  if (!first) return null;
  const id = first.cell.id;
  const ownerFile = join("cells", `${id}.json`);
  const owner = existsSync(join(runDir, ownerFile)) ? read(join(runDir, ownerFile)) : null;
  const rowOf = (pair: number, file: string, cell: CellResult): PairRow => {
    const rps = cell.load?.throughputRps ?? null;
    const base = owner?.load?.throughputRps ?? null;
    return {
      pair,
      file,
      status: cell.status,
      throughputRps: rps,
      p50Ms: cell.load?.latencyMs.p50 ?? null,
      p99Ms: cell.load?.latencyMs.p99 ?? null,
      throughputDeltaPct: rps !== null && base ? Math.round(((rps - base) / base) * 1000) / 10 : null,
    };
  };
  const rows = [
    ...(owner ? [rowOf(owner.pair ?? 1, ownerFile, owner)] : []),
    ...others.filter((o) => o.cell.id === id).map((o) => rowOf(o.pair, o.file, o.cell)),
  ].sort((a, b) => a.pair - b.pair);
  return { cellId: id, cellName: owner?.name ?? first.cell.name, rows };
}

/** A Markdown table of the agreement. */
export function pairAgreementMarkdown(a: PairAgreement): string {
  return [
    `Calibration cell \`${a.cellName}\` (${a.cellId}) on every host pair:`,
    "",
    markdownTable(hostPairsTable(a)),
  ].join("\n");
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: npx tsx analysis/pairs.ts results/<stack>/<runId>\n");
    process.exit(2);
  }
  const agreement = pairAgreement(dir);
  process.stdout.write(
    agreement ? `${pairAgreementMarkdown(agreement)}\n` : `${dir}: no calibration/ folder (a run on one host pair)\n`,
  );
}
