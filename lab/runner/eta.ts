import { estimateCellSeconds as cellSeconds } from "../../core/eta";
import type { Cell } from "../../core/matrix";
import { platformStartSeconds } from "../platforms/registry";

/** Seconds a cell should take, for the plan's ETA (refined by the measured pace as cells finish). */
export function estimateCellSeconds(cell: Cell): number {
  return cellSeconds(cell, platformStartSeconds(cell.spec.platform));
}
