/** The pin tool against a fake vendor: checks the vendor's checksum, writes the sha256, keeps comments. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadRevision, revisionPath } from "../lab/config/revision";
import { digestIn, type Fetcher, pinDownloads } from "./pin";

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
  for (const name of ["docker", "ops", "nanosKernel", "nanosCommon"] as const) {
    const data = Buffer.from(`stand-in ${name}`);
    served.set(d[name].url, data);
    const vc = d[name].vendorChecksum;
    if (vc)
      served.set(vc.url, Buffer.from(`${hex(vc.algorithm, tamper ? Buffer.from("other") : data)}  ${d[name].file}\n`));
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
  it("pins only the unpinned files, checked against the vendor's checksum where there is one", async () => {
    const { dir, path, fetcher, fetched } = setup();
    const bundle = join(dir, "bundle");
    const lines: string[] = [];
    const result = await pinDownloads({ revision: path, fetcher, writeBundle: bundle, log: (l) => lines.push(l) });
    assert.deepEqual(Object.keys(result.pinned), ["docker", "ops", "nanosKernel", "nanosCommon"]);
    assert.deepEqual(result.unverified, ["docker", "nanosCommon"], "Docker and ops' common files publish no checksum");
    assert.ok(!fetched.some((u) => u.includes("go1.22.2")), "already pinned files are left alone");
    const pinned = loadRevision(path).downloads;
    assert.equal(pinned?.ops.sha256, hex("sha256", Buffer.from("stand-in ops")));
    const text = readFileSync(path, "utf8");
    assert.match(text, /# section III: "Go \(v1\.22\.2\)"/, "comments are kept");
    assert.ok(existsSync(join(bundle, "ops-0.1.43")));
    assert.match(lines.join("\n"), /ops: ops-0\.1\.43 matches the vendor's md5/);
  });

  it("refuses a file the vendor's checksum does not match, and writes nothing", async () => {
    const { path, fetcher } = setup(true);
    const before = readFileSync(path, "utf8");
    await assert.rejects(
      pinDownloads({ revision: path, fetcher, log: () => {} }),
      /ops: ops-0\.1\.43 from https:\S+ has md5 [0-9a-f]{32}, the vendor publishes/,
    );
    assert.equal(readFileSync(path, "utf8"), before);
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
