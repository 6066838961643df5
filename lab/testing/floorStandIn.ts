/**
 * Stand-in probes of a known memory floor, for the floor search's tests and the report's: a probe
 * serves (every request ok) at or above its floor and is OOM-killed under load below it, with the
 * footprint a real probe records. Nothing starts.
 */
import type { Cell } from "../../core/matrix";
import type { CellResult } from "../../core/results/schema";
import { skippedCell } from "../runner/runCell";

const MiB = 1024 * 1024;

/** What a stand-in holds: what it needs, up to its limit, and at least 1 MB. */
export const residentMB = (limitMB: number, needMB: number) => Math.max(1, Math.min(limitMB, needMB));

/** The probe `cell` of an app whose floor is `floorMB` (its resident set under load is `floorMB` less 4 MB, its cgroup's peak 2 MB less). */
export function standInProbe(cell: Cell, floorMB: number, over: Partial<CellResult> = {}): CellResult {
  const { spec } = cell;
  const serves = spec.memoryMB >= floorMB;
  const durationS = spec.load?.durationS ?? 1;
  const requests = 100 * durationS;
  return {
    ...skippedCell(cell, ""),
    status: serves ? "ok" : "oom",
    reason: serves ? null : "OOM-killed during the load (signal SIGKILL)",
    exit: { exitCode: null, signal: serves ? null : "SIGKILL", oomKilled: !serves },
    load: serves
      ? {
          generator: "wrk",
          generatorVersion: "4.2.0",
          url: `http://127.0.0.1:8080/${spec.workload}`,
          workload: spec.workload === "startup" ? "io" : spec.workload,
          executor: spec.load?.executor ?? "constant-vus",
          vus: spec.load?.vus ?? 1,
          rate: null,
          warmupS: spec.load?.warmupS ?? 0,
          durationS,
          requests,
          failedRequests: 0,
          timeouts: 0,
          droppedIterations: 0,
          throughputRps: 100,
          okThroughputRps: 100,
          latencyMs: { mean: 10, stddev: 1, min: 5, p50: 10, p90: 12, p95: 13, p99: 15, max: 20 },
        }
      : null,
    footprint: {
      samples: 4,
      rssPeakBytes: residentMB(spec.memoryMB, floorMB - 4) * MiB,
      rssMeanBytes: residentMB(spec.memoryMB, floorMB - 4) * 0.9 * MiB,
      cgroupPeakBytes: residentMB(spec.memoryMB, floorMB - 2) * MiB,
      cgroupMeanBytes: residentMB(spec.memoryMB, floorMB - 2) * 0.9 * MiB,
    },
    wallS: 1,
    ...over,
  };
}
