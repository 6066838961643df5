/** Sharding the paper profile over host pairs, and what the preview prints per pair. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { estimateCellSeconds } from "../core/eta";
import { loadRevision } from "../lab/config/revision";
import { expandMatrix } from "../lab/matrix";
import { platformStartSeconds } from "../lab/platforms/registry";
import { parseLabConfig } from "./config";
import { calibrationCell, scenarioKey, shardCells } from "./shard";
import { pairSummary, planLab } from "./stackPlan";
import { pinnedForTests } from "./testing/downloads";
import { TEST_PUBLIC_KEY } from "./testing/mockProgram";

const revision = loadRevision("paper-2025");
const cells = expandMatrix(revision.profiles.paper as never, revision.id);
const seconds = (c: (typeof cells)[number]) => estimateCellSeconds(c, platformStartSeconds(c.spec.platform)) + 30;

describe("sharding cells over host pairs", () => {
  it("keeps every scenario on one pair, every cell on exactly one, and balances the hours", () => {
    const shards = shardCells(cells, 3, seconds);
    assert.deepEqual(
      shards.map((s) => s.pair),
      [1, 2, 3],
    );
    const all = shards.flatMap((s) => s.cells.map((c) => c.id));
    assert.equal(all.length, cells.length);
    assert.equal(new Set(all).size, cells.length);
    for (const s of shards) {
      for (const c of s.cells) assert.ok(s.scenarios.includes(scenarioKey(c)), `${c.name} is on its scenario's pair`);
      // a pair runs both platforms of each of its scenarios: the comparison stays on one machine
      for (const key of s.scenarios) {
        const platforms = new Set(s.cells.filter((c) => scenarioKey(c) === key).map((c) => c.spec.platform));
        assert.deepEqual([...platforms].sort(), ["docker", "nanos"]);
      }
    }
    const hours = shards.map((s) => s.estimatedSeconds);
    assert.ok(Math.max(...hours) / Math.min(...hours) < 1.2, `balanced: ${hours.join(", ")}`);
    assert.deepEqual(shardCells(cells, 3, seconds), shards, "the same plan every time");
  });

  it("one pair runs everything and needs no calibration; a calibration cell avoids what a pair cannot run", () => {
    const [only] = shardCells(cells, 1, seconds);
    assert.deepEqual(
      only?.cells.map((c) => c.id),
      cells.map((c) => c.id),
    );
    assert.equal(
      calibrationCell(cells, 1, () => true),
      null,
    );
    const noKvm = calibrationCell(cells, 2, (c) => c.spec.platform !== "nanos");
    assert.equal(noKvm?.spec.platform, "docker");
    assert.notEqual(noKvm?.spec.load, null, "a load cell");
    assert.throws(() => shardCells(cells, 0, seconds), /pairs must be a positive integer, got 0/);
  });

  it("prints cells, hours and cost per pair for the preview", () => {
    pinnedForTests(revision);
    const config = parseLabConfig(
      {
        target: "scaleway",
        pairs: 3,
        sshAllowedCidrs: ["81.2.69.160/32"],
        sshPublicKey: TEST_PUBLIC_KEY,
      },
      "metal",
    );
    const lines = pairSummary(planLab(config, revision));
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? "", /^pair 1: 60 cells, 1\.\d\d h of sweep \+ 0\.5 h bootstrap, ≈ €1\.05$/);
    assert.match(
      lines[1] ?? "",
      /^pair 2: 60 cells \+ 1 calibration, 1\.\d\d h of sweep \+ 0\.5 h bootstrap, ≈ €1\.05$/,
    );
  });
});
