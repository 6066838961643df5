import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { comparePlatforms, findCrossovers, type LevelComparison, type PairComparison } from "./crossover";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { readRuns } from "./read";
import { buildScenarios } from "./scenarios";

const root = mkdtempSync(join(tmpdir(), "analysis-crossover-"));

function pairsOf(runDir: string): PairComparison[] {
  return comparePlatforms(buildScenarios(readRuns([runDir]).cells));
}

const pick = (pairs: readonly PairComparison[], runtime: string, workload: string, metric: string, cpus = 1) => {
  const p = pairs.find(
    (x) => x.runtime === runtime && x.workload === workload && x.metric === metric && x.cpus === cpus,
  );
  assert.ok(p, `no comparison for ${runtime} ${workload} ${metric}`);
  return p;
};

describe("crossovers on the paper's own numbers (3 repetitions, 0.5% noise)", () => {
  const pairs = pairsOf(writeSyntheticRun(root, paperRunOptions("paper", 3, 0.005, 1)));

  it("finds the Node.js crossover between 256 and 128 MB for I/O (level at 256 MB) and compute", () => {
    const io = pick(pairs, "node", "io", "throughputRps");
    assert.equal(io.crossovers.length, 1, io.summary);
    assert.deepEqual(
      {
        from: io.crossovers[0]?.from,
        to: io.crossovers[0]?.to,
        above: io.crossovers[0]?.aboveMB,
        below: io.crossovers[0]?.belowMB,
      },
      { from: "nanos", to: "docker", above: 256, below: 128 },
    );
    assert.deepEqual(
      io.crossovers[0]?.levelAtMB,
      [256],
      "the paper: 'At 256 MB, the two platforms perform almost identically'",
    );
    assert.match(io.summary, /crossover between 256 and 128 MB \(no significant difference at 256 MB\)/);

    const compute = pick(pairs, "node", "compute", "throughputRps");
    assert.equal(compute.crossovers.length, 1, compute.summary);
    assert.deepEqual(
      {
        from: compute.crossovers[0]?.from,
        to: compute.crossovers[0]?.to,
        above: compute.crossovers[0]?.aboveMB,
        below: compute.crossovers[0]?.belowMB,
        lastFrom: compute.crossovers[0]?.lastFromMB,
      },
      { from: "nanos", to: "docker", above: 256, below: 128, lastFrom: 256 },
    );
  });

  it("finds no crossover for Go: Nanos is better at every constrained level, for both workloads", () => {
    for (const workload of ["io", "compute"]) {
      for (const metric of ["throughputRps", "latencyMeanMs"]) {
        const p = pick(pairs, "go", workload, metric);
        assert.equal(p.crossovers.length, 0, p.summary);
        assert.match(p.summary, /^nanos better at every level \(512, 256, 128, 64 MB\)$/);
      }
    }
  });

  it("keeps the resource-rich comparison apart from the memory sweep", () => {
    assert.match(pick(pairs, "go", "io", "throughputRps", 8).summary, /^docker better at every level \(2048 MB\)$/);
    assert.match(pick(pairs, "node", "io", "throughputRps", 8).summary, /^nanos better at every level \(2048 MB\)$/);
  });
});

describe("crossovers on noisy data", () => {
  it("states no significant difference where the intervals overlap, and no crossover", () => {
    // 30% noise over 3 repetitions: the 95% intervals are about +/- 75% wide, so the Node.js
    // platforms (within 30% of each other down to 128 MB) cannot be told apart.
    const pairs = pairsOf(writeSyntheticRun(root, paperRunOptions("noisy", 3, 0.3, 5)));
    const io = pick(pairs, "node", "io", "throughputRps");
    assert.equal(io.crossovers.length, 0, io.summary);
    assert.match(io.summary, /no significant difference at .*256/);
    assert.ok(io.levels.some((l) => l.outcome === "tie" && l.note.includes("overlap")));
    const compute = pick(pairs, "node", "compute", "throughputRps");
    assert.equal(compute.crossovers.length, 0, compute.summary);
  });

  it("says undetermined, not 'better', with one repetition", () => {
    const pairs = pairsOf(writeSyntheticRun(root, paperRunOptions("single", 1, 0.005, 3)));
    const io = pick(pairs, "node", "io", "throughputRps");
    assert.ok(io.levels.every((l) => l.outcome === "unknown"));
    assert.equal(io.crossovers.length, 0);
    assert.match(io.summary, /undetermined .*confidence interval needs two ok repetitions/);
  });

  it("counts a platform that failed outright as worse, and both failing as no verdict", () => {
    const runDir = writeSyntheticRun(root, {
      ...paperRunOptions("failing", 3, 0.005, 4),
      outcome: (spec) =>
        spec.runtime === "node" && spec.workload === "io" && spec.memoryMB === 64
          ? { status: "oom" }
          : spec.runtime === "node" && spec.workload === "compute" && spec.memoryMB === 64 && spec.platform === "nanos"
            ? { status: "oom" }
            : undefined,
    });
    const pairs = pairsOf(runDir);
    const io = pick(pairs, "node", "io", "throughputRps");
    assert.equal(io.levels.find((l) => l.memoryMB === 64)?.outcome, "both-failed");
    const compute = pick(pairs, "node", "compute", "throughputRps");
    const at64 = compute.levels.find((l) => l.memoryMB === 64);
    assert.equal(at64?.outcome, "a", "docker ran, nanos OOMed: docker is better");
    assert.match(at64?.note ?? "", /nanos failed \(3 oom\)/);
  });
});

describe("findCrossovers", () => {
  const level = (memoryMB: number, outcome: LevelComparison["outcome"]): LevelComparison => ({
    memoryMB,
    a: null,
    b: null,
    outcome,
    relative: null,
    note: "",
  });
  const names = { a: "nanos", b: "docker" };

  it("places a direct flip between the adjacent levels", () => {
    const [c] = findCrossovers([level(512, "a"), level(256, "a"), level(128, "b"), level(64, "b")], names);
    assert.deepEqual([c?.aboveMB, c?.belowMB, c?.lastFromMB, c?.levelAtMB], [256, 128, 256, []]);
  });

  it("finds every flip, and none across unknown levels only", () => {
    assert.equal(findCrossovers([level(512, "a"), level(256, "b"), level(128, "a")], names).length, 2);
    assert.equal(findCrossovers([level(512, "a"), level(256, "unknown"), level(128, "tie")], names).length, 0);
    const [c] = findCrossovers([level(512, "a"), level(256, "unknown"), level(128, "b")], names);
    assert.match(c?.text ?? "", /undetermined at 256 MB/);
  });
});
