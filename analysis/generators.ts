/** Cross-checked cells: the two generators' ok throughputs side by side, with their flags. */
import type { CellResult } from "../core/results/schema";

export interface CrossCheckRow {
  cell: string;
  first: string;
  second: string;
  /** |a - b| / max(a, b) in percent, or "–". */
  gap: string;
  verdict: string;
}

function side(generator: string, okRps: number, failed: number, bound: boolean): string {
  const failures = failed > 0 ? `, ${failed} failed` : "";
  return `${generator} ${Math.round(okRps)} ok req/s${failures}${bound ? " (generator-bound)" : ""}`;
}

export function crossCheckRows(cells: readonly CellResult[]): CrossCheckRow[] {
  const byName = [...cells].sort((a, b) => a.name.localeCompare(b.name));
  return byName.flatMap((cell) => {
    const cross = cell.crossCheck;
    if (!cell.load || !cross) return [];
    const firstBound = cell.generator?.bound ?? false;
    return [
      {
        cell: cell.name,
        first: side(cell.load.generator, cell.load.okThroughputRps, cell.load.failedRequests, firstBound),
        second: side(
          cross.load.generator,
          cross.load.okThroughputRps,
          cross.load.failedRequests,
          cross.generator.bound,
        ),
        gap: cross.gap === null ? "–" : `${Math.round(100 * cross.gap)}%`,
        verdict: cross.disagrees
          ? "disagree (over 10%, neither generator-bound)"
          : firstBound || cross.generator.bound
            ? "not comparable: a generator was the bottleneck"
            : "agree",
      },
    ];
  });
}
