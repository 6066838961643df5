/** The code archive: deterministic, readable by tar, and only the code a host needs. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../core/exec";
import { repoRoot } from "../core/paths";
import { buildCodeArchive, listCodeFiles, tarGz } from "./codeArchive";

describe("code archive", () => {
  it("is byte-for-byte the same for the same files and holds what the hosts run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "code-"));
    const a = buildCodeArchive(repoRoot, join(dir, "a.tgz"));
    const b = buildCodeArchive(repoRoot, join(dir, "b.tgz"));
    assert.equal(a.sha256, b.sha256);
    const { stdout } = await run("tar", ["-tzf", a.path]);
    const names = stdout.trim().split("\n");
    for (const needed of [
      "package.json",
      "package-lock.json",
      "lab/runner/cli.ts",
      // Everything the engine imports from core/, and the checksum manifest the SUT writes.
      "core/results/read.ts",
      "core/results/checksums.ts",
      "lab/results/store.ts",
      "k6/load.js",
      "workloads/go/main.go",
    ]) {
      assert.ok(names.includes(needed), needed);
    }
    assert.ok(!names.some((n) => /(^|\/)(node_modules|\.git)\//.test(n) || /^(results|build|\.cache)\//.test(n)));
    assert.ok(!names.some((n) => n.startsWith("Pulumi.") || n.startsWith("infra/") || n.startsWith("analysis/")));
  });

  it("keeps long paths, contents and the executable bit through tar", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tar-"));
    const long = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(50)}.txt`;
    writeFileSync(
      join(dir, "x.tgz"),
      tarGz([
        { path: long, data: Buffer.from("long\n") },
        { path: "bin/tool", data: Buffer.from("#!/bin/sh\necho ok\n"), executable: true },
      ]),
    );
    mkdirSync(join(dir, "out"));
    await run("tar", ["-xzf", join(dir, "x.tgz"), "-C", join(dir, "out")]);
    assert.equal(readFileSync(join(dir, "out", long), "utf8"), "long\n");
    assert.equal((await run(join(dir, "out", "bin", "tool"), [])).stdout, "ok\n");
  });

  it("lists files sorted, so the archive does not depend on directory order", () => {
    const files = listCodeFiles(repoRoot);
    assert.deepEqual(files, [...files].sort());
  });
});
