/**
 * `pulumi preview` of the dev stack (Pulumi.dev.yaml, the paper revision with ops, the Nanos kernel
 * and ops' common files not pinned in it) no longer stops: the program locks them on first use
 * (stand-ins served on localhost), and the plan goes through to every cell (mocked engine).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { revisionPath } from "../core/config/revision";
import { repoRoot } from "../core/paths";
import { loadRevision } from "../lab/config/revision";
import { lockPathOf, readLock, setProgramDownloads } from "./lock";
import { fileOf } from "./testing/downloads";
import { type ProgramRun, runProgram, SECRET_KEYS, TEST_PUBLIC_KEY, TEST_TOKEN } from "./testing/mockProgram";
import { type StandInServer, startStandInServer } from "./testing/standInServer";

let server: StandInServer;
let run: ProgramRun;
let revisionFile: string;

before(async () => {
  server = await startStandInServer();
  const dir = mkdtempSync(join(tmpdir(), "dev-preview-"));
  revisionFile = join(dir, "paper-2025.yaml");
  writeFileSync(revisionFile, readFileSync(revisionPath("paper-2025"), "utf8"));
  const d = loadRevision(revisionFile).downloads;
  if (!d) throw new Error("no downloads");
  for (const name of ["ops", "nanosKernel", "nanosSource", "nanosCommon"] as const) {
    const data = Buffer.from(`stand-in ${name}`);
    const file = fileOf(d, name);
    server.serve(file.url, data);
    const vc = file.vendorChecksum;
    if (vc) server.serve(vc.url, Buffer.from(`${createHash("md5").update(data).digest("hex")}  ${file.file}\n`));
  }
  setProgramDownloads({ fetcher: server.fetcher, cacheDir: join(dir, "cache") });
  const stack = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const config = Object.fromEntries(
    Object.entries(stack.config).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]),
  );
  run = await runProgram(
    {
      ...config,
      // the dev stack as it is, with its revision copied where the test may write the lock
      "edge-lab:revision": revisionFile,
      // what the walkthrough sets: your address (never one in the stack file), your login key
      "edge-lab:sshAllowedCidrs": JSON.stringify(["81.2.69.160/32"]),
      "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
      "hcloud:token": TEST_TOKEN,
    },
    SECRET_KEYS,
    "dev",
    { preview: true },
  );
});
after(() => server.close());

describe("pulumi preview of the dev stack (mocked engine)", () => {
  it("does not stop on the files the revision does not pin: it locks them on first use", () => {
    const lock = readLock(lockPathOf(revisionFile), "paper-2025");
    assert.deepEqual(Object.keys(lock.files).sort(), ["nanosCommon", "nanosKernel", "ops"]);
    assert.ok(existsSync(lockPathOf(revisionFile)));
    assert.equal(run.outputs.lockFile, lockPathOf(revisionFile));
  });

  it("plans the paper profile through to every cell, and the hosts verify against the lock", () => {
    assert.equal(run.outputs.cells, 180);
    assert.equal(run.resources.filter((r) => r.name.includes("-sweep-cell-")).length, 180);
    const lock = readLock(lockPathOf(revisionFile), "paper-2025");
    const ops = run.resources.find((r) => r.name === "edgelab-sut-steps-nanos-setup");
    assert.ok(ops, "the Nanos platform's install step is planned");
    const script = JSON.stringify(ops.inputs.create);
    assert.ok(script.includes(lock.files.ops?.sha256 as string), "the Nanos install checks the locked sha256");
    assert.ok(script.includes(lock.files.nanosCommon?.sha256 as string));
  });
});
