/** The results store's writes under faults (lab/results/store.ts; here, since scripts/test.ts skips folders named results). */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cellId } from "../../core/matrix";
import type { CellResult } from "../../core/results/schema";
import { mountTmpfs } from "../testing/faults";
import { setAsideLabError, storageProblem, writeCellResult, writeJsonAtomic } from "./store";

const root = mkdtempSync(join(tmpdir(), "store-writes-"));
after(() => rmSync(root, { recursive: true, force: true }));

const spec: CellResult["spec"] = {
  revision: "paper-2025",
  runtime: "go",
  platform: "native",
  workload: "io",
  cpus: 1,
  memoryMB: 256,
  knobs: {},
  load: null,
  ttr: null,
  allowEmulation: false,
  repetition: 1,
};

function result(id: string): CellResult {
  return {
    schemaVersion: 1,
    id,
    name: "go-native-io-1cpu-256mb-r1",
    spec,
    status: "lab-error",
    reason: "the load generator failed: wrk failed (exit signal SIGKILL)",
    flags: [],
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:01.000Z",
    wallS: 1,
    ttr: null,
    load: null,
    generator: null,
    footprint: null,
    appInfo: null,
    limits: null,
    exit: null,
    rawDir: `cells/${id}`,
  };
}

describe("results store writes", () => {
  it("a recorded cell is never overwritten; a truncated file in its place is kept beside and replaced", () => {
    const runDir = join(root, "run");
    mkdirSync(join(runDir, "cells"), { recursive: true });
    const id = cellId(spec);
    assert.equal(writeCellResult(runDir, result(id)), undefined);
    assert.throws(() => writeCellResult(runDir, result(id)), /a recorded cell is never overwritten/);

    const path = join(runDir, "cells", `${id}.json`);
    const whole = readFileSync(path, "utf8");
    writeFileSync(path, whole.slice(0, 40));
    assert.equal(writeCellResult(runDir, result(id)), `${path}.unreadable`);
    assert.equal(readFileSync(`${path}.unreadable`, "utf8"), whole.slice(0, 40));
    assert.equal(JSON.parse(readFileSync(path, "utf8")).id, id);
    writeFileSync(path, "{");
    assert.equal(writeCellResult(runDir, result(id)), `${path}.unreadable-2`, "an earlier kept file stays");
  });

  it("a lab-error a resume runs again moves beside with its raw files; other results stay put", () => {
    const runDir = join(root, "retry");
    mkdirSync(join(runDir, "cells"), { recursive: true });
    const id = cellId(spec);
    assert.equal(setAsideLabError(runDir, id), undefined, "nothing recorded: nothing to move");
    writeCellResult(runDir, result(id));
    mkdirSync(join(runDir, "cells", id));
    writeFileSync(join(runDir, "cells", id, "wrk.txt"), "killed");
    const path = join(runDir, "cells", `${id}.json`);
    assert.equal(setAsideLabError(runDir, id), `${path}.lab-error`);
    assert.equal(readFileSync(join(runDir, "cells", `${id}.lab-error`, "wrk.txt"), "utf8"), "killed");
    assert.equal(writeCellResult(runDir, { ...result(id), status: "ok", reason: null }), undefined);
    assert.equal(setAsideLabError(runDir, id), undefined, "an ok result is never moved");
    assert.equal(JSON.parse(readFileSync(path, "utf8")).status, "ok");
    rmSync(path);
    writeCellResult(runDir, result(id));
    assert.equal(setAsideLabError(runDir, id), `${path}.lab-error-2`, "an earlier kept attempt stays");
  });

  it("a write that fills the disk leaves the target untouched and no temporary file", (t) => {
    const dir = join(root, "small");
    mkdirSync(dir);
    const unmount = mountTmpfs(dir, "64k");
    if (!unmount) return t.skip("cannot mount a tmpfs here (needs root)");
    try {
      const target = join(dir, "manifest.json");
      writeJsonAtomic(target, { a: 1 });
      assert.throws(() => writeJsonAtomic(target, { a: "x".repeat(256 * 1024) }), /ENOSPC/);
      assert.deepEqual(JSON.parse(readFileSync(target, "utf8")), { a: 1 });
      assert.deepEqual(readdirSync(dir), ["manifest.json"]);
    } finally {
      unmount();
    }
  });

  it("tells a storage fault from other errors", () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    assert.match(storageProblem(enospc, "/r") ?? "", /ENOSPC/);
    assert.match(storageProblem(new Error("outer", { cause: enospc }), "/r") ?? "", /ENOSPC/);
    assert.match(storageProblem(new Error("wrk: could not write load.log: ENOSPC"), "/r") ?? "", /ENOSPC/);
    const refused = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES", path: "/r/run/x" });
    assert.match(storageProblem(refused, "/r") ?? "", /EACCES/);
    const elsewhere = Object.assign(new Error("EACCES: permission denied"), {
      code: "EACCES",
      path: "/sys/fs/cgroup/x",
    });
    assert.equal(
      storageProblem(elsewhere, "/r"),
      null,
      "a refused write outside the results is not the storage's fault",
    );
    assert.equal(storageProblem(new Error("wrk failed (exit signal SIGKILL)"), "/r"), null);
  });
});
