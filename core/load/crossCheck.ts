/**
 * Cross-checks: chosen cells are loaded by a second generator right after the first, on the same
 * instance. Two generators that agree describe the app; a gap above 10% where neither was
 * generator-bound says one of them measures something else (its own limits, its timing model).
 */
import { z } from "zod";
import { WorkloadNameSchema } from "../model";
import { GENERATORS } from "./types";

/** Above this relative gap between the two ok throughputs a cross-check disagrees. */
export const CROSS_CHECK_TOLERANCE = 0.1;

/** Which cells a profile cross-checks, and with which generator. */
export const CrossCheckSelectionSchema = z
  .object({
    generator: z.enum(GENERATORS),
    /** Limit to these values; an absent field selects every value. */
    runtimes: z.array(z.string()).min(1).optional(),
    platforms: z.array(z.string()).min(1).optional(),
    workloads: z.array(WorkloadNameSchema).min(1).optional(),
    memoryMB: z.array(z.number().int().positive()).min(1).optional(),
  })
  .strict();
export type CrossCheckSelection = z.output<typeof CrossCheckSelectionSchema>;

/** True when the selection picks a cell with these settings (startup cells are never loaded). */
export function selectsCell(
  selection: CrossCheckSelection,
  cell: { runtime: string; platform: string; workload: string; memoryMB: number },
): boolean {
  if (cell.workload === "startup") return false;
  const allows = <T>(values: readonly T[] | undefined, value: T) => values === undefined || values.includes(value);
  return (
    allows(selection.runtimes, cell.runtime) &&
    allows(selection.platforms, cell.platform) &&
    allows(selection.workloads, cell.workload) &&
    allows(selection.memoryMB, cell.memoryMB)
  );
}

export interface Agreement {
  /** |a - b| / max(a, b) of the ok throughputs; null when both are 0. */
  gap: number | null;
  /** The gap is above the tolerance and neither run was generator-bound. */
  disagrees: boolean;
}

export function compareThroughputs(
  first: { okThroughputRps: number; generatorBound: boolean },
  second: { okThroughputRps: number; generatorBound: boolean },
): Agreement {
  const top = Math.max(first.okThroughputRps, second.okThroughputRps);
  const gap = top > 0 ? Math.abs(first.okThroughputRps - second.okThroughputRps) / top : null;
  const eitherBound = first.generatorBound || second.generatorBound;
  return { gap, disagrees: gap !== null && gap > CROSS_CHECK_TOLERANCE && !eitherBound };
}
