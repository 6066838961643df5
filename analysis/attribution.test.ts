import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { CellSpec } from "../core/matrix";
import { loadPaperReference } from "../core/paper/reference";
import { type Analysis, analyze } from "./analyze";
import { attribute, type GapRow, significantSentences } from "./attribution";
import { type KnownEffectRun, writeKnownEffectRun } from "./fixtures/knownEffects";
import { meanVariance } from "./intervals";
import { readRuns } from "./read";
import { buildScenarios } from "./scenarios";

const root = mkdtempSync(join(tmpdir(), "analysis-attribution-"));
const reference = loadPaperReference();

const GO_512 = [{ cpus: 1, memoryMB: 512 }];

/** Go io at 1 CPU, 512 MB: docker 20,000 req/s, nanos 30,000; GOMAXPROCS = CPUs lifts docker to `tuned`. */
function goRun(runId: string, seed: number, noise: number, tuned: number, extra: Partial<KnownEffectRun> = {}) {
  return writeKnownEffectRun(join(root, "results"), {
    runId,
    seed,
    noise,
    runtimes: ["go"],
    platforms: ["docker", "nanos"],
    resources: GO_512,
    knobVariants: [{ goMaxProcs: "cpus" }],
    throughput: (spec: CellSpec) =>
      spec.platform === "nanos" ? 30_000 : spec.knobs.goMaxProcs === "cpus" ? tuned : 20_000,
    ...extra,
  });
}

const analysisOf = (dir: string): Analysis => analyze(readRuns([dir]), reference);

function throughputRow(a: Analysis, knob: string): GapRow {
  const s = a.attribution.scenarios[0];
  const row = s?.metrics.find((m) => m.metric === "throughput")?.changes.find((c) => c.change?.knob === knob);
  assert.ok(row, `a throughput row for ${knob}`);
  return row;
}

