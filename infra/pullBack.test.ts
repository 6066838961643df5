/**
 * The pull-back script for real on this machine, with a stand-in `ssh` that streams a captured
 * results folder (analysis/fixtures/quick-run) as the SUT would: the folder joins the results only
 * when every file matches the checksum manifest the SUT wrote; one altered byte is refused with
 * the file named, and nothing of that pull lands in the results folder.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../core/paths";
import { writeChecksums } from "../core/results/checksums";
import { loadRevision } from "../lab/config/revision";
import { parseLabConfig } from "./config";
import { planLab } from "./stackPlan";
import { pullBackScript } from "./sweepScripts";
import { TEST_PRIVATE_KEY, TEST_REVISION } from "./testing/mockProgram";

const stack = `pull-${randomBytes(3).toString("hex")}`;
const work = mkdtempSync(join(tmpdir(), "pull-back-"));
const plan = planLab(
  parseLabConfig(
    {
      target: "static",
      revision: TEST_REVISION,
      sshPrivateKey: TEST_PRIVATE_KEY,
      sut: { address: "192.0.2.10" },
      loadgen: { address: "192.0.2.11" },
    },
    stack,
  ),
  loadRevision(TEST_REVISION),
);
const dest = join(repoRoot, plan.resultsRoot, plan.runId);

/** The SUT's run folder: the captured one, with the manifest the SUT writes; returns the manifest's sha256. */
function sutFolder(name: string): { dir: string; sha: string } {
  const dir = join(work, name);
  cpSync(join(repoRoot, "analysis", "fixtures", "quick-run"), dir, { recursive: true });
  return { dir, sha: writeChecksums(dir) };
}

/** The pull-back with `ssh` standing in for the SUT: it streams `dir` as the SUT's tar would. */
function pull(dir: string, manifestSha: string) {
  const binDir = mkdtempSync(join(work, "bin-"));
  const ssh = join(binDir, "ssh");
  writeFileSync(ssh, '#!/bin/sh\nexec tar -C "$EDGELAB_TEST_SUT_DIR" -czf - .\n');
  chmodSync(ssh, 0o755);
  const script = pullBackScript(plan, { user: "root", address: "192.0.2.10", port: 22 });
  return spawnSync("bash", ["-c", script], {
    cwd: repoRoot,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${binDir}:${process.env.PATH}`,
      EDGELAB_TEST_SUT_DIR: dir,
      EDGELAB_SSH_KEY: "stand-in key",
      EDGELAB_KNOWN_HOSTS: "192.0.2.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStandIn",
      EDGELAB_MANIFEST_SHA256: manifestSha,
    },
  });
}

describe("pull-back against its checksum manifest (stand-in ssh)", () => {
  after(() => {
    rmSync(join(repoRoot, plan.resultsRoot), { recursive: true, force: true });
    rmSync(join(repoRoot, "build", "pulumi", stack), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it("refuses a folder with one altered byte, naming the file, and leaves the results folder as it was", () => {
    const { dir, sha } = sutFolder("altered");
    const cell = readdirSync(join(dir, "cells")).sort()[3] as string;
    const file = join(dir, "cells", cell);
    const bytes = readFileSync(file);
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    writeFileSync(file, bytes);
    const result = pull(dir, sha);
    assert.notEqual(result.status, 0, "the pull was accepted");
    assert.match(
      result.stderr,
      new RegExp(`refused, it does not match its checksum manifest:\\n  - cells/${cell}: its sha256 differs`),
    );
    assert.ok(!existsSync(join(dest, "cells", cell)), "nothing of that pull joined the results");
  });

  it("refuses a manifest that is not the one the SUT announced", () => {
    const { dir } = sutFolder("other-manifest");
    const result = pull(dir, "0".repeat(64));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /checksums\.sha256: its sha256 is [0-9a-f]{64}, the SUT announced 0{64}/);
  });

  it("lets a folder that matches its manifest join the results, and counts its cells", () => {
    const { dir, sha } = sutFolder("intact");
    const result = pull(dir, sha);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      readdirSync(join(dest, "cells")).sort(),
      readdirSync(join(dir, "cells")).sort(),
      "every cell arrived",
    );
    const counts = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as Record<string, number>;
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      readdirSync(join(dir, "cells")).length,
    );
  });
});
