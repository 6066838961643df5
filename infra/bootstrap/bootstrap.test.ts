/**
 * The bootstrap and run scripts as text: every one passes shellcheck (style level), each step's
 * trigger changes exactly when its own inputs change, and nothing but a key reaches authorized_keys.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Revision } from "../../core/config/revision";
import { run } from "../../core/exec";
import { repoRoot } from "../../core/paths";
import { shellcheckSkip } from "../../core/testing/requirements";
import { loadRevision } from "../../lab/config/revision";
import { parseLabConfig } from "../config";
import { allInstalls, pluginSetups } from "../installs";
import { contextFor } from "../pipeline";
import { planLab } from "../stackPlan";
import {
  artifactsScript,
  cellScript,
  cleanupScript,
  localSummaryScript,
  paperImageSizesScript,
  planScript,
  pullBackScript,
  remoteCleanupCommand,
} from "../sweepScripts";
import { fileOf } from "../testing/downloads";
import { TEST_PUBLIC_KEY, TEST_REVISION } from "../testing/mockProgram";
import { authorizeStep, finalSteps, hostKeyStep, installSteps, labKeyStep, trustStep } from ".";
import { integrityHex } from "./shell";
import { assertPublicKey } from "./steps";

const revision = loadRevision(TEST_REVISION);
const hcloud = parseLabConfig(
  {
    target: "hcloud",
    revision: TEST_REVISION,
    sshAllowedCidrs: ["81.2.69.160/32"],
    sshPublicKey: TEST_PUBLIC_KEY,
  },
  "dev",
);
const local = parseLabConfig({ target: "local", revision: TEST_REVISION, bootstrap: true }, "dev");
const code = { archivePath: "/tmp/edgelab-code-0123.tgz", sha256: "a".repeat(64) };
const LG = { user: "root", address: "10.42.1.11" };

/** Every plugin's own install, check and removal, from the registries (each passes shellcheck with the rest). */
const SETUPS = pluginSetups(allInstalls(), revision, revision.downloads as NonNullable<Revision["downloads"]>);

