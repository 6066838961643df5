/**
 * The shuffled, interleaved order and adaptive repetitions, driven as the sweep's loop drives a
 * schedule (runCells.ts: next, record, next) with stand-in results: no instance starts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Cell } from "../../../core/matrix";
import type { CellResult } from "../../../core/results/schema";
import { expandMatrix } from "../../matrix";
import { revisionWithQuick } from "../../testing/labRuns";
import { skippedCell } from "../runCell";
import type { CellSchedule } from "../schedule";
import { interleaved, interleavedOrder, scenarioOf } from "./interleaved";

const revision = revisionWithQuick((quick) => ({
  runtimes: ["go", "node"],
  platforms: ["native", "docker", "gvisor"],
  workloads: ["io", "compute"],
  resources: [{ cpus: 1, memoryMB: 256 }],
  ttr: { launches: 0, timeoutS: 5 },
  load: { ...quick.load, warmupS: 0, durationS: 1 },
  repetitions: 3,
  knobVariants: [],
}));
const cells = expandMatrix(revision.profiles.quick as never, revision.id);

/** A stand-in ok result with the throughput `rpsOf` gives the cell. */
function result(cell: Cell, rps: number | null): CellResult {
  const base = skippedCell(cell, "");
  if (rps === null) return { ...base, status: "oom", reason: "stand-in oom", wallS: 3 };
  return {
    ...base,
    status: "ok",
    reason: null,
    wallS: 3,
    load: {
      generator: "wrk",
      generatorVersion: null,
      url: "http://127.0.0.1/",
      workload: "io",
      executor: "constant-vus",
      vus: 1,
      rate: null,
      warmupS: 0,
      durationS: 1,
      requests: Math.round(rps),
      failedRequests: 0,
      timeouts: 0,
      droppedIterations: 0,
      throughputRps: rps,
      okThroughputRps: rps,
      latencyMs: { mean: 1, stddev: 0, min: 1, p50: 1, p90: 1, p95: 1, p99: 1, max: 1 },
    },
  };
}

/** The sweep's loop: ask, record, ask again. */
function drive(schedule: CellSchedule, rpsOf: (cell: Cell) => number | null, limit = 500): CellResult[] {
  const ran: CellResult[] = [];
  for (let cell = schedule.next(ran); cell !== null; cell = schedule.next(ran)) {
    ran.push(result(cell, rpsOf(cell)));
    assert.ok(ran.length <= limit, "the schedule does not end");
  }
  return ran;
}

describe("the interleaved order", () => {
  it("is the same for the same seed, another for another seed, and holds every cell once", () => {
    const a = interleavedOrder(cells, 42).map((c) => c.id);
    assert.deepEqual(
      interleavedOrder(cells, 42).map((c) => c.id),
      a,
    );
    assert.notDeepEqual(
      interleavedOrder(cells, 43).map((c) => c.id),
      a,
    );
    assert.deepEqual([...a].sort(), cells.map((c) => c.id).sort());
  });

  it("runs each scenario's repetitions in order, and mixes platforms and repetitions through the run", () => {
    const order = interleavedOrder(cells, 7);
    const seen = new Map<string, number>();
    for (const c of order) {
      const key = scenarioOf(c.spec);
      assert.equal(c.spec.repetition, (seen.get(key) ?? 0) + 1, c.name);
      seen.set(key, c.spec.repetition);
    }
    // Not blocks: the first third of the run holds more than one repetition index and every platform.
    const third = order.slice(0, Math.ceil(order.length / 3));
    assert.ok(new Set(third.map((c) => c.spec.repetition)).size > 1);
    assert.equal(new Set(third.map((c) => c.spec.platform)).size, 3);
  });

  it("without adaptive repetitions runs exactly the planned cells, and its stops say 'fixed'", () => {
    const schedule = interleaved({ planned: cells, todo: cells, earlier: [], seed: 5 });
    const ran = drive(schedule, () => 1000);
    assert.equal(ran.length, cells.length);
    assert.ok(schedule.stops(ran).every((s) => s.rule === "fixed" && s.repetitions === 3));
  });

  it("a resume with the same seed runs the rest in the order the first invocation would have", () => {
    const full = interleavedOrder(cells, 11);
    const earlier = full.slice(0, 5).map((c) => result(c, 1000));
    const todo = cells.filter((c) => !earlier.some((r) => r.id === c.id));
    const rest = drive(interleaved({ planned: cells, todo, earlier, seed: 11 }), () => 1000);
    assert.deepEqual(
      rest.map((r) => r.id),
      interleavedOrder(todo, 11).map((c) => c.id),
    );
  });
});

describe("adaptive repetitions", () => {
  const adaptive = { targetShare: 0.05, maxRepetitions: 6 };
  it("adds repetitions until the interval is narrow or the maximum is reached, and records which rule ended each", () => {
    const schedule = interleaved({ planned: cells, todo: cells, earlier: [], seed: 3, adaptive });
    // Go: steady (the interval is narrow at 3); Node on docker: noisy (never narrow); Node compute on gVisor: OOM.
    const noisy = [1000, 1400, 800, 1500, 700, 1300, 900];
    const ran = drive(schedule, (c) => {
      if (c.spec.runtime === "go") return 1000 + c.spec.repetition;
      if (c.spec.platform === "gvisor" && c.spec.workload === "compute") return null;
      if (c.spec.platform === "docker") return noisy[c.spec.repetition - 1] ?? 1000;
      return 500 + 10 * (c.spec.repetition % 2);
    });
    const stops = new Map(schedule.stops(ran).map((s) => [s.scenario, s]));
    assert.equal(stops.get("go-native-io-1cpu-256mb")?.rule, "interval");
    assert.equal(stops.get("go-native-io-1cpu-256mb")?.repetitions, 3);
    assert.equal(stops.get("node-docker-io-1cpu-256mb")?.rule, "max");
    assert.equal(stops.get("node-docker-io-1cpu-256mb")?.repetitions, 6);
    assert.equal(stops.get("node-gvisor-compute-1cpu-256mb")?.rule, "no-ok");
    assert.equal(stops.get("node-gvisor-compute-1cpu-256mb")?.repetitions, 3);
    // Added repetitions have the scenario's next number and a name that says it.
    assert.ok(ran.some((r) => r.name === "node-docker-io-1cpu-256mb-r6"));
    // Interleaved: the added round mixes scenarios rather than running one scenario's repetitions back to back.
    const added = ran.slice(cells.length).map((r) => scenarioOf(r.spec));
    assert.ok(added.some((key, i) => i > 0 && key !== added[i - 1]));
  });

  it("stops adding at its time budget and says so", () => {
    // Each stand-in cell takes 3 s: a 10 s budget buys three added repetitions.
    const schedule = interleaved({
      planned: cells,
      todo: cells,
      earlier: [],
      seed: 3,
      adaptive: { ...adaptive, budgetS: 10 },
    });
    const ran = drive(schedule, (c) => [1000, 1400, 800, 1500, 700, 1300][c.spec.repetition - 1] ?? 1000);
    assert.equal(ran.length - cells.length, 3);
    assert.ok(schedule.stops(ran).some((s) => s.rule === "budget"));
  });
});
