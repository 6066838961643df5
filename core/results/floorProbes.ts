/**
 * A floor search's probes (lab/runner/floor/) are cells its manifest cannot list beforehand: the
 * manifest lists each scenario's first probe, and every other probe is that scenario's cell at
 * another level and try. This is how a reader tells such a probe from a cell no plan made.
 */

import type { FloorSettings } from "../config/profile";

/** A cell's scenario: its name without its memory level and its try (go-docker-io-1cpu-*mb). */
export function floorScenarioKey(name: string): string {
  return name.replace(/-(\d+)cpu-\d+mb(?=-|$)/, "-$1cpu-*mb").replace(/-r\d+$/, "");
}

/** Whether `name` is a probe of one of the `planned` scenarios (their first probes' names). */
export function isFloorProbe(name: string, planned: readonly string[]): boolean {
  const key = floorScenarioKey(name);
  return planned.some((p) => floorScenarioKey(p) === key);
}

/**
 * The most probes one search can run from `startMB`: the start, the bisection's steps to the
 * resolution and the lowest level, each tried up to 1 + retries times. What bounds a search's time.
 */
export function floorProbeBound(startMB: number, settings: FloorSettings): number {
  const steps = Math.ceil(Math.log2(Math.max(1, (startMB - settings.lowestMB) / settings.resolutionMB)));
  return (2 + steps) * (1 + settings.retries);
}
