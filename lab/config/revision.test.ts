import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { ConfigError } from "../../core/config/errors";
import { loadRevision } from "./revision";

/** The revision as loose YAML data, so a test can break it in any way. */
type LooseRevision = Record<"versions" | "nodeBinary" | "images", Record<string, unknown>>;

function writeRevision(mutate: (rev: LooseRevision) => void): string {
  const rev = JSON.parse(JSON.stringify(loadRevision("paper-2025"))) as LooseRevision;
  mutate(rev);
  const dir = mkdtempSync(join(tmpdir(), "rev-"));
  const path = join(dir, "candidate.yaml");
  writeFileSync(path, stringify(rev));
  return path;
}

function problemsOf(path: string): string[] {
  try {
    loadRevision(path);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.ok(error.message.includes(path), "the error names the file");
    return [...error.problems];
  }
  assert.fail("the revision was accepted");
}

describe("revision files", () => {
  it("pins the paper's versions", () => {
    const rev = loadRevision("paper-2025");
    assert.deepEqual(
      { go: rev.versions.go, node: rev.versions.node, docker: rev.versions.docker, nanos: rev.versions.nanos },
      { go: "1.22.2", node: "24.3.0", docker: "28.3.1", nanos: "0.1.54" },
    );
    assert.equal(rev.versions.ops, "0.1.43");
    assert.equal(rev.versions.qemu, "8.2.2");
  });

  it("names the key, the value and what is allowed for a bad version", () => {
    const [problem] = problemsOf(writeRevision((r) => (r.versions.node = "24")));
    assert.match(problem ?? "", /^versions\.node = "24" is not allowed: expected a version like 1\.2\.3$/);
  });

  it("rejects unknown keys by name", () => {
    const problems = problemsOf(writeRevision((r) => (r.versions.nodejs = "24.3.0")));
    assert.ok(
      problems.some((p) => p.includes("versions.nodejs") && p.includes("unknown key")),
      problems.join("\n"),
    );
  });

  it("reports every problem at once, including missing keys", () => {
    const problems = problemsOf(
      writeRevision((r) => {
        delete r.nodeBinary.integrity;
        r.images.nodeRuntime = "Not An Image";
      }),
    );
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("nodeBinary.integrity = missing")));
    assert.ok(problems.some((p) => p.startsWith('images.nodeRuntime = "Not An Image"')));
  });

  it("says which revision was not found", () => {
    assert.throws(() => loadRevision("no-such-revision"), /revision "no-such-revision" not found/);
  });
});
