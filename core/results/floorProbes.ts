/**
 * A floor search's probes (lab/runner/floor/) are cells its manifest cannot list beforehand: the
 * manifest lists each scenario's first probe, and every other probe is that scenario's cell at
 * another level and try. This is how a reader tells such a probe from a cell no plan made.
 */

/** A cell's scenario: its name without its memory level and its try (go-docker-io-1cpu-*mb). */
export function floorScenarioKey(name: string): string {
  return name.replace(/-(\d+)cpu-\d+mb(?=-|$)/, "-$1cpu-*mb").replace(/-r\d+$/, "");
}

/** Whether `name` is a probe of one of the `planned` scenarios (their first probes' names). */
export function isFloorProbe(name: string, planned: readonly string[]): boolean {
  const key = floorScenarioKey(name);
  return planned.some((p) => floorScenarioKey(p) === key);
}
