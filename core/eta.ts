import type { Cell } from "./matrix";

/**
 * Seconds a cell should take, for an ETA: the platform's start cost (each platform declares its
 * own: `startCostS` in lab/platforms/), the launches of a start-up cell, or warm-up and load.
 * Shared by the runner's ETA and the Pulumi plan's hours and cost.
 */
export function estimateCellSeconds(cell: Cell, startSeconds: number): number {
  if (cell.spec.workload === "startup") return (cell.spec.ttr?.launches ?? 0) * (startSeconds + 0.5) + 1;
  const load = cell.spec.load;
  return startSeconds + (load ? load.warmupS + load.durationS : 0) + 3;
}
