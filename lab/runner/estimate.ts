/**
 * The sweep's running estimate, for the console: the ETA model (core/eta.ts) over the cells still
 * to run, scaled by the pace measured so far (seconds spent over seconds estimated for the cells
 * that ran).
 */
import { estimateCellSeconds } from "../../core/eta";
import type { Cell } from "../../core/matrix";
import { declaredStartCostS } from "../platforms/registry";

export class SweepEstimate {
  private spentS = 0;
  private estimatedDoneS = 0;

  constructor(private readonly startCostS: (platform: string) => number = declaredStartCostS) {}

  /** The model's seconds for one cell, before any pace. */
  cellSeconds(cell: Cell): number {
    return estimateCellSeconds(cell, this.startCostS(cell.spec.platform));
  }

  /** The model's seconds for these cells, before any pace. */
  seconds(cells: readonly Cell[]): number {
    return cells.reduce((sum, cell) => sum + this.cellSeconds(cell), 0);
  }

  /** A cell ran and took `wallS`. */
  ran(cell: Cell, wallS: number): void {
    this.spentS += wallS;
    this.estimatedDoneS += this.cellSeconds(cell);
  }

  /** Seconds the cells still to run should take at the pace so far. */
  remainingS(cells: readonly Cell[]): number {
    const pace = this.estimatedDoneS > 0 ? this.spentS / this.estimatedDoneS : 1;
    return this.seconds(cells) * pace;
  }
}
