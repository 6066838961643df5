/** The ETA: cells priced by measured instances where the run has them, and revisions said only past a quarter. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { estimateCellSeconds } from "../../core/eta";
import { expandMatrix } from "../matrix";
import { revisionWithQuick } from "../testing/labRuns";
import { REVISE_SHARE, SweepEstimate } from "./estimate";

const revision = revisionWithQuick((quick) => ({
  runtimes: ["go"],
  platforms: ["native", "docker"],
  workloads: ["io"],
  resources: [{ cpus: 1, memoryMB: 128 }],
  ttr: { launches: 3, timeoutS: 5 },
  load: { ...quick.load, warmupS: 1, durationS: 2 },
  repetitions: 1,
  knobVariants: [],
}));
const cells = expandMatrix(revision.profiles.quick as never, revision.id);
const cell = (platform: string, workload: string) => {
  const found = cells.find((c) => c.spec.platform === platform && c.spec.workload === workload);
  if (!found) throw new Error(`no ${platform} ${workload} cell`);
  return found;
};

describe("the ETA model", () => {
  it("a load cell: one instance and its load; a startup cell: one instance per launch", () => {
    assert.equal(estimateCellSeconds(cell("native", "io"), 0.5), 0.5 + 3 + 0.2);
    assert.equal(estimateCellSeconds(cell("native", "startup"), 0.5), 3 * 0.5 + 0.1);
  });

  it("a cross-checked load cell is loaded twice; a cell the selection leaves out once", () => {
    const docker = cell("docker", "io");
    assert.equal(estimateCellSeconds(docker, 1, { generator: "wrk", platforms: ["docker"] }), 1 + 6 + 0.2);
    assert.equal(estimateCellSeconds(docker, 1, { generator: "wrk", platforms: ["native"] }), 1 + 3 + 0.2);
  });
});

describe("the sweep's estimate", () => {
  it("prices a platform by its trial once measured, by its declared cost before", () => {
    const estimate = new SweepEstimate({ declared: () => 2 });
    const docker = cell("docker", "startup");
    assert.equal(estimate.cellSeconds(docker), 3 * 2 + 0.1);
    estimate.measuredInstance("docker", 0.4);
    assert.ok(estimate.isMeasured("docker"));
    assert.ok(Math.abs(estimate.cellSeconds(docker) - (3 * 0.4 + 0.1)) < 1e-9);
  });

  it("says nothing while the projection stays within a quarter of the announced total, then says the new one", () => {
    let now = 0;
    const estimate = new SweepEstimate({ declared: () => 1, now: () => now });
    const left = [cell("native", "io"), cell("docker", "io")];
    estimate.announce(100);
    // 10 s in, the cells left are priced at 8.4 s: 18.4 s in all, far under 100.
    now = 10;
    const revised = estimate.revised(left);
    assert.ok(revised && revised.wasS === 100 && revised.totalS < 100 * (1 - REVISE_SHARE), JSON.stringify(revised));
    // The new total is the announced one now: the same projection a moment later says nothing.
    now = 10.5;
    assert.equal(estimate.revised(left), null);
  });

  it("the pace so far scales what is left, gently at first", () => {
    const estimate = new SweepEstimate({ declared: () => 1 });
    const io = cell("native", "io");
    const before = estimate.remainingS([io]);
    estimate.ran(io, 2 * estimate.cellSeconds(io));
    const after = estimate.remainingS([io]);
    assert.ok(after > before && after < 2 * before, `${before} -> ${after}`);
  });
});
