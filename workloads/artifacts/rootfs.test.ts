import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { assembleNodeRootfs, lddReport, parseLddOutput } from "./rootfs";

const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

describe("ldd parsing (captured output)", () => {
  it("finds every library of the official Node 24.3.0 binary, the loader included", () => {
    const report = parseLddOutput(fixture("ldd-node-24.3.0-bookworm.txt"));
    assert.deepEqual(report.libraries, [
      "/lib/x86_64-linux-gnu/libdl.so.2",
      "/lib/x86_64-linux-gnu/libstdc++.so.6",
      "/lib/x86_64-linux-gnu/libm.so.6",
      "/lib/x86_64-linux-gnu/libgcc_s.so.1",
      "/lib/x86_64-linux-gnu/libpthread.so.0",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
    assert.equal(report.isStatic, false);
    assert.deepEqual(report.missing, []);
  });

  it("recognises the static Go binary", () => {
    assert.deepEqual(parseLddOutput(fixture("ldd-static-go.txt")), { libraries: [], missing: [], isStatic: true });
  });

  it("reports libraries that are not found", () => {
    const report = parseLddOutput("\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n");
    assert.deepEqual(report.missing, ["libfoo.so.1"]);
    assert.deepEqual(report.libraries, ["/lib/x86_64-linux-gnu/libc.so.6"]);
  });
});

describe("the offline Node root filesystem", () => {
  it("holds the binary, the app and exactly the libraries ldd lists", async () => {
    // /usr/bin/env stands in for node: any dynamic binary exercises the same copying.
    const dir = join(mkdtempSync(join(tmpdir(), "rootfs-")), "rootfs");
    const rootfs = await assembleNodeRootfs("/usr/bin/env", __filename, dir);
    const { libraries } = await lddReport("/usr/bin/env");
    assert.ok(libraries.length >= 2);
    assert.deepEqual(
      rootfs.files.map((f) => f.path),
      ["/usr/local/bin/node", "/app/app.js", ...libraries],
    );
    for (const file of rootfs.files) {
      const copied = join(dir, file.path);
      assert.ok(statSync(copied).isFile(), `${file.path} is a real file, not a link`);
    }
    assert.ok(existsSync(join(dir, "tmp")));
    assert.equal(statSync(join(dir, "usr/local/bin/node")).mode & 0o111, 0o111);
  });
});
