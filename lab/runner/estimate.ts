/**
 * The sweep's running estimate, for the console. The ETA model (core/eta.ts) prices each cell by
 * what one instance of its platform costs: measured by the run's trial instance where it has one,
 * the platform's declared cost otherwise. The estimate is announced once the trials have said which
 * platforms run; after each cell the cells left are priced again at the pace so far, and a
 * projection that moved more than a quarter from the last announced one is said as such.
 */

import { estimateCellSeconds } from "../../core/eta";
import type { CrossCheckSelection } from "../../core/load/crossCheck";
import type { Cell } from "../../core/matrix";
import { declaredStartCostS } from "../platforms/registry";

/** A projection this far (as a share) from the announced total is announced again. */
export const REVISE_SHARE = 0.25;
/**
 * Seconds of "as estimated" the pace starts from: the first cells (a 0.2 s native launch) move it
 * a little, a sweep's worth of cells moves it fully.
 */
const PACE_PRIOR_S = 60;

export interface EstimateOptions {
  /** The declared instance cost by platform (the registry's, unless a test says otherwise). */
  declared?: (platform: string) => number;
  /** The sweep's cross-check: its cells are loaded twice. */
  crossCheck?: CrossCheckSelection | null;
  /** Seconds on a monotonic clock (tests pass their own). */
  now?: () => number;
}

export class SweepEstimate {
  private readonly measured = new Map<string, number>();
  private readonly declared: (platform: string) => number;
  private readonly now: () => number;
  private crossCheck: CrossCheckSelection | null;
  private spentS = 0;
  private estimatedDoneS = 0;
  private announced: { atS: number; totalS: number } | null = null;

  constructor(options: EstimateOptions = {}) {
    this.declared = options.declared ?? declaredStartCostS;
    this.crossCheck = options.crossCheck ?? null;
    this.now = options.now ?? (() => performance.now() / 1000);
  }

  /** One instance of `platform` took `seconds` here (its trial): its cells are priced by it from now on. */
  measuredInstance(platform: string, seconds: number): void {
    this.measured.set(platform, seconds);
  }

  /** The sweep's cross-check selection, once the generators are decided. */
  crossChecking(selection: CrossCheckSelection | null): void {
    this.crossCheck = selection;
  }

  /** Whether `platform`'s cells are priced by a measurement of this run. */
  isMeasured(platform: string): boolean {
    return this.measured.has(platform);
  }

  /** The model's seconds for one cell, before any pace. */
  cellSeconds(cell: Cell): number {
    const instanceS = this.measured.get(cell.spec.platform) ?? this.declared(cell.spec.platform);
    return estimateCellSeconds(cell, instanceS, this.crossCheck);
  }

  /** The model's seconds for these cells, before any pace. */
  seconds(cells: readonly Cell[]): number {
    return cells.reduce((sum, cell) => sum + this.cellSeconds(cell), 0);
  }

  /** The estimate said on the console: `totalS` from now. Later projections are compared with it. */
  announce(totalS: number): void {
    this.announced = { atS: this.now(), totalS };
  }

  /** A cell ran and took `wallS`. */
  ran(cell: Cell, wallS: number): void {
    this.spentS += wallS;
    this.estimatedDoneS += this.cellSeconds(cell);
  }

  /** Seconds the cells still to run should take at the pace so far. */
  remainingS(cells: readonly Cell[]): number {
    const pace = (this.spentS + PACE_PRIOR_S) / (this.estimatedDoneS + PACE_PRIOR_S);
    return this.seconds(cells) * pace;
  }

  /**
   * After a cell: when the time since the announcement plus what is left differs from the announced
   * total by more than REVISE_SHARE, the new total becomes the announced one and is returned.
   */
  revised(runnable: readonly Cell[]): { totalS: number; wasS: number; leftS: number } | null {
    if (this.announced === null) return null;
    const leftS = this.remainingS(runnable);
    const totalS = this.now() - this.announced.atS + leftS;
    const wasS = this.announced.totalS;
    if (Math.abs(totalS - wasS) <= REVISE_SHARE * wasS) return null;
    this.announced = { atS: this.announced.atS, totalS };
    return { totalS, wasS, leftS };
  }
}
