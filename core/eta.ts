/**
 * The ETA model, one for the local runner's console and the Pulumi plan's hours and cost: seconds a
 * cell should take, from its spec and its platform's start cost. The caller says which start cost:
 * the platform's declared `startCostS` before anything ran here, a measured one once the run has it.
 */
import type { Cell } from "./matrix";

/** Seconds of a cell outside its launches and its load (writing the instance's scripts, checks, the stop). */
const CELL_FIXED_S = 3;
/** Seconds per launch of a startup cell beyond the start itself (the stop between launches). */
const LAUNCH_FIXED_S = 0.5;

export function estimateCellSeconds(cell: Cell, startCostS: number): number {
  if (cell.spec.workload === "startup") return (cell.spec.ttr?.launches ?? 0) * (startCostS + LAUNCH_FIXED_S) + 1;
  const load = cell.spec.load;
  return startCostS + (load ? load.warmupS + load.durationS : 0) + CELL_FIXED_S;
}
