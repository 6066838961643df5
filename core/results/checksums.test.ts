/** The results folder's checksum manifest: written, checked, and one altered byte refused with its file named. */
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CHECKSUMS_FILE, ChecksumError, verifyChecksums, writeChecksums } from "./checksums";

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "checksums-"));
  mkdirSync(join(dir, "cells"));
  writeFileSync(join(dir, "manifest.json"), '{"runId":"r"}\n');
  writeFileSync(join(dir, "cells", "a.json"), '{"id":"a","status":"ok"}\n');
  writeFileSync(join(dir, "cells", "b.json"), '{"id":"b","status":"oom"}\n');
  return dir;
}

const refusal = (dir: string, sha?: string) => {
  try {
    verifyChecksums(dir, sha);
  } catch (error) {
    assert.ok(error instanceof ChecksumError);
    return error.problems;
  }
  return assert.fail("the folder was accepted");
};

describe("results checksum manifest", () => {
  it("lists every file in sha256sum's format and accepts the folder as written", () => {
    const dir = folder();
    const sha = writeChecksums(dir);
    const text = readFileSync(join(dir, CHECKSUMS_FILE), "utf8");
    assert.match(
      text,
      /^[0-9a-f]{64} {2}cells\/a\.json\n[0-9a-f]{64} {2}cells\/b\.json\n[0-9a-f]{64} {2}manifest\.json\n$/,
    );
    verifyChecksums(dir, sha);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses one altered byte, naming the file", () => {
    const dir = folder();
    const sha = writeChecksums(dir);
    const file = join(dir, "cells", "b.json");
    const bytes = readFileSync(file);
    bytes[7] = (bytes[7] ?? 0) ^ 1;
    writeFileSync(file, bytes);
    assert.deepEqual(refusal(dir, sha), ["cells/b.json: its sha256 differs from the manifest's"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses an added, a missing or a truncated file, and a manifest that is not the one announced", () => {
    const dir = folder();
    const sha = writeChecksums(dir);
    writeFileSync(join(dir, "cells", "c.json"), "{}\n");
    rmSync(join(dir, "cells", "a.json"));
    assert.deepEqual(refusal(dir, sha), [
      "cells/c.json: not in the manifest (added after it was written)",
      "cells/a.json: in the manifest, missing here",
    ]);
    appendFileSync(join(dir, CHECKSUMS_FILE), `${"0".repeat(64)}  cells/c.json\n`);
    assert.match(refusal(dir, sha)[0] ?? "", /^checksums\.sha256: its sha256 is [0-9a-f]{64}, the SUT announced/);
    rmSync(join(dir, CHECKSUMS_FILE));
    assert.deepEqual(refusal(dir), ["checksums.sha256: missing (the results came without their manifest)"]);
    rmSync(dir, { recursive: true, force: true });
  });
});
