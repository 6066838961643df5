/** Writing a results folder: the run-id rule of core/results/runId.ts, and artifact paths recorded relative to the repository. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../core/paths";
import { readManifest } from "../../core/results/read";
import type { Manifest } from "../../core/results/schema";
import { createRunDir, writeManifest } from "./store";

const fixture = join(repoRoot, "analysis", "fixtures", "quick-run", "manifest.json");

describe("results store", () => {
  it("refuses a run id the one rule does not allow, naming it", () => {
    const root = mkdtempSync(join(tmpdir(), "store-"));
    for (const bad of ["../up", "a b", "", `x${"y".repeat(100)}`, "-flag"]) {
      assert.throws(() => createRunDir(root, bad), {
        name: "InputError",
        message: `run id ${JSON.stringify(bad)} is not allowed: use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)`,
      });
    }
  });

  it("records the builder's absolute paths relative to the repository; the reader gives them back as written", () => {
    const root = mkdtempSync(join(tmpdir(), "store-"));
    const dir = createRunDir(root, "portable");
    const manifest = JSON.parse(readFileSync(fixture, "utf8")) as Manifest;
    const built = join(repoRoot, "build", "artifacts", "paper-2025", "bin", "edgeapp-go");
    manifest.artifacts[0] = { ...manifest.artifacts[0], ref: built };
    writeManifest(dir, manifest);
    const written = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
    assert.equal(written.artifacts[0]?.ref, "build/artifacts/paper-2025/bin/edgeapp-go");
    assert.ok(!readFileSync(join(dir, "manifest.json"), "utf8").includes(repoRoot), "no path of this machine");
    assert.deepEqual(readManifest(dir).artifacts, written.artifacts);
  });
});