describe("attribution: a knob with a known effect", () => {
  it("finds that GOMAXPROCS = CPUs closes 80% of a 10,000 req/s gap, with the truth inside the intervals", () => {
    const a = analysisOf(goRun("known-80", 7, 0.005, 28_000));
    assert.equal(a.attribution.scenarios.length, 1);
    const s = a.attribution.scenarios[0];
    assert.equal(`${s?.a} vs ${s?.b}`, "docker vs nanos");
    const base = s?.metrics.find((m) => m.metric === "throughput")?.base;
    assert.ok(base?.gap?.low != null && base.gap.high != null);
    assert.ok(base.gap.low < -10_000 && base.gap.high > -10_000, "base gap interval holds -10,000");
    const row = throughputRow(a, "goMaxProcs");
    assert.deepEqual(row.touches, { a: true, b: true });
    assert.equal(row.significant, true);
    assert.equal(row.effect, "closes");
    assert.ok(row.share?.low != null && row.share.high != null && row.share.bounded);
    assert.ok(
      row.share.low < 0.8 && row.share.high > 0.8,
      `share interval [${row.share.low}, ${row.share.high}] holds 0.8`,
    );
    assert.ok(Math.abs(row.share.value - 0.8) < 0.03);
    assert.match(
      row.sentence,
      /^GOMAXPROCS = CPU limit closes (79|80|81)% \[\d+, \d+\] of the Go io docker-nanos throughput gap at 1 CPU, 512 MB$/,
    );
    assert.ok(a.findings.some((f) => f.kind === "attribution" && f.text === row.sentence));
    assert.ok(
      a.findings.some(
        (f) =>
          f.kind === "platform" &&
          /^Go io docker-nanos throughput gap at 1 CPU, 512 MB: -\d+,\d{3} \[.*\] req\/s at the paper's settings$/.test(
            f.text,
          ),
      ),
      "the base gap is a finding",
    );
  });

  it("says 'widens' and 'reverses' when that is what happens", () => {
    const widens = throughputRow(analysisOf(goRun("known-widens", 8, 0.005, 15_000)), "goMaxProcs");
    assert.equal(widens.effect, "widens");
    assert.match(
      widens.sentence,
      /^GOMAXPROCS = CPU limit widens the Go io docker-nanos throughput gap at 1 CPU, 512 MB by (49|50|51)% \[/,
    );
    const reverses = throughputRow(analysisOf(goRun("known-reverses", 9, 0.005, 35_000)), "goMaxProcs");
    assert.equal(reverses.effect, "reverses");
    assert.match(
      reverses.sentence,
      /reverses the Go io docker-nanos throughput gap at 1 CPU, 512 MB: -(9,\d{3}|10,\d{3}) \[.*\] req\/s becomes \+[45],\d{3} \[.*\] req\/s \(1[45]\d% \[/,
    );
  });

  it("a knob of one platform leaves the other at its base and counts it once", () => {
    const dir = goRun("one-platform", 11, 0.01, 20_000, {
      knobVariants: [{ dockerNetwork: "host" }],
      throughput: (spec) =>
        spec.platform === "nanos" ? 30_000 : spec.knobs.dockerNetwork === "host" ? 25_000 : 20_000,
    });
    const scenarios = buildScenarios(readRuns([dir]).cells);
    const s = attribute(scenarios).scenarios[0];
    const m = s?.metrics.find((x) => x.metric === "throughput");
    const row = m?.changes[0];
    assert.ok(row?.delta && m);
    assert.deepEqual(row.change, { knob: "dockerNetwork", value: "host" });
    assert.deepEqual(row.touches, { a: true, b: false });
    assert.equal(row.b, m.base.b, "nanos stays at its base scenario");
    // The change is docker(host) - docker(nat): nanos's variance is not in it.
    const values = (x: typeof row.a) => x?.used.map((c) => c.cell.load?.okThroughputRps ?? 0) ?? [];
    const expectedVariance =
      (meanVariance({ values: values(row.a) }) ?? 0) + (meanVariance({ values: values(m.base.a) }) ?? 0);
    assert.ok(Math.abs((row.delta.variance ?? 0) - expectedVariance) < 1e-6 * expectedVariance);
    assert.equal(row.effect, "closes");
    assert.ok(row.share?.low != null && row.share.high != null && row.share.low < 0.5 && row.share.high > 0.5);
  });

  it("its share interval covers the true 80% in most of 40 seeded runs (noise 3%)", () => {
    let covered = 0;
    let significant = 0;
    for (let seed = 100; seed < 140; seed++) {
      const row = throughputRow(analysisOf(goRun(`coverage-${seed}`, seed, 0.03, 28_000)), "goMaxProcs");
      if (row.significant) significant++;
      if (row.share?.low != null && row.share.high != null && row.share.low <= 0.8 && row.share.high >= 0.8) covered++;
    }
    assert.ok(covered >= 34, `covered ${covered}/40`);
    assert.ok(significant >= 38, `significant ${significant}/40`);
  });
});

describe("attribution: noise without an effect", () => {
  const noisy = (runId: string, seed: number) =>
    writeKnownEffectRun(join(root, "results"), {
      runId,
      seed,
      noise: 0.2,
      runtimes: ["go"],
      platforms: ["docker", "nanos"],
      resources: GO_512,
      knobVariants: [{ goMaxProcs: "cpus" }],
      throughput: () => 20_000,
    });

  it("calls nothing a finding and says 'no significant change'", () => {
    // One fixed seed; the next test bounds how often noise alone passes for a finding.
    const a = analysisOf(noisy("noisy", 1));
    const row = throughputRow(a, "goMaxProcs");
    assert.equal(row.significant, false);
    assert.equal(row.effect, "no significant change");
    assert.match(
      row.sentence,
      /^GOMAXPROCS = CPU limit: no significant change in the Go io docker-nanos throughput gap at 1 CPU, 512 MB \(change [+-]/,
    );
    assert.deepEqual(significantSentences(a.attribution), []);
    assert.deepEqual(a.findings, []);
  });

  it("calls a change significant in few of 40 seeded runs (about 5% expected)", () => {
    let falseFindings = 0;
    for (let seed = 200; seed < 240; seed++) {
      const a = analysisOf(noisy(`noisy-${seed}`, seed));
      if (significantSentences(a.attribution).length > 0) falseFindings++;
    }
    assert.ok(falseFindings <= 6, `${falseFindings}/40 false findings`);
  });
});

describe("attribution: outcomes", () => {
  it("states where nodeHeap=fit turns 3/3 oom into 3/3 ok, as counts", () => {
    const dir = writeKnownEffectRun(join(root, "results"), {
      runId: "node-heap",
      seed: 5,
      noise: 0.01,
      runtimes: ["node"],
      platforms: ["docker", "nanos"],
      resources: [
        { cpus: 1, memoryMB: 256 },
        { cpus: 1, memoryMB: 64 },
      ],
      knobVariants: [{ nodeHeap: "fit" }],
      throughput: (spec) =>
        spec.platform === "nanos" && spec.memoryMB === 64 && spec.knobs.nodeHeap === "default" ? null : 5_000,
    });
    const a = analysisOf(dir);
    const changed = a.attribution.outcomes.filter((o) => o.differs);
    assert.deepEqual(
      changed.map((o) => o.sentence),
      ["on nanos at 64 MB (Node io, 1 CPU), nodeHeap=fit: 3/3 ok where the paper's settings gave 0/3 (3 oom)"],
    );
    assert.ok(a.findings.some((f) => f.kind === "outcome" && f.text === changed[0]?.sentence));
    assert.ok(!a.findings.some((f) => /significant/.test(f.text) && f.kind === "outcome"));
    // The gap at 64 MB cannot be formed at the paper's settings: undetermined, not a number.
    const at64 = a.attribution.scenarios.find((s) => s.memoryMB === 64);
    const base = at64?.metrics.find((m) => m.metric === "throughput")?.base;
    assert.equal(base?.gap, null);
    assert.match(base?.sentence ?? "", /undetermined .*nanos: 0 usable repetition\(s\) \(3 oom\)/);
    // With the knob both sides ran: that gap is shown; its change from the base cannot be formed.
    const fit = at64?.metrics.find((m) => m.metric === "throughput")?.changes[0];
    assert.ok(fit?.gap?.low != null && fit.gap.low < 0 && (fit.gap.high ?? 0) > 0, "no gap with nodeHeap=fit");
    assert.equal(fit.delta, null);
    assert.match(fit.sentence, /undetermined .*\(nanos at the paper's settings: 0 usable repetition\(s\) \(3 oom\)\)$/);
    const analogue = a.analogues.find((x) => x.id === "local-node-heap-fit-failures");
    assert.equal(analogue?.verdict, "yes");
  });
});
