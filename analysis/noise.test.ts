/**
 * Verdicts that survive one bad repetition: a disturbed repetition (flagged by its interference
 * figures) or an outlier (by the rule of core/robust.ts) is left out and marked; a tenfold gap stays
 * significant; an overlap that rests on a marked repetition is "undetermined", never "no significant
 * difference"; the findings of a run with a disturbed repetition are those of the quiet run.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Cell, cellId, cellName } from "../core/matrix";
import type { CellResult, Interference } from "../core/results/schema";
import { skippedCell } from "../lab/runner/runCell";
import { attribute } from "./attribution";
import { comparePlatforms } from "./crossover";
import { decisionRows } from "./decision";
import { findings } from "./findings";
import { noiseTable, quietLine } from "./noise";
import type { LoadedCell } from "./read";
import { buildScenarios } from "./scenarios";

const HOG: Interference = {
  windowS: 2,
  foreignCpuS: 1.8,
  foreignCores: 0.9,
  foreignOnSutCoresS: 1.8,
  sutCores: [0],
  stealS: 0,
  stealShare: 0,
  ownCpuS: 2,
  kernelCpuS: 0.1,
  hostBusyS: 3.9,
  top: [{ pid: 4242, comm: "hog", cpuS: 1.8 }],
  disturbed: true,
};

/** One ok Go /io repetition at 1 CPU, 256 MB with the given ok throughput; `hog`: it was disturbed. */
function rep(
  platform: string,
  repetition: number,
  rps: number,
  hog = false,
  knobs: Cell["spec"]["knobs"] = {},
): LoadedCell {
  const spec: Cell["spec"] = {
    revision: "noise-test",
    runtime: "go",
    platform,
    workload: "io",
    cpus: 1,
    memoryMB: 256,
    knobs,
    load: { executor: "constant-vus", vus: 16, warmupS: 1, durationS: 2, requestTimeoutS: 5 },
    ttr: null,
    allowEmulation: false,
    repetition,
  };
  const cell: Cell = { id: cellId(spec), name: cellName(spec), spec };
  const latency = 16_000 / rps;
  const result: CellResult = {
    ...skippedCell(cell, ""),
    status: "ok",
    reason: null,
    flags: hog ? ["disturbed"] : [],
    interference: hog ? HOG : { ...HOG, foreignCpuS: 0.02, foreignCores: 0.01, top: [], disturbed: false },
    load: {
      generator: "wrk",
      generatorVersion: null,
      url: "http://127.0.0.1/io",
      workload: "io",
      executor: "constant-vus",
      vus: 16,
      rate: null,
      warmupS: 1,
      durationS: 2,
      requests: Math.round(rps * 2),
      failedRequests: 0,
      timeouts: 0,
      droppedIterations: 0,
      throughputRps: rps,
      okThroughputRps: rps,
      latencyMs: { mean: latency, stddev: 1, min: 1, p50: latency, p90: latency, p95: latency, p99: latency, max: 99 },
    },
  };
  return { runId: "noise", file: `cells/${cell.id}.json`, cell: result };
}

const levelOf = (cells: LoadedCell[]) => {
  const pair = comparePlatforms(buildScenarios(cells)).find((p) => p.metric === "throughputRps");
  assert.ok(pair);
  return pair.levels[0];
};

// The figures: native 25k (disturbed), 84k, 96k req/s; gVisor 5.6k, 7.8k, 6.5k.
const gvisor = [rep("gvisor", 1, 5_600), rep("gvisor", 2, 7_800), rep("gvisor", 3, 6_500)];

describe("a tenfold gap with one disturbed repetition", () => {
  it("is significant: the disturbed repetition is left out and marked", () => {
    const cells = [rep("native", 1, 24_957, true), rep("native", 2, 84_259), rep("native", 3, 96_185), ...gvisor];
    const level = levelOf(cells);
    assert.equal(level?.outcome, "a", level?.note);
    const native = buildScenarios(cells).find((s) => s.spec.platform === "native");
    assert.deepEqual(
      native?.disturbed.map((c) => c.cell.spec.repetition),
      [1],
    );
    assert.equal(native?.used.length, 2);
  });

  it("is significant when the interference figures missed it: the outlier rule sets it aside", () => {
    const cells = [rep("native", 1, 24_957), rep("native", 2, 84_259), rep("native", 3, 96_185), ...gvisor];
    assert.equal(levelOf(cells)?.outcome, "a");
    const native = buildScenarios(cells).find((s) => s.spec.platform === "native");
    assert.equal(native?.outliers.length, 1);
    assert.match(native?.outliers[0]?.rule ?? "", /^outlier: 24957 req\/s is below 1\/2/);
  });

  it("three noisy repetitions are not outliers: the rule sets aside a minority only", () => {
    const cells = [rep("native", 1, 40_000), rep("native", 2, 84_259), rep("native", 3, 200_000), ...gvisor];
    const native = buildScenarios(cells).find((s) => s.spec.platform === "native");
    assert.equal(native?.outliers.length, 0);
  });
});

