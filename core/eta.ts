/**
 * The ETA model, one for the local runner's console and the Pulumi plan's hours and cost: seconds a
 * cell should take, from its spec and what one instance of its platform costs (prepare, launch until
 * ready, stop). The caller says which instance cost: the platform's declared `startCostS` before
 * anything ran, the run's own trial instance once it has one. A load cell pays one instance and its
 * load (twice when cross-checked: the second generator loads the same instance right after); a
 * startup cell pays one instance per launch.
 */
import { type CrossCheckSelection, selectsCell } from "./load/crossCheck";
import type { Cell } from "./matrix";

/**
 * Seconds of a load cell besides its instance and its load: the generator's own start, the
 * contract check, the footprint sampler, recording the result (0.1-0.2 s measured here).
 */
const LOAD_CELL_FIXED_S = 0.2;
/** Seconds of a startup cell besides its launches (its folder, recording the result). */
const STARTUP_CELL_FIXED_S = 0.1;

export function estimateCellSeconds(
  cell: Cell,
  instanceS: number,
  crossCheck: CrossCheckSelection | null = null,
): number {
  const { spec } = cell;
  if (spec.workload === "startup") return (spec.ttr?.launches ?? 0) * instanceS + STARTUP_CELL_FIXED_S;
  const loadS = spec.load ? spec.load.warmupS + spec.load.durationS : 0;
  const loads = crossCheck && selectsCell(crossCheck, spec) ? 2 : 1;
  return instanceS + loads * loadS + LOAD_CELL_FIXED_S;
}