function allScripts(): Record<string, string> {
  const scripts: Record<string, string> = {};
  const plan = planLab(hcloud, revision);
  const localPlan = planLab(local, revision);
  const hosts = [plan.hosts.sut, plan.hosts.loadgen, localPlan.hosts.sut];
  for (const host of hosts) {
    if (!host) continue;
    const ctx = contextFor(host.kind === "local" ? localPlan : plan, host, host.kind === "local" ? null : code);
    for (const k6FromBundle of [false, true]) {
      const options = { install: true, docker: true, k6FromBundle, plugins: SETUPS };
      for (const step of installSteps(ctx, options)) {
        scripts[`${host.label}-${step.id}-${k6FromBundle}`] = step.script;
      }
    }
    for (const strict of [true, false]) {
      for (const loadgen of [LG, null]) {
        const preflight = { strict, docker: true, requireKvm: strict, minCores: 2, loadgen, plugins: SETUPS };
        for (const step of finalSteps(ctx, preflight)) {
          scripts[`${host.label}-${step.id}-${strict}-${loadgen !== null}`] = step.script;
        }
      }
    }
    scripts[`${host.label}-lab-key`] = labKeyStep(ctx);
    scripts[`${host.label}-host-key`] = hostKeyStep(ctx);
    scripts[`${host.label}-authorize`] = authorizeStep(
      ctx,
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest edgelab-sut",
      "10.42.1.10",
    );
    scripts[`${host.label}-trust`] = trustStep(ctx, "10.42.1.11", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest");
  }
  const cell = plan.cells[0];
  assert.ok(cell);
  scripts.artifacts = artifactsScript(plan);
  scripts.plan = planScript(plan);
  scripts.cellRemote = cellScript(plan, cell, { bindAddress: "10.42.1.10", loadgen: LG });
  scripts.cellLocal = cellScript(localPlan, cell, { bindAddress: null, loadgen: null });
  scripts.pullBack = pullBackScript(plan, { user: "ubuntu", address: "192.0.2.5", port: 22 });
  scripts.localSummary = localSummaryScript(localPlan);
  scripts.cleanup = `#!/usr/bin/env bash\n${cleanupScript({ removeLabDir: true, plugins: SETUPS })}`;
  scripts.remoteCleanup = remoteCleanupCommand({ user: "root", address: "192.0.2.5", port: 22 }, SETUPS);
  scripts.paperSizes = paperImageSizesScript(["edgelab-go:x-paper", "edgelab-node:x-paper"]);
  return scripts;
}

describe("generated scripts", () => {
  it("all pass shellcheck --severity=style", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    const dir = mkdtempSync(join(tmpdir(), "infra-scripts-"));
    const unique = [...new Set(Object.values(allScripts()))];
    assert.ok(unique.length > 40, `${unique.length} scripts`);
    const files = unique.map((text, i) => {
      const path = join(dir, `script-${i}.sh`);
      writeFileSync(path, text);
      return path;
    });
    // Two shellcheck processes: it is single-threaded and this is the slow part of the file.
    const half = Math.ceil(files.length / 2);
    await Promise.all(
      [files.slice(0, half), files.slice(half)].map((part) =>
        run("shellcheck", ["--severity=style", "--shell=bash", ...part], { timeoutMs: 120_000 }),
      ),
    );
  });

  it("install-ops.sh and the ops.sh it shares with the hosts' ops step pass shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    await run(
      "shellcheck",
      ["--severity=style", "--shell=bash", "-x", "lab/platforms/nanos/install-ops.sh", "lab/platforms/nanos/ops.sh"],
      {
        cwd: repoRoot,
        timeoutMs: 60_000,
      },
    );
  });

  it("take each plugin's install from the registries: a platform's on the SUT, a generator's on the load generator", () => {
    assert.ok(SETUPS.some((s) => s.plugin === "nanos" && s.install && s.preflight && s.remove));
    const plan = planLab(hcloud, revision);
    const sut = contextFor(plan, plan.hosts.sut, code);
    const options = { install: true, docker: true, k6FromBundle: false, plugins: SETUPS };
    const ids = installSteps(sut, options).map((s) => s.id);
    for (const setup of SETUPS.filter((s) => s.install && s.role === "sut")) {
      assert.ok(ids.includes(`${setup.plugin}-setup`), setup.plugin);
    }
    const lg = plan.hosts.loadgen;
    assert.ok(lg);
    const lgIds = installSteps(contextFor(plan, lg, code), options).map((s) => s.id);
    assert.deepEqual(
      lgIds.filter((id) => id.endsWith("-setup")),
      SETUPS.filter((s) => s.install && s.role === "loadgen").map((s) => `${s.plugin}-setup`),
      "the load generator runs no platform",
    );
  });

  it("each step's trigger (its hash) changes exactly when its own inputs change", () => {
    const hashes = (rev: Revision) => {
      const plan = planLab(hcloud, rev);
      const sut = contextFor(plan, plan.hosts.sut, code);
      const steps = [
        ...installSteps(sut, { install: true, docker: true, k6FromBundle: false, plugins: plan.plugins }),
        ...finalSteps(sut, {
          strict: true,
          docker: true,
          requireKvm: true,
          minCores: 2,
          loadgen: LG,
          plugins: plan.plugins.filter((p) => p.role === "sut"),
        }),
      ];
      return Object.fromEntries(steps.map((s) => [s.id, s.hash]));
    };
    const changed = (mutate: (r: Revision) => void) => {
      const next = structuredClone(revision);
      mutate(next);
      const before = hashes(revision);
      const after = hashes(next);
      return Object.keys(before).filter((id) => before[id] !== after[id]);
    };
    assert.deepEqual(
      changed((r) => {
        r.versions.docker = "28.3.2";
      }),
      ["apt", "preflight"],
      "the Docker version is checked by the apt step (its daemon) and the preflight",
    );
    assert.deepEqual(
      changed((r) => {
        if (r.downloads?.apt.packages["docker-ce"])
          r.downloads.apt.packages["docker-ce"].version = "5:28.3.2-1~ubuntu.24.04~noble";
      }),
      ["apt", "preflight"],
    );
    assert.deepEqual(
      changed((r) => {
        if (r.downloads) r.downloads.go.sha256 = "b".repeat(64);
      }),
      ["go"],
    );
    assert.deepEqual(
      changed((r) => {
        fileOf(r.downloads, "nanosCommon").sha256 = "c".repeat(64);
      }),
      ["nanos-setup", "preflight"],
      "the Nanos platform's install fetches it; its check gets the same variables",
    );
    assert.deepEqual(
      changed((r) => {
        r.versions.k6 = "1.4.0";
      }),
      ["preflight"],
      "the SUT's preflight checks k6 on the load generator; nothing else on the SUT depends on it",
    );
  });

  it("ships the code even where nothing is installed (edge-lab:bootstrap false)", () => {
    const plan = planLab(hcloud, revision);
    const sut = contextFor(plan, plan.hosts.sut, code);
    const off = { install: false, docker: true, k6FromBundle: false };
    assert.deepEqual(
      installSteps(sut, off).map((s) => s.id),
      ["code"],
    );
    assert.deepEqual(installSteps({ ...sut, code: null }, off), []);
  });

  it("writes nothing but a well-formed key into authorized_keys", () => {
    assert.throws(
      () => assertPublicKey('ssh-ed25519 AAAA\ncommand="rm -rf /" ssh-rsa AAAA'),
      /not an OpenSSH public key line/,
    );
    assert.throws(() => assertPublicKey('from="*" ssh-ed25519 AAAA'), /not an OpenSSH public key line/);
    assert.equal(assertPublicKey(" ssh-ed25519 AAAAC3Nz edgelab-sut\n"), "ssh-ed25519 AAAAC3Nz edgelab-sut");
  });

  it("turns npm's integrity into the hex sha512sum prints", () => {
    const data = Buffer.from("edgelab");
    const integrity = `sha512-${createHash("sha512").update(data).digest("base64")}`;
    assert.equal(integrityHex(integrity), createHash("sha512").update(data).digest("hex"));
  });
});
