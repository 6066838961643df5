/**
 * A floor profile on the Pulumi lab (mocked engine): each search is one sweep command that resumes
 * the run for the search's first cell, so the runner on the SUT runs every probe the search decides
 * (and a re-run of `pulumi up` resumes it from the probes recorded), bounded by its most probes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../core/paths";
import { floorProbeBound } from "../core/results/floorProbes";
import { loadRevision } from "../lab/config/revision";
import { expandMatrix } from "../lab/matrix";
import { cellTimeoutSeconds } from "./stackPlan";
import { named, type ProgramRun, runProgram, TEST_REVISION } from "./testing/mockProgram";

/** The tests' revision with a floor profile beside its own: one scenario per runtime on Docker. */
const FLOOR_PROFILE = `  floor:
    description: A memory floor search of one scenario per runtime on Docker
    runtimes: [go, node]
    platforms: [docker]
    workloads: [io]
    resources:
      - { cpus: 1, memoryMB: 128 }
    repetitions: 1
    load: { executor: constant-vus, vus: 4, warmupS: 1, durationS: 2, requestTimeoutS: 5 }
    ttr: { launches: 0, timeoutS: 20 }
    knobs: { cpuMode: quota, dockerNetwork: nat, nanosNetwork: user }
    allowEmulation: false
    floor: { lowestMB: 8, resolutionMB: 4, retries: 1 }
`;
const dir = mkdtempSync(join(tmpdir(), "infra-floor-"));
const revisionFile = join(dir, "infra-floor.yaml");
writeFileSync(
  revisionFile,
  readFileSync(join(repoRoot, TEST_REVISION), "utf8").replace(/^downloads:$/m, `${FLOOR_PROFILE}downloads:`),
);
after(() => rmSync(dir, { recursive: true, force: true }));

let run: ProgramRun;

before(async () => {
  run = await runProgram(
    { "edge-lab:target": "local", "edge-lab:revision": revisionFile, "edge-lab:profile": "floor" },
    [],
    "floor",
  );
});

describe("the floor profile on the Pulumi lab (mocked engine)", () => {
  it("one command per search, resuming the run for the search's first cell, bounded by its most probes", () => {
    const profile = loadRevision(revisionFile).profiles.floor;
    assert.ok(profile?.floor);
    const scenarios = expandMatrix(profile, "infra-test");
    assert.equal(scenarios.length, 2);
    const commands = run.resources.filter((r) => r.name.includes("-sweep-cell-"));
    assert.equal(commands.length, scenarios.length);
    for (const scenario of scenarios) {
      const create = String(named(run, `edgelab-sweep-cell-${scenario.name}`).inputs.create);
      assert.match(create, new RegExp(`--resume \\S+ --cell ${scenario.id} `));
      const probes = floorProbeBound(scenario.spec.memoryMB, profile.floor);
      assert.equal(probes, (2 + 5) * 2, "128 to 8 MB by 4: 5 steps, the start and the lowest, each tried twice");
      assert.match(create, new RegExp(`timeout --kill-after=60 ${cellTimeoutSeconds(scenario) * probes} `));
    }
    const plan = String(named(run, "edgelab-sweep-plan").inputs.create);
    assert.match(plan, /--profile floor/);
  });
});
