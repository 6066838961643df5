/**
 * The run's own scripts driving the real engine on this machine (the local target): the artifact
 * build, the plan, every cell, a cell again, the summary; and the plan refusing a run id whose
 * cells changed. Needs Docker (the test revision's `quick` profile: Go and Node in Docker, 2 cells).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CommandError, run } from "../core/exec";
import { repoRoot } from "../core/paths";
import { readManifest } from "../core/results/read";
import { dockerSkip } from "../core/testing/requirements";
import { loadRevision } from "../lab/config/revision";
import { artifactsDir } from "../workloads/artifacts/build";
import { parseLabConfig } from "./config";
import { type LabPlan, planLab } from "./stackPlan";
import { artifactsScript, cellScript, localSummaryScript, planScript } from "./sweepScripts";
import { TEST_REVISION } from "./testing/mockProgram";

const stack = `infra-it-${randomBytes(3).toString("hex")}`;
/** A run id of its own: two copies of this test at once do not share a run or a report folder. */
const runId = `sweep-it-${randomBytes(3).toString("hex")}`;
const bash = async (script: string) => (await run("bash", ["-c", script], { timeoutMs: 900_000 })).stdout.trim();
const planFor = (profile: string): LabPlan =>
  planLab(
    parseLabConfig({ target: "local", revision: TEST_REVISION, profile, runId }, stack),
    loadRevision(TEST_REVISION),
  );

describe("sweep scripts against the engine (local target)", () => {
  let skip: string | false = false;
  const plan = planFor("quick");

  before(async () => {
    skip = await dockerSkip();
  });
  after(() => {
    rmSync(join(repoRoot, "results", stack), { recursive: true, force: true });
    rmSync(join(repoRoot, "build", "pulumi", stack), { recursive: true, force: true });
    // The runner reports a run each time its last cell is in (reports/<runId>, then <runId>-2, ...).
    const reports = join(repoRoot, "reports");
    if (existsSync(reports)) {
      for (const name of readdirSync(reports)) {
        if (name === runId || name.startsWith(`${runId}-`))
          rmSync(join(reports, name), { recursive: true, force: true });
      }
    }
  });

  it("builds, plans, runs each cell once and counts the results", async (t) => {
    if (skip) return t.skip(skip);
    const built = JSON.parse(await bash(artifactsScript(plan))) as {
      kind: string;
      status: string;
      ref: string;
      apparentBytes: number;
    }[];
    assert.deepEqual(
      built.map((a) => [a.kind, a.status]),
      [
        ["docker-offline", "built"],
        ["docker-offline", "built"],
      ],
    );
    assert.ok(built.every((a) => a.apparentBytes > 0));
    // The plan reuses what the artifact step just built: the builder's manifest is not written again.
    const builderManifest = join(artifactsDir(plan.runRevision), "manifest.json");
    const builtAt = readFileSync(builderManifest, "utf8");
    assert.deepEqual(JSON.parse(await bash(planScript(plan))), { runId, cells: 2, run: "new" });
    assert.equal(readFileSync(builderManifest, "utf8"), builtAt, "--plan-only built the artifacts again");
    const runDir = join(repoRoot, plan.resultsRoot, plan.runId);
    const recorded = readManifest(runDir).artifacts.map((a) => [a.kind, a.ref]);
    assert.deepEqual(
      recorded,
      built.map((a) => [a.kind, a.ref]),
    );
    assert.deepEqual(JSON.parse(await bash(planScript(plan))), { runId, cells: 2, run: "existing" });
    for (const cell of plan.cells) {
      const line = JSON.parse(await bash(cellScript(plan, cell, { bindAddress: null, loadgen: null })));
      assert.equal(line.id, cell.id);
      assert.equal(line.name, cell.name);
      assert.ok(["ok", "oom", "crashed", "timeout"].includes(line.status), `an outcome, not a failure: ${line.status}`);
    }
    // A cell already recorded is not run again (a lost Pulumi state re-runs the command, not the cell).
    const started = performance.now();
    const again = JSON.parse(
      await bash(cellScript(plan, plan.cells[0] as never, { bindAddress: null, loadgen: null })),
    );
    assert.equal(again.id, plan.cells[0]?.id);
    assert.ok(performance.now() - started < 15_000);
    const counts = JSON.parse(await bash(localSummaryScript(plan))) as Record<string, number>;
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      2,
    );
  });

  it("stops at the plan when the run id is reused for other cells", async (t) => {
    // The paper profile of the test revision shares one cell (same spec, same id) with quick.
    if (skip) return t.skip(skip);
    await assert.rejects(
      bash(planScript(planFor("paper"))),
      (error: unknown) =>
        error instanceof CommandError &&
        new RegExp(
          `run ${runId} cannot be planned again as it is \\(.*set edge-lab:runId to a new id\\)[\\s\\S]*run ${runId} was planned with other cells \\(7 of 8 not in it, 2 planned then\\)`,
        ).test(error.message),
    );
  });
});
