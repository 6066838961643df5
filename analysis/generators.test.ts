import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CellResult } from "../core/results/schema";
import { crossCheckRows } from "./generators";

type Load = NonNullable<CellResult["load"]>;
const load = (generator: Load["generator"], okThroughputRps: number, failedRequests = 0): Load => ({
  generator,
  generatorVersion: null,
  url: "http://127.0.0.1:1/io",
  workload: "io",
  executor: "constant-vus",
  vus: 16,
  rate: null,
  warmupS: 1,
  durationS: 3,
  requests: Math.round(okThroughputRps * 3) + failedRequests,
  failedRequests,
  timeouts: 0,
  droppedIterations: 0,
  throughputRps: okThroughputRps + failedRequests / 3,
  okThroughputRps,
  latencyMs: { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null },
});
const cpu = (bound: boolean) => ({ cpuSeconds: 1, wallSeconds: 3, cores: 0.3, coresAvailable: 1, bound });
const cell = (
  name: string,
  first: Load,
  firstBound: boolean,
  second: Load | null,
  secondBound = false,
  gap = 0,
  disagrees = false,
) =>
  ({
    name,
    load: first,
    generator: cpu(firstBound),
    crossCheck: second ? { load: second, generator: cpu(secondBound), gap, disagrees, rawDir: "x" } : null,
  }) as unknown as CellResult;

describe("cross-check rows", () => {
  it("put both generators' ok throughput side by side, failures beside it, and say whether they agree", () => {
    const rows = crossCheckRows([
      cell("go-native-io", load("wrk", 27000), false, load("autocannon", 21000), false, 0.2222, true),
      cell("node-native-io", load("wrk", 9000, 12), false, load("autocannon", 8700), true, 0.033),
      cell("go-docker-io", load("wrk", 20000), false, null),
    ]);
    assert.deepEqual(rows, [
      {
        cell: "go-native-io",
        first: "wrk 27000 ok req/s",
        second: "autocannon 21000 ok req/s",
        gap: "22%",
        verdict: "disagree (over 10%, neither generator-bound)",
      },
      {
        cell: "node-native-io",
        first: "wrk 9000 ok req/s, 12 failed",
        second: "autocannon 8700 ok req/s (generator-bound)",
        gap: "3%",
        verdict: "not comparable: a generator was the bottleneck",
      },
    ]);
  });
});
