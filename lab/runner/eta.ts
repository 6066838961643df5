import type { Cell } from "../../core/matrix";
import { getPlatform, isPlatform } from "../platforms/registry";

/** Seconds a cell should take, for the plan's ETA (refined by the measured pace as cells finish). */
export function estimateCellSeconds(cell: Cell): number {
  const startSeconds = isPlatform(cell.spec.platform) ? getPlatform(cell.spec.platform).startCostS : 1;
  if (cell.spec.workload === "startup") return (cell.spec.ttr?.launches ?? 0) * (startSeconds + 0.5) + 1;
  const load = cell.spec.load;
  return startSeconds + (load ? load.warmupS + load.durationS : 0) + 3;
}
