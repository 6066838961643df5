import { createHash } from "node:crypto";
import type { LoadSettings, Profile } from "./config/profile";
import type { Runtime, Workload } from "./model";
import { knobsFor } from "./platforms/knobs";
import { getPlatform } from "./platforms/registry";
import type { KnobValues } from "./platforms/types";

/** `startup` cells launch the instance N times for time to ready; the others put load on it. */
export type CellWorkload = Workload | "startup";

/** Everything that defines what a cell measures; its hash is the cell's id. */
export interface CellSpec {
  revision: string;
  runtime: Runtime;
  platform: string;
  workload: CellWorkload;
  cpus: number;
  memoryMB: number;
  /** Only the knobs that matter on this platform, so changing one re-runs only its cells. */
  knobs: KnobValues;
  /** Load cells: how the load is applied. */
  load: LoadSettings | null;
  /** Startup cells: launches and the per-launch limit. */
  ttr: { launches: number; timeoutS: number } | null;
  allowEmulation: boolean;
  repetition: number;
}

export interface Cell {
  /** Stable: a hash of the spec, so runs line up and resumed runs skip finished cells. */
  id: string;
  /** Readable, e.g. go-docker-io-1cpu-256mb-r1. */
  name: string;
  spec: CellSpec;
}

/** JSON with sorted keys at every level: the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function cellId(spec: CellSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 16);
}

/**
 * Readable and unique within a profile: a cell of a knob variant names the knobs it changes
 * (go-docker-io-1cpu-128mb-goMaxProcs-cpus-r1).
 */
export function cellName(spec: CellSpec, changed: Readonly<Record<string, string>> = {}): string {
  const variant = Object.entries(changed)
    .map(([knob, value]) => `-${knob}-${value}`)
    .join("");
  return `${spec.runtime}-${spec.platform}-${spec.workload}-${spec.cpus}cpu-${spec.memoryMB}mb${variant}-r${spec.repetition}`;
}

/** The knobs of `variant` that differ from `base`. */
function changedKnobs(base: Readonly<Record<string, string>>, variant: Readonly<Record<string, string>>) {
  return Object.fromEntries(Object.entries(variant).filter(([knob, value]) => base[knob] !== value));
}

/** What part of a profile to run (command-line filters); empty means all. */
export interface Selection {
  runtimes?: readonly Runtime[];
  platforms?: readonly string[];
  workloads?: readonly CellWorkload[];
  memoryMB?: readonly number[];
}

/**
 * The cells of a profile, in run order: repetitions outermost (a partial run still covers every
 * scenario once), then resources, runtime, workload (startup first), knob variant (the profile's
 * own knobs first), platform innermost, so the platforms compared in one scenario run close
 * together in time. A variant that changes nothing for a platform and runtime adds no cell.
 */
export function expandMatrix(profile: Profile, revisionId: string, selection: Selection = {}): Cell[] {
  const keep = <T>(values: readonly T[], chosen?: readonly T[]) =>
    chosen && chosen.length > 0 ? values.filter((v) => chosen.includes(v)) : values;
  const workloads: CellWorkload[] = [...(profile.ttr.launches > 0 ? (["startup"] as const) : []), ...profile.workloads];
  const variants = [{}, ...(profile.knobVariants ?? [])].map((v) => ({ ...profile.knobs, ...v }));
  const cells: Cell[] = [];
  const seen = new Set<string>();
  for (let repetition = 1; repetition <= profile.repetitions; repetition++) {
    for (const level of profile.resources) {
      const { cpus, memoryMB } = level;
      if (selection.memoryMB?.length && !selection.memoryMB.includes(memoryMB)) continue;
      for (const runtime of keep(profile.runtimes, selection.runtimes)) {
        if (level.runtimes && !level.runtimes.includes(runtime)) continue;
        for (const workload of keep(workloads, selection.workloads)) {
          if (level.workloads && !level.workloads.includes(workload)) continue;
          for (const chosen of level.knobVariants === false ? variants.slice(0, 1) : variants) {
            for (const platform of keep(profile.platforms, selection.platforms).map(getPlatform)) {
              const knobs = knobsFor(platform, chosen, runtime);
              const spec: CellSpec = {
                revision: revisionId,
                runtime,
                platform: platform.name,
                workload,
                cpus,
                memoryMB,
                knobs,
                load: workload === "startup" ? null : profile.load,
                ttr: workload === "startup" ? profile.ttr : null,
                // Only a VM can be emulated; elsewhere the setting changes nothing and stays out of the id.
                allowEmulation: platform.class.isolation === "vm" ? profile.allowEmulation : false,
                repetition,
              };
              const id = cellId(spec);
              if (seen.has(id)) continue;
              seen.add(id);
              const changed = changedKnobs(knobsFor(platform, profile.knobs, runtime), knobs);
              cells.push({ id, name: cellName(spec, changed), spec });
            }
          }
        }
      }
    }
  }
  return cells;
}
