/**
 * The sweep's scripts run for real under bash with hostile names (a run id, a cell name, a host
 * pair's addresses full of `$(...)`, quotes, spaces and newlines): every value reaches the lab CLI
 * as one argument, exactly, and nothing in it runs. `node` is a stand-in that records its
 * arguments, so this needs neither Docker nor the engine (infra/sweep.integration.test.ts runs the
 * same scripts against the real engine).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Cell } from "../core/matrix";
import { repoRoot } from "../core/paths";
import { loadRevision } from "../lab/config/revision";
import { parseLabConfig } from "./config";
import { type LabPlan, planLab } from "./stackPlan";
import { cellScript, localSummaryScript, manualPullCommand, planScript, pullBackScript } from "./sweepScripts";
import { TEST_REVISION } from "./testing/mockProgram";

const work = mkdtempSync(join(tmpdir(), "sweep-scripts-"));
const stack = `scripts-${process.pid}`;
/** Each `touch` would leave a file named pwned-<n> wherever the script runs, if it ran. */
const HOSTILE = `x$(touch pwned-1)\`touch pwned-2\`'"; touch pwned-3 #\nnext line  spaced`;

/**
 * Stand-ins for node, ssh and tar that record their name and each argument (NUL-separated);
 * node answers like the lab CLI would.
 */
function fakeTools(dir: string, log: string): void {
  mkdirSync(dir, { recursive: true });
  for (const tool of ["node", "ssh", "tar"]) {
    writeFileSync(
      join(dir, tool),
      `#!/usr/bin/env bash
# One record at a time: ssh and tar of a pipeline run at once and would interleave their arguments.
exec 9>> ${JSON.stringify(`${log}.lock`)}
flock 9
printf '%s\\0' ${tool} >> ${JSON.stringify(log)}
for a in "$@"; do printf '%s\\0' "$a" >> ${JSON.stringify(log)}; done
printf '\\n\\0' >> ${JSON.stringify(log)}
flock -u 9
case " $* " in *" plan-check "*) echo new ;; *" counts "* | *" cell "*) echo '{}' ;; esac
`,
    );
    chmodSync(join(dir, tool), 0o755);
  }
}

/** Run a script with the stand-ins first on PATH; the argument lists of each call (tool name first). */
function runScript(script: string, env: Record<string, string> = {}): { calls: string[][]; stderr: string } {
  const dir = mkdtempSync(join(work, "run-"));
  const log = join(dir, "args");
  fakeTools(join(dir, "bin"), log);
  const r = spawnSync("bash", ["-c", script], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  const records = existsSync(log) ? readFileSync(log, "utf8").split("\0") : [];
  const calls: string[][] = [[]];
  for (const record of records.slice(0, -1)) {
    if (record === "\n") calls.push([]);
    else calls[calls.length - 1]?.push(record);
  }
  return { calls: calls.filter((c) => c.length > 0), stderr: r.stderr };
}

function hostilePlan(): LabPlan {
  const base = planLab(
    parseLabConfig({ target: "local", revision: TEST_REVISION, profile: "quick" }, stack),
    loadRevision(TEST_REVISION),
  );
  // Past the config's run-id rule on purpose: the scripts must not depend on it.
  return { ...base, runId: HOSTILE, labDir: mkdtempSync(join(work, "lab-")) };
}

after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(join(repoRoot, "build", "pulumi", stack), { recursive: true, force: true });
});

const nothingRan = () =>
  assert.deepEqual(
    readdirSync(work, { recursive: true, encoding: "utf8" }).filter((path) => /(^|\/)pwned-\d$/.test(path)),
    [],
    "a hostile value ran as shell",
  );

describe("sweep scripts: hostile values arrive as data", () => {
  it("the plan: the run id reaches plan-check and --plan-only as one argument", () => {
    const plan = hostilePlan();
    const { calls } = runScript(planScript(plan));
    nothingRan();
    const [check, planOnly] = calls;
    assert.equal(check?.[check.indexOf("--run-id") + 1], HOSTILE);
    assert.ok(check?.includes("plan-check"));
    assert.ok(planOnly?.includes("--plan-only"));
    assert.equal(planOnly?.[planOnly.indexOf("--run-id") + 1], HOSTILE);
  });

  it("a cell: run id, cell and load generator address as single arguments", () => {
    const plan = hostilePlan();
    const cell = plan.cells[0] as Cell;
    const named = { ...cell, name: HOSTILE };
    const { calls } = runScript(
      cellScript(plan, named, { bindAddress: "10.0.0.1 $(id)", loadgen: { user: "root", address: HOSTILE } }),
    );
    nothingRan();
    const [runner, summary] = calls;
    assert.equal(runner?.[runner.indexOf("--resume") + 1], HOSTILE);
    assert.equal(runner?.[runner.indexOf("--bind-address") + 1], "10.0.0.1 $(id)");
    assert.equal(runner?.[runner.indexOf("--load-ssh") + 1], `root@${HOSTILE}`);
    // No report on the SUT: its code archive has no analysis/, the operator's machine makes it.
    assert.ok(runner?.includes("--no-report"));
    assert.deepEqual(summary?.slice(summary.indexOf("cell")), [
      "cell",
      "--results",
      plan.resultsRoot,
      "--run-id",
      HOSTILE,
      "--cell",
      cell.id,
    ]);
  });

  it("the local summary: the run id as one argument", () => {
    const plan = hostilePlan();
    const { calls } = runScript(localSummaryScript(plan));
    nothingRan();
    assert.deepEqual(calls[0]?.slice(-4), ["--results", plan.resultsRoot, "--run-id", HOSTILE]);
  });

  for (const [what, script, env, into] of [
    [
      "the pull-back script",
      () => pullBackScript(hostilePlan(), { user: "ubuntu", address: HOSTILE, port: 22 }),
      { EDGELAB_SSH_KEY: "not a key", EDGELAB_KNOWN_HOSTS: "h ssh-ed25519 AAAA", EDGELAB_MANIFEST_SHA256: "ab" },
      // It lands apart first: only files that match the SUT's checksum manifest join the results.
      `build/pulumi/${stack}/pulls/${HOSTILE}`,
    ],
    [
      "the pull command the stack prints",
      () => manualPullCommand(hostilePlan(), { user: "ubuntu", address: HOSTILE, port: 22 }),
      { EDGELAB_KEY_FILE: "/k" },
      `results/${stack}/${HOSTILE}`,
    ],
  ] as const) {
    it(`${what}: the address, and the remote folder once the SUT's shell reads it`, () => {
      const { calls } = runScript(script(), env);
      nothingRan();
      const ssh = calls.find((c) => c[0] === "ssh") ?? [];
      const remoteCommand = ssh[ssh.length - 1] ?? "";
      assert.equal(ssh[ssh.length - 2], `ubuntu@${HOSTILE}`);
      // What the SUT's login shell makes of the remote command: sudo and tar with the folder as one word.
      const remote = runScript(`sudo() { [ "$1" != -n ] || shift; "$@"; }\n${remoteCommand}`);
      nothingRan();
      assert.deepEqual(remote.calls[0], ["tar", "-C", `/opt/edgelab/results/${stack}/${HOSTILE}`, "-czf", "-", "."]);
      const local = calls.find((c) => c[0] === "tar") ?? [];
      assert.equal(local[local.length - 1], into);
    });
  }
});
