/**
 * The download lock against stand-in downloads served on localhost: the first use checks the
 * vendor's MD5, writes the lock and says how to review it; a later use verifies against the lock
 * and refuses a changed file; an MD5 mismatch is refused and nothing is locked.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError } from "../core/config/errors";
import { type Revision, revisionPath } from "../core/config/revision";
import { loadRevision } from "../lab/config/revision";
import { lockDownloads, lockPathOf, readLock } from "./lock";
import { fileOf } from "./testing/downloads";
import { type StandInServer, startStandInServer } from "./testing/standInServer";

const hex = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest("hex");
const NAMES = ["ops", "nanosKernel", "nanosSource", "nanosCommon"] as const;

let server: StandInServer;
before(async () => {
  server = await startStandInServer();
});
after(() => server.close());

/** A copy of the paper revision in a folder of its own, and stand-ins for its unpinned files. */
function setup(options: { md5Of?: (name: string, data: Buffer) => Buffer } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lock-"));
  const file = join(dir, "paper-2025.yaml");
  writeFileSync(file, readFileSync(revisionPath("paper-2025"), "utf8"));
  const revision = loadRevision(file);
  const d = revision.downloads;
  if (!d) throw new Error("no downloads");
  const data: Record<string, Buffer> = {};
  for (const name of NAMES) {
    const stand = Buffer.from(`stand-in ${name} ${dir}`);
    data[name] = stand;
    const file = fileOf(d, name);
    server.serve(file.url, stand);
    const vc = file.vendorChecksum;
    if (vc) {
      const md5Input = options.md5Of ? options.md5Of(name, stand) : stand;
      server.serve(vc.url, Buffer.from(`${hex(vc.algorithm, md5Input)}  ${file.file}\n`));
    }
  }
  return { dir, file, revision, data, cacheDir: join(dir, "cache") };
}

const use = (s: ReturnType<typeof setup>, log: string[] = [], revision: Revision = s.revision, verify = false) =>
  lockDownloads({
    revision,
    revisionFile: s.file,
    names: NAMES,
    cacheDir: s.cacheDir,
    fetcher: server.fetcher,
    log: (l) => log.push(l),
    verify,
    now: () => new Date("2026-11-30T00:00:00Z"),
  });

describe("the download lock (stand-ins on localhost)", () => {
  it("first use: checks the vendor's MD5, writes the lock, and says how to review it", async () => {
    const s = setup();
    const log: string[] = [];
    const result = await use(s, log);
    assert.deepEqual(result.added, ["ops", "nanosKernel", "nanosSource", "nanosCommon"]);
    assert.deepEqual(
      result.unverified,
      ["nanosSource", "nanosCommon"],
      "ops' common files and the Nanos source archive have no published checksum",
    );
    const lock = readLock(lockPathOf(s.file), "paper-2025");
    assert.equal(lockPathOf(s.file), join(s.dir, "paper-2025.lock.json"));
    assert.equal(lock.files.ops?.sha256, hex("sha256", s.data.ops as Buffer));
    assert.equal(lock.files.ops?.version, "0.1.43");
    assert.equal(lock.files.nanosKernel?.version, "0.1.54");
    assert.deepEqual(lock.files.ops?.vendorChecksum, {
      algorithm: "md5",
      url: fileOf(s.revision.downloads, "ops").vendorChecksum?.url,
      digest: hex("md5", s.data.ops as Buffer),
    });
    assert.equal(fileOf(result.downloads, "nanosCommon").sha256, hex("sha256", s.data.nanosCommon as Buffer));
    assert.match(
      log.join("\n"),
      /locked ops: ops-0\.1\.43 sha256 [0-9a-f]{64} \(matches the vendor's md5 [0-9a-f]{32}\); review with `git diff .*paper-2025\.lock\.json` and commit it/,
    );
    assert.match(
      log.join("\n"),
      /locked nanosCommon: .*the vendor publishes no checksum: compare it with a second source/,
    );
    rmSync(s.dir, { recursive: true, force: true });
  });

  it("later uses verify against the lock, without the network, and refuse a changed file", async () => {
    const s = setup();
    await use(s);
    const before = readFileSync(lockPathOf(s.file), "utf8");
    const fetched = server.requested.length;
    const again = await use(s);
    assert.deepEqual(again.added, []);
    assert.equal(server.requested.length, fetched, "verified from the cache, nothing fetched");
    assert.equal(readFileSync(lockPathOf(s.file), "utf8"), before, "the lock is left as it is");
    // The vendor replaces the file: a later use that sees it refuses it.
    const ops = fileOf(s.revision.downloads, "ops");
    server.serve(ops.url, Buffer.from("a different ops"));
    rmSync(join(s.cacheDir, ops.file));
    await assert.rejects(use(s, [], s.revision, true), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.problems.join("\n"),
        /ops: ops-0\.1\.43 from https:\S+ has sha256 [0-9a-f]{64}, the lock holds [0-9a-f]{64}: refusing it/,
      );
      return true;
    });
    // A changed file in the cache (or a bundle) is refused the same way.
    writeFileSync(join(s.cacheDir, ops.file), "tampered");
    await assert.rejects(use(s), /refusing it/);
    assert.equal(readFileSync(lockPathOf(s.file), "utf8"), before);
    rmSync(s.dir, { recursive: true, force: true });
  });

  it("refuses a file whose MD5 is not the vendor's, and locks nothing", async () => {
    const s = setup({ md5Of: (name, data) => (name === "nanosKernel" ? Buffer.from("other") : data) });
    await assert.rejects(use(s), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.problems.join("\n"),
        /nanosKernel: nanos-release-linux-0\.1\.54\.tar\.gz from https:\S+ has md5 [0-9a-f]{32}, the vendor publishes [0-9a-f]{32} \(https:\S+\.md5\): refusing it, nothing locked/,
      );
      return true;
    });
    assert.ok(!existsSync(lockPathOf(s.file)), "no lock written");
    rmSync(s.dir, { recursive: true, force: true });
  });

  it("refuses a lock entry for another file than the revision now names", async () => {
    const s = setup();
    await use(s);
    const moved = structuredClone(s.revision);
    fileOf(moved.downloads, "ops").url = "https://storage.googleapis.com/cli/linux/release/0.1.44/ops";
    await assert.rejects(
      use(s, [], moved),
      /the lock holds ops-0\.1\.43 from .*0\.1\.43\/ops, the revision now names .*0\.1\.44\/ops: remove the entry "ops"/,
    );
    rmSync(s.dir, { recursive: true, force: true });
  });
});
