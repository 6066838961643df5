import { createHash } from "node:crypto";
import type { LoadSettings } from "./config/profile";
import type { Runtime, Workload } from "./model";

/** Knob values of one cell or instance, by knob name (e.g. { cpuMode: "quota", dockerNetwork: "nat" }). */
export type KnobValues = Readonly<Record<string, string>>;

/** A setting the lab varies and records: a closed set of values and the one the paper used. */
export interface KnobSpec {
  values: readonly [string, ...string[]];
  /** The paper's setting, or the lab's where the paper had none. */
  default: string;
  description: string;
}

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
