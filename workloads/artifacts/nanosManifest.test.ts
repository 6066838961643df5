import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  MANIFEST_END,
  nanosString,
  OPS_GENERATED_FILES,
  opsManifest,
  renderManifest,
  renderManifestPrefix,
} from "./nanosManifest";
import { findNanosRelease, NANOS_RELEASE_ENV, nanosReleaseDir } from "./nanosRelease";

const generated = {
  "/etc/passwd": "/b/ops-files/passwd",
  "/etc/resolv.conf": "/b/ops-files/resolv.conf",
  "/proc/sys/kernel/hostname": "/b/ops-files/hostname",
} as const;

const node = opsManifest({
  program: "/cache/node/24.3.0/bin/node",
  args: ["app.js"],
  files: [{ name: "app.js", hostPath: "/b/app.js" }],
  libraries: ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"],
  generated,
  common: {},
  env: { PORT: "8080" },
  ports: ["8080"],
  imageName: "edgelab-node-paper-2025",
  opsVersion: "0.1.43",
  nanosVersion: "0.1.54",
});

describe("the manifest ops 0.1.43 would build", () => {
  it("has ops' generated files with ops' contents", () => {
    assert.deepEqual(OPS_GENERATED_FILES, {
      "/etc/passwd": "root:x:0:0:root:/root:/bin/nobash",
      "/etc/resolv.conf": "nameserver  8.8.8.8\n",
      "/proc/sys/kernel/hostname": "uniboot",
    });
  });

  it("puts the program at its path as typed, argv[0] that path, then Args; Files at /<name>; libraries where they resolved", () => {
    assert.equal(node.program, "/cache/node/24.3.0/bin/node");
    assert.deepEqual(node.arguments, ["/cache/node/24.3.0/bin/node", "app.js"]);
    const text = renderManifest(node);
    assert.match(
      text,
      /"cache":\(children:\(\n\s+"node":\(children:\(\n\s+"24\.3\.0":\(children:\(\n\s+"bin":\(children:\(\n\s+"node":\(contents:\(host:"\/cache\/node\/24\.3\.0\/bin\/node"\)\)/,
    );
    assert.match(text, /"app\.js":\(contents:\(host:"\/b\/app\.js"\)\)/);
    assert.match(
      text,
      /"lib64":\(children:\(\n\s+"ld-linux-x86-64\.so\.2":\(contents:\(host:"\/lib64\/ld-linux-x86-64\.so\.2"\)\)/,
    );
    assert.match(text, /"hostname":\(contents:\(host:"\/b\/ops-files\/hostname"\)\)/);
    assert.doesNotMatch(text, /libnss_dns|ca-certificates/, "ops' common files only when their archive is here");
  });

  it("orders the environment as ops adds it, the config's Env and OPS_PORT last, and lets an instance add its own", () => {
    assert.deepEqual(node.environment, [
      ["USER", "root"],
      ["PWD", "/"],
      ["OPS_VERSION", "0.1.43"],
      ["NANOS_VERSION", "0.1.54"],
      ["NANOS_ARCH", "amd64"],
      ["IMAGE_NAME", "edgelab-node-paper-2025"],
      ["PORT", "8080"],
      ["OPS_PORT", "8080"],
    ]);
    const prefix = renderManifestPrefix(node);
    assert.ok(prefix.endsWith('"PORT":"8080" "OPS_PORT":"8080"'));
    assert.equal(
      renderManifest(node, { NODE_OPTIONS: "--max-old-space-size=96" }),
      `${prefix} "NODE_OPTIONS":"--max-old-space-size=96"${MANIFEST_END}`,
    );
  });

  it("quotes every string, so no path or value can end it", () => {
    assert.equal(nanosString('a "b" \\ c'), '"a \\"b\\" \\\\ c"');
  });

  it("refuses a file placed through another file", () => {
    assert.throws(
      () =>
        opsManifest({
          program: "/x",
          args: [],
          files: [{ name: "x/y", hostPath: "/h" }],
          libraries: [],
          generated,
          common: {},
          env: {},
          ports: [],
          imageName: "i",
          opsVersion: "0.1.43",
          nanosVersion: "0.1.54",
        }),
      /goes through the file x/,
    );
  });
});

describe("finding a Nanos release", () => {
  it("looks in EDGELAB_NANOS_RELEASE, else in ops' folder for the version", () => {
    assert.deepEqual(nanosReleaseDir("0.1.54", { [NANOS_RELEASE_ENV]: "/r" }), {
      dir: "/r",
      source: NANOS_RELEASE_ENV,
    });
    assert.equal(nanosReleaseDir("0.1.54", { OPS_HOME: "/o" }).dir, "/o/0.1.54");
    assert.equal(nanosReleaseDir("0.1.54", { HOME: "/home/u" }).dir, "/home/u/.ops/0.1.54");
  });

  it("says what is missing and what to do; finds a complete folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "nanos-release-"));
    assert.match(
      findNanosRelease("0.1.54", { [NANOS_RELEASE_ENV]: join(dir, "none") }) as string,
      /^no Nanos 0\.1\.54 release at .*none \(EDGELAB_NANOS_RELEASE\): set EDGELAB_NANOS_RELEASE/,
    );
    writeFileSync(join(dir, "kernel.img"), "kernel");
    writeFileSync(join(dir, "boot.img"), "boot");
    mkdirSync(join(dir, "klibs"));
    assert.match(
      findNanosRelease("0.1.54", { [NANOS_RELEASE_ENV]: dir }) as string,
      /lacks mkfs \(executable; the release tarball has none: `make mkfs` in the Nanos source\)/,
    );
    writeFileSync(join(dir, "mkfs"), "#!/bin/sh\n");
    chmodSync(join(dir, "mkfs"), 0o755);
    const found = findNanosRelease("0.1.54", { [NANOS_RELEASE_ENV]: dir });
    assert.ok(typeof found !== "string");
    assert.equal(found.mkfs, join(dir, "mkfs"));
    assert.equal(found.kernelSha256, createHash("sha256").update("kernel").digest("hex"));
  });
});