describe("an overlap resting on a marked repetition", () => {
  const cells = [
    rep("native", 1, 3_000, true),
    rep("native", 2, 10_000),
    rep("native", 3, 14_000),
    rep("gvisor", 1, 11_000),
    rep("gvisor", 2, 12_000),
    rep("gvisor", 3, 13_000),
  ];
  it("is undetermined with the repetition and its figure, never 'no significant difference'", () => {
    const level = levelOf(cells);
    assert.equal(level?.outcome, "unknown");
    assert.match(level?.note ?? "", /^repetition r1 of native disturbed \(foreign CPU 0\.90 cores over 2 s: hog/);
    const rows = decisionRows(comparePlatforms(buildScenarios(cells)));
    assert.ok(
      rows.every((r) => !/no significant difference/.test(r.evidence)),
      JSON.stringify(rows),
    );
  });

  it("the attribution's gap at the paper's settings says undetermined with the repetition too", () => {
    // A knob variant beside it, so the run has a gap to attribute.
    const pinned = [11_000, 12_000, 13_000].flatMap((v, i) => [
      rep("native", i + 1, v, false, { cpuMode: "pinned" }),
      rep("gvisor", i + 1, v, false, { cpuMode: "pinned" }),
    ]);
    const quota = cells.map((c) => {
      const { platform, repetition } = c.cell.spec;
      return rep(platform, repetition, c.cell.load?.okThroughputRps ?? 0, c.cell.flags.length > 0, {
        cpuMode: "quota",
      });
    });
    const sentences = attribute(buildScenarios([...quota, ...pinned])).scenarios.flatMap((s) =>
      s.metrics.flatMap((m) => [m.base.sentence]),
    );
    assert.ok(sentences.length > 0, "a gap was attributed");
    for (const sentence of sentences) {
      assert.doesNotMatch(sentence, /no significant difference/);
      assert.match(sentence, /undetermined: repetition r1 of native disturbed \(foreign CPU/);
    }
  });

  it("with clean repetitions the same overlap is a tie", () => {
    const clean = cells.map((c) => (c.cell.flags.length > 0 ? rep("native", 1, 12_000) : c));
    assert.equal(levelOf(clean)?.outcome, "tie");
  });
});

describe("findings of a run with a disturbed repetition", () => {
  const quiet = [
    ...[80_000, 84_000, 90_000, 88_000].map((v, i) => rep("native", i + 1, v)),
    ...[5_600, 7_800, 6_500, 7_000].map((v, i) => rep("gvisor", i + 1, v)),
  ];
  it("are those of the quiet run (the same verdicts; the factors move with the repetitions left)", () => {
    // The hog took r2 of native and r3 of gVisor: their throughput fell and they are flagged.
    const disturbed = quiet.map((c) => {
      const { platform, repetition } = c.cell.spec;
      const rps = c.cell.load?.okThroughputRps ?? 0;
      return (platform === "native" && repetition === 2) || (platform === "gvisor" && repetition === 3)
        ? rep(platform, repetition, rps / 3, true)
        : c;
    });
    const say = (cells: LoadedCell[]) => {
      const scenarios = buildScenarios(cells);
      return findings(attribute(scenarios), comparePlatforms(scenarios), scenarios).map((f) =>
        f.text.replace(/\d+\.\d+x/g, "N x"),
      );
    };
    const expected = say(quiet);
    assert.ok(expected.length > 0, "the quiet run has findings");
    assert.deepEqual(say(disturbed), expected);
  });
});

describe("the report's noise", () => {
  it("says in one line how quiet the machine was, and lists every cell with its interference", () => {
    const cells = [rep("native", 1, 24_957, true), rep("native", 2, 84_259), ...gvisor];
    const a = { scenarios: buildScenarios(cells), input: { runs: [], cells } } as never;
    assert.equal(
      quietLine(a),
      "The machine was not quiet: 1 of 5 measured cells disturbed; others used 0.19 cores on average while cells measured, and steal took 0.0 CPU s.",
    );
    const table = noiseTable(a);
    assert.equal(table.rows.length, 5);
    assert.ok(
      table.rows.some((r) => r.className === "flagged" && JSON.stringify(r.cells).includes("hog (4242) 1.8 s")),
    );
  });
});
