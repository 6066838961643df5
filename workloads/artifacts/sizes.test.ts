import assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { measureArtifactSize } from "./sizes";

describe("artifact sizes", () => {
  const dir = mkdtempSync(join(tmpdir(), "sizes-"));

  it("tell apparent from allocated bytes on a sparse image", async () => {
    const image = join(dir, "disk.img");
    const fd = openSync(image, "w");
    writeSync(fd, Buffer.from("boot"), 0, 4, 64 * 1024 * 1024 - 4); // a 64 MiB file with one written block
    closeSync(fd);
    const size = await measureArtifactSize({ kind: "nanos-image", path: image });
    assert.equal(size.apparentBytes, 64 * 1024 * 1024);
    assert.ok(size.allocatedBytes !== null && size.allocatedBytes < 1024 * 1024, `allocated ${size.allocatedBytes}`);
  });

  it("count a plain file", async () => {
    writeFileSync(join(dir, "bin"), Buffer.alloc(5000, 1));
    const size = await measureArtifactSize({ kind: "file", path: join(dir, "bin") });
    assert.equal(size.apparentBytes, 5000);
    assert.ok((size.allocatedBytes ?? 0) >= 5000);
  });

  it("add up a folder", async () => {
    mkdirSync(join(dir, "tree/sub"), { recursive: true });
    writeFileSync(join(dir, "tree/a"), "12345");
    writeFileSync(join(dir, "tree/sub/b"), "123");
    assert.equal((await measureArtifactSize({ kind: "directory", path: join(dir, "tree") })).apparentBytes, 8);
  });

  it("refuse a folder passed as a file", async () => {
    await assert.rejects(measureArtifactSize({ kind: "file", path: dir }), /is not a regular file/);
  });
});
