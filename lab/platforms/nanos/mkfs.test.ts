/**
 * mkfs.sh, nanos-direct's install of the release's mkfs, run for real by bash with the bootstrap's
 * helpers, on a stand-in source archive (a Makefile whose `mkfs` target writes a tool): it takes the
 * locked archive from the bundle, builds, puts mkfs beside kernel.img, does nothing the second
 * time, and fails with the build's log named when `make mkfs` fails. The real Nanos 0.1.54 source
 * was checked the same way by hand (docs/ops-nanos-notes.md); it is never committed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../../../core/paths";

const work = mkdtempSync(join(tmpdir(), "nanos-mkfs-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A source archive whose `make mkfs` writes output/tools/bin/mkfs, or fails. */
function sourceArchive(name: string, makeWorks: boolean): string {
  const dir = join(work, `${name}-src`, "nanos-0.1.54");
  mkdirSync(dir, { recursive: true });
  const recipe = makeWorks
    ? "\tmkdir -p output/tools/bin && printf '#!/bin/sh\\necho stand-in mkfs\\n' > output/tools/bin/mkfs"
    : "\techo 'cc: not found' && false";
  writeFileSync(join(dir, "Makefile"), `mkfs:\n${recipe}\n`);
  const bundle = join(work, `${name}-bundle`);
  mkdirSync(bundle, { recursive: true });
  const archive = join(bundle, "nanos-0.1.54-source.tar.gz");
  const tar = spawnSync("tar", ["-czf", archive, "-C", join(work, `${name}-src`), "nanos-0.1.54"]);
  assert.equal(tar.status, 0, String(tar.stderr));
  return bundle;
}

function install(bundle: string, opsHome: string) {
  const sha = createHash("sha256")
    .update(readFileSync(join(bundle, "nanos-0.1.54-source.tar.gz")))
    .digest("hex");
  const tools = join(work, "tools");
  mkdirSync(join(tools, "downloads"), { recursive: true });
  const script = `set -euo pipefail
tools=${tools} bundle=${bundle} offline=1
changes=()
source "${join(repoRoot, "infra/bootstrap/helpers.sh")}"
source "${join(repoRoot, "lab/platforms/nanos/mkfs.sh")}"
printf 'changes=%s\\n' "\${changes[*]:-}"`;
  return spawnSync("bash", ["-c", script], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      NANOS_SOURCE_VERSION: "0.1.54",
      NANOS_SOURCE_FILE: "nanos-0.1.54-source.tar.gz",
      NANOS_SOURCE_URL: "https://example.invalid/never-fetched",
      NANOS_SOURCE_SHA256: sha,
      OPS_HOME: opsHome,
    },
  });
}

function releaseHome(name: string): string {
  const home = join(work, `${name}-ops`);
  mkdirSync(join(home, "0.1.54"), { recursive: true });
  writeFileSync(join(home, "0.1.54", "kernel.img"), "kernel");
  return home;
}

describe("nanos-direct's mkfs from the locked source (mkfs.sh)", () => {
  it("builds mkfs beside kernel.img from the bundle's archive, once", () => {
    const home = releaseHome("ok");
    const first = install(sourceArchive("ok", true), home);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /changes=nanos mkfs 0\.1\.54 \(built from the locked source\)/);
    assert.match(readFileSync(join(home, "0.1.54", "mkfs"), "utf8"), /stand-in mkfs/);
    const again = install(join(work, "ok-bundle"), home);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^changes=$/m, "the second run builds nothing");
  });

  it("fails in words, naming the build's log, when make mkfs fails; installs nothing", () => {
    const home = releaseHome("broken");
    const result = install(sourceArchive("broken", false), home);
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /make mkfs failed in the Nanos 0\.1\.54 source \(its log: .+\.log\)/);
    assert.equal(existsSync(join(home, "0.1.54", "mkfs")), false);
  });

  it("refuses to run before the release is unpacked", () => {
    const result = install(join(work, "ok-bundle"), join(work, "empty-ops"));
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /no Nanos 0\.1\.54 release in .+ to put mkfs beside/);
  });
});
