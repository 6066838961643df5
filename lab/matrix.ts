import { createHash } from "node:crypto";
import type { LoadSettings, Profile } from "./config/profile";
import type { Runtime, Workload } from "./model";
import type { Knobs, PlatformName } from "./platforms/types";

/** `startup` cells launch the instance N times for time to ready; the others put load on it. */
export type CellWorkload = Workload | "startup";

/** Everything that defines what a cell measures; its hash is the cell's id. */
export interface CellSpec {
  revision: string;
  runtime: Runtime;
  platform: PlatformName;
  workload: CellWorkload;
  cpus: number;
  memoryMB: number;
  /** Only the knobs that matter on this platform, so changing one re-runs only its cells. */
  knobs: Partial<Knobs>;
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

export function cellName(spec: CellSpec): string {
  return `${spec.runtime}-${spec.platform}-${spec.workload}-${spec.cpus}cpu-${spec.memoryMB}mb-r${spec.repetition}`;
}

function relevantKnobs(platform: PlatformName, knobs: Knobs): Partial<Knobs> {
  switch (platform) {
    case "native":
      return {};
    case "docker":
      return { cpuMode: knobs.cpuMode, dockerNetwork: knobs.dockerNetwork };
    case "nanos":
      return { cpuMode: knobs.cpuMode, nanosNetwork: knobs.nanosNetwork };
    case "microvm":
      return { cpuMode: knobs.cpuMode, microvmNetwork: knobs.microvmNetwork ?? "user" };
  }
}

/** What part of a profile to run (command-line filters); empty means all. */
export interface Selection {
  runtimes?: readonly Runtime[];
  platforms?: readonly PlatformName[];
  workloads?: readonly CellWorkload[];
  memoryMB?: readonly number[];
}

/**
 * The cells of a profile, in run order: repetitions outermost (a partial run still covers every
 * scenario once), then resources, runtime, workload (startup first), platform innermost, so the
 * platforms compared in one scenario run close together in time.
 */
export function expandMatrix(profile: Profile, revisionId: string, selection: Selection = {}): Cell[] {
  const keep = <T>(values: readonly T[], chosen?: readonly T[]) =>
    chosen && chosen.length > 0 ? values.filter((v) => chosen.includes(v)) : values;
  const workloads: CellWorkload[] = [...(profile.ttr.launches > 0 ? (["startup"] as const) : []), ...profile.workloads];
  const cells: Cell[] = [];
  for (let repetition = 1; repetition <= profile.repetitions; repetition++) {
    for (const { cpus, memoryMB } of profile.resources) {
      if (selection.memoryMB?.length && !selection.memoryMB.includes(memoryMB)) continue;
      for (const runtime of keep(profile.runtimes, selection.runtimes)) {
        for (const workload of keep(workloads, selection.workloads)) {
          for (const platform of keep(profile.platforms, selection.platforms)) {
            const spec: CellSpec = {
              revision: revisionId,
              runtime,
              platform,
              workload,
              cpus,
              memoryMB,
              knobs: relevantKnobs(platform, profile.knobs),
              load: workload === "startup" ? null : profile.load,
              ttr: workload === "startup" ? profile.ttr : null,
              allowEmulation: platform === "nanos" || platform === "microvm" ? profile.allowEmulation : false,
              repetition,
            };
            cells.push({ id: cellId(spec), name: cellName(spec), spec });
          }
        }
      }
    }
  }
  return cells;
}
