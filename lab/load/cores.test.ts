import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Ceiling } from "../../core/load/ceiling";
import { highestCeiling } from "../../core/load/ceiling";
import { compareThroughputs, selectsCell } from "../../core/load/crossCheck";
import { accountCpu, coresBesideApp, generatorBoundReasons, pinnedArgv } from "./cores";

describe("the generator's cores", () => {
  it("are those the app does not hold: one of two beside a 1-CPU app (bug 1 of issue 9)", () => {
    assert.deepEqual(coresBesideApp(1, 2), { cpuList: "1", count: 1, sharedWithApp: false });
    assert.deepEqual(coresBesideApp(1, 8), { cpuList: "1-7", count: 7, sharedWithApp: false });
    assert.deepEqual(coresBesideApp(2, 2), { cpuList: "0-1", count: 2, sharedWithApp: true });
    assert.deepEqual(coresBesideApp(8, 4), { cpuList: "0-3", count: 4, sharedWithApp: true });
  });

  it("are kept by taskset, which execs the generator (its pid is the generator's)", () => {
    assert.deepEqual(pinnedArgv(coresBesideApp(1, 2), ["wrk", "-v"]), ["taskset", "-c", "1", "wrk", "-v"]);
    assert.deepEqual(pinnedArgv({ cpuList: null, count: 4, sharedWithApp: false }, ["k6"]), ["k6"]);
  });

  it("are the denominator of the CPU check", () => {
    // k6 at 0.9 of a core: 45% of "2 cores" before, 90% of the one core it had now.
    assert.equal(accountCpu(2.7, 3, 2).bound, false);
    assert.deepEqual(accountCpu(2.7, 3, 1), {
      cpuSeconds: 2.7,
      wallSeconds: 3,
      cores: 0.9,
      coresAvailable: 1,
      bound: true,
    });
    assert.equal(accountCpu(0, 0, 1).cores, 0);
  });
});

describe("generator-bound", () => {
  // The captured real k6 v1.3.0 run of a Go /io cell: 11,581 ok req/s (fixtures/k6-1.3.0/ok-go-io).
  const k6GoIo = 11580.666666666666;

  it("flags a cell at 80% of the generator's ceiling or at 80% of its cores, and says why", () => {
    const reasons = generatorBoundReasons(k6GoIo, { cores: 0.9, coresAvailable: 1 }, 12_000);
    assert.deepEqual(reasons, [
      "the generator used 0.90 of the 1 core(s) it had (over 80%)",
      "11581 ok req/s is 97% of the generator's ceiling of 12000",
    ]);
    assert.equal(generatorBoundReasons(k6GoIo, { cores: 0.5, coresAvailable: 1 }, 30_000).length, 0);
    assert.equal(generatorBoundReasons(24_000, { cores: 0.5, coresAvailable: 1 }, 30_000).length, 1);
    assert.equal(generatorBoundReasons(24_000, { cores: 0.5, coresAvailable: 1 }, null).length, 0);
  });
});

describe("auto and cross-checks", () => {
  const ceiling = (generator: Ceiling["generator"], workload: Ceiling["workload"], okRps: number): Ceiling => ({
    generator,
    version: null,
    workload,
    cpuList: "1",
    cores: 1,
    vus: 16,
    samplesRps: [okRps],
    okRps,
    coresUsed: 1,
    saturated: true,
    commandLine: "",
  });

  it("auto takes the generator whose lowest ceiling is highest", () => {
    const ceilings = [
      ceiling("wrk", "io", 40_000),
      ceiling("wrk", "compute", 30_000),
      ceiling("autocannon", "io", 35_000),
      ceiling("autocannon", "compute", 20_000),
    ];
    assert.equal(highestCeiling(ceilings), "wrk");
    assert.equal(highestCeiling([]), null);
  });

  it("disagree above 10% only where neither generator was bound", () => {
    const run = (okThroughputRps: number, generatorBound = false) => ({ okThroughputRps, generatorBound });
    assert.deepEqual(compareThroughputs(run(1000), run(950)), { gap: 0.05, disagrees: false });
    assert.deepEqual(compareThroughputs(run(1000), run(800)), { gap: 0.2, disagrees: true });
    assert.deepEqual(compareThroughputs(run(1000), run(800, true)), { gap: 0.2, disagrees: false });
    assert.deepEqual(compareThroughputs(run(0), run(0)), { gap: null, disagrees: false });
  });

  it("select the cells a profile names", () => {
    const cell = { runtime: "go", platform: "docker", workload: "io", memoryMB: 256 };
    assert.equal(selectsCell({ generator: "wrk" }, cell), true);
    assert.equal(selectsCell({ generator: "wrk", runtimes: ["node"] }, cell), false);
    assert.equal(selectsCell({ generator: "wrk", workloads: ["io"], memoryMB: [256] }, cell), true);
    assert.equal(selectsCell({ generator: "wrk" }, { ...cell, workload: "startup" }), false);
  });
});
