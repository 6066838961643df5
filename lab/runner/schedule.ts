/**
 * Which cell runs next: the one seam between the plan and the sweep's loop (runCells.ts). The loop
 * asks its schedule for a cell, records that cell's result, and asks again with every result of the
 * sweep so far; it stops when the schedule has none left. An order (the matrix order here; a
 * shuffled, interleaved one from a recorded seed), repetitions added until an interval is narrow,
 * or a search whose probes are ordinary cells (a memory floor) is each a schedule: the loop, the
 * results, resume and the fault handling stay as they are.
 */
import type { Cell } from "../../core/matrix";
import type { CellResult } from "../../core/results/schema";

export interface CellSchedule {
  /**
   * The next cell, given this sweep's results so far in the order they were recorded (the results
   * of earlier invocations are the schedule's to know from its construction); null: the sweep is
   * done. Each cell it returns gets exactly one result before it is asked again, unless the sweep
   * stops.
   */
  next(ran: readonly CellResult[]): Cell | null;
  /** The cells it still expects to run after `ran`, in order: what the progress count and the ETA count. */
  pending(ran: readonly CellResult[]): readonly Cell[];
}

/** The cells in the order given (the matrix's), each once. */
export function inOrder(cells: readonly Cell[]): CellSchedule {
  const pending = (ran: readonly CellResult[]) => {
    const done = new Set(ran.map((r) => r.id));
    return cells.filter((c) => !done.has(c.id));
  };
  return {
    next: (ran) => pending(ran)[0] ?? null,
    pending,
  };
}
