/** The program on this machine (mocked engine): local commands only, nothing installed by default. */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../core/paths";
import { named, type ProgramRun, runProgram, TEST_REVISION } from "./testing/mockProgram";
import { assertEndsWithReport, CAPTURED_RUN, endOfRun } from "./testing/reportRun";

let run: ProgramRun;

/** The runner's results mocked with a captured results folder; the report made for real. */
const end = endOfRun("here");
after(() => end.cleanUp());

before(async () => {
  run = await runProgram({ "edge-lab:target": "local", "edge-lab:revision": TEST_REVISION }, [], "here", {
    stdout: end.stdout,
  });
});

describe("local target (mocked engine)", () => {
  it("creates no Hetzner resource and no remote command", () => {
    const types = new Set(run.resources.map((r) => r.type));
    assert.ok(![...types].some((t) => t.startsWith("hcloud:") || t === "pulumi:providers:hcloud"));
    assert.ok(!types.has("command:remote:Command") && !types.has("command:remote:CopyToRemote"));
    assert.ok(!types.has("docker:index/image:Image"), "no paper images by default on this machine");
  });

  it("installs nothing by default: preflight records this machine, then the engine runs here", () => {
    const names = run.resources.filter((r) => r.type === "command:local:Command").map((r) => r.name);
    assert.deepEqual(names.slice(0, 4), [
      "edgelab-local-checks-preflight",
      "edgelab-local-checks-host-facts",
      "edgelab-artifacts-build",
      "edgelab-sweep-plan",
    ]);
    const preflight = String(named(run, "edgelab-local-checks-preflight").inputs.create);
    assert.match(preflight, /recorded \(not enforced here\)/);
    assert.doesNotMatch(preflight, /10-edgelab\.conf/, "the operator's sshd is left alone");
    for (const c of run.resources.filter((r) => r.name.includes("-sweep-cell-"))) {
      assert.equal(c.type, "command:local:Command");
      assert.deepEqual(c.inputs.interpreter, ["/bin/bash", "-c"]);
      const create = String(c.inputs.create);
      assert.match(create, new RegExp(`cd ${repoRoot.replace(/\//g, "\\/")}\\n`));
      assert.doesNotMatch(create, /--load-ssh|--bind-address/);
    }
  });

  it("still publishes the revision's pinned versions and the artifact plan", () => {
    assert.equal(run.outputs.revisionId, "infra-test");
    assert.equal((run.outputs.pinnedVersions as Record<string, string>).nanos, "0.1.54");
    const go = (run.outputs.artifacts as { runtime: string; nanosBuildCommand: string; dockerBase: string }[]).find(
      (a) => a.runtime === "go",
    );
    assert.equal(
      go?.nanosBuildCommand,
      "ops build /opt/edgelab/bin/edgeapp-go -c config.json -i edgelab-go-infra-test --nanos-version 0.1.54",
    );
    assert.equal(go?.dockerBase, "golang:1.22.2-alpine -> scratch");
  });

  it("summarises the results where the runner wrote them", () => {
    const summary = named(run, "edgelab-results-summary");
    assert.match(String(summary.inputs.create), /lab\/runner\/cli\.ts counts --results results\/here --run-id /);
    assert.equal(
      Object.values(run.outputs.cellCounts as Record<string, number>).reduce((a, b) => a + b, 0),
      readdirSync(join(CAPTURED_RUN, "cells")).length,
      "the cells of the captured run, counted by the lab's CLI",
    );
    assert.equal(run.outputs.sshCommand, "(local target: this machine)");
  });

  it("ends with the report: its path, the results' path and one line in the outputs, and the report exists", () => {
    assertEndsWithReport(run, "here");
  });
});
