/** The pin tool: locks ahead of time (the lock beside the revision), keeps a bundle, verifies. */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { revisionPath } from "../core/config/revision";
import { loadRevision } from "../lab/config/revision";
import { lockPathOf, readLock } from "./lock";
import { digestIn, type Fetcher, pinDownloads } from "./pin";
import { fileOf } from "./testing/downloads";

const hex = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest("hex");

/** A copy of the paper revision, and a fake internet serving a file per URL. */
function setup(tamper = false) {
  const dir = mkdtempSync(join(tmpdir(), "pin-"));
  const path = join(dir, "paper.yaml");
  writeFileSync(path, readFileSync(revisionPath("paper-2025"), "utf8"));
  const revision = loadRevision(path);
  const d = revision.downloads;
  if (!d) throw new Error("no downloads");
  const served = new Map<string, Buffer>();
  for (const name of ["ops", "nanosKernel", "nanosSource", "nanosCommon"] as const) {
    const data = Buffer.from(`stand-in ${name}`);
    const file = fileOf(d, name);
    served.set(file.url, data);
    const vc = file.vendorChecksum;
    if (vc)
      served.set(vc.url, Buffer.from(`${hex(vc.algorithm, tamper ? Buffer.from("other") : data)}  ${file.file}\n`));
  }
  const fetched: string[] = [];
  const fetcher: Fetcher = async (url) => {
    fetched.push(url);
    const data = served.get(url);
    if (!data) throw new Error(`unexpected fetch ${url}`);
    return data;
  };
  return { dir, path, fetcher, fetched };
}

describe("infra/pin.ts", () => {
  it("locks only what the revision does not pin, checked against the vendor's checksum, and keeps a bundle", async () => {
    const { dir, path, fetcher, fetched } = setup();
    const bundle = join(dir, "bundle");
    const lines: string[] = [];
    const before = readFileSync(path, "utf8");
    const result = await pinDownloads({
      revision: path,
      fetcher,
      writeBundle: bundle,
      cacheDir: join(dir, "cache"),
      log: (l) => lines.push(l),
    });
    assert.deepEqual(result.added, ["ops", "nanosKernel", "nanosCommon", "nanosSource"]);
    assert.deepEqual(
      result.unverified,
      ["nanosCommon", "nanosSource"],
      "ops' common files and the Nanos source archive publish no checksum",
    );
    assert.ok(!fetched.some((u) => u.includes("go1.22.2")), "files the revision pins are left alone");
    assert.equal(readFileSync(path, "utf8"), before, "the revision file is not rewritten: the lock holds the pins");
    assert.equal(
      readLock(lockPathOf(path), "paper-2025").files.ops?.sha256,
      hex("sha256", Buffer.from("stand-in ops")),
    );
    assert.ok(existsSync(join(bundle, "ops-0.1.43")));
    assert.match(lines.join("\n"), /locked ops: ops-0\.1\.43 sha256 [0-9a-f]{64} \(matches the vendor's md5/);
  });

  it("refuses a file the vendor's checksum does not match, and writes no lock", async () => {
    const { dir, path, fetcher } = setup(true);
    await assert.rejects(
      pinDownloads({ revision: path, fetcher, cacheDir: join(dir, "cache"), log: () => {} }),
      /ops: ops-0\.1\.43 from https:\S+ has md5 [0-9a-f]{32}, the vendor publishes/,
    );
    assert.ok(!existsSync(lockPathOf(path)));
  });

  it("reads digests from checksum files", () => {
    assert.equal(digestIn("d41d8cd98f00b204e9800998ecf8427e  ops\n", 32), "d41d8cd98f00b204e9800998ecf8427e");
    assert.equal(
      digestIn("5901C52B7A78002AEFF14A21F93E0F064F74CE1360FCE51C6EE68CD471216A17", 64),
      "5901c52b7a78002aeff14a21f93e0f064f74ce1360fce51c6ee68cd471216a17",
    );
    assert.equal(digestIn("no digest here", 64), undefined);
  });
});
