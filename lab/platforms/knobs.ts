import type { KnobValues } from "../../core/matrix";
import type { Runtime } from "../../core/model";
import { allRuntimes, getRuntime } from "../../workloads/runtimes/registry";
import { CPU_MODES, type KnobSpec, type Platform, type Resources } from "./types";

/** Knobs that mean the same on every platform that uses them. */
export const SHARED_KNOBS = {
  cpuMode: {
    values: CPU_MODES,
    default: "quota",
    description: "quota: a CFS quota or unpinned vCPUs, as the paper; pinned: dedicated cores (cpuset, taskset)",
  },
} as const satisfies Record<string, KnobSpec>;
export type SharedKnobName = keyof typeof SHARED_KNOBS;

/**
 * The environment the app starts with, from its runtime's knobs (the runtime's descriptor says
 * how: GOMAXPROCS, the V8 heap). Those knobs are the same on every platform, each passes
 * InstanceContext.env to the app: the confounds the paper never varied.
 */
export function appEnvironment(runtime: Runtime, resources: Resources, knobs: KnobValues): Record<string, string> {
  return getRuntime(runtime).environment(knobs, resources);
}

/** Every knob the given platforms know, with its spec and who owns it ("shared" or a platform). */
export function knobCatalogue(platforms: readonly Platform[]): Map<string, { spec: KnobSpec; owner: string }> {
  const catalogue = new Map<string, { spec: KnobSpec; owner: string }>();
  for (const [name, spec] of Object.entries(SHARED_KNOBS)) catalogue.set(name, { spec, owner: "shared" });
  for (const runtime of allRuntimes()) {
    for (const [name, spec] of Object.entries(runtime.knobs)) catalogue.set(name, { spec, owner: runtime.name });
  }
  for (const platform of platforms) {
    for (const [name, spec] of Object.entries(platform.knobs)) {
      const existing = catalogue.get(name);
      if (existing) throw new Error(`knob ${name} is declared by both ${existing.owner} and ${platform.name}`);
      catalogue.set(name, { spec, owner: platform.name });
    }
  }
  return catalogue;
}

/** Problems with a profile's knobs: the knob, and what is allowed instead. */
export function knobProblems(
  knobs: Readonly<Record<string, unknown>>,
  platforms: readonly Platform[],
): { knob: string; allowed: string }[] {
  const catalogue = knobCatalogue(platforms);
  const problems: { knob: string; allowed: string }[] = [];
  for (const [knob, value] of Object.entries(knobs)) {
    const known = catalogue.get(knob);
    if (!known) {
      problems.push({ knob, allowed: `no such knob: use one of ${[...catalogue.keys()].join(", ")}` });
    } else if (typeof value !== "string" || !known.spec.values.includes(value)) {
      problems.push({ knob, allowed: `use one of ${known.spec.values.join(", ")}` });
    }
  }
  return problems;
}

/**
 * The knobs that matter to one platform and runtime, defaults filled in, in a fixed order: a
 * cell's spec (and so its id) holds only these, so changing a knob re-runs only the cells it
 * applies to.
 */
export function knobsFor(platform: Platform, chosen: Readonly<Record<string, string>>, runtime: Runtime): KnobValues {
  const specs: [string, KnobSpec][] = [
    ...platform.sharedKnobs.map((name): [string, KnobSpec] => [name, SHARED_KNOBS[name]]),
    ...Object.entries(getRuntime(runtime).knobs),
    ...Object.entries(platform.knobs),
  ];
  return Object.fromEntries(specs.map(([name, spec]) => [name, chosen[name] ?? spec.default]));
}
