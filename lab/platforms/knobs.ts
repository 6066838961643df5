import type { KnobValues } from "../../core/matrix";
import type { Runtime } from "../../core/model";
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
 * Knobs of the app's runtime, the same on every platform (each passes InstanceContext.env to the
 * app): the confounds the paper never varied (issue: explain the gap).
 */
export const RUNTIME_KNOBS = {
  goMaxProcs: {
    runtime: "go",
    values: ["runtime-default", "cpus"],
    default: "runtime-default",
    description:
      "runtime-default: Go picks GOMAXPROCS (before Go 1.25 the host's cores, whatever the CPU quota); cpus: GOMAXPROCS = the CPU limit",
  },
  nodeHeap: {
    runtime: "node",
    values: ["default", "fit"],
    default: "default",
    description:
      "default: V8 sizes its heap (about 259 MiB at any limit below 300 MB); fit: --max-old-space-size at three quarters of the memory limit",
  },
} as const satisfies Record<string, KnobSpec & { runtime: Runtime }>;

/** The share of the memory limit `nodeHeap: fit` gives V8's old space. */
export const NODE_HEAP_FIT_SHARE = 0.75;

/** The environment the app starts with, from its runtime's knobs: one rule every platform applies. */
export function appEnvironment(runtime: Runtime, resources: Resources, knobs: KnobValues): Record<string, string> {
  if (runtime === "go" && knobs.goMaxProcs === "cpus") return { GOMAXPROCS: String(resources.cpus) };
  if (runtime === "node" && knobs.nodeHeap === "fit") {
    const megabytes = Math.max(8, Math.floor(resources.memoryMB * NODE_HEAP_FIT_SHARE));
    return { NODE_OPTIONS: `--max-old-space-size=${megabytes}` };
  }
  return {};
}

/** Every knob the given platforms know, with its spec and who owns it ("shared" or a platform). */
export function knobCatalogue(platforms: readonly Platform[]): Map<string, { spec: KnobSpec; owner: string }> {
  const catalogue = new Map<string, { spec: KnobSpec; owner: string }>();
  for (const [name, spec] of Object.entries(SHARED_KNOBS)) catalogue.set(name, { spec, owner: "shared" });
  for (const [name, spec] of Object.entries(RUNTIME_KNOBS)) catalogue.set(name, { spec, owner: spec.runtime });
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
    ...Object.entries(RUNTIME_KNOBS).filter(([, spec]) => spec.runtime === runtime),
    ...Object.entries(platform.knobs),
  ];
  return Object.fromEntries(specs.map(([name, spec]) => [name, chosen[name] ?? spec.default]));
}
