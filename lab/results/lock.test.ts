/** lab/results/lock.ts (here, since scripts/test.ts skips every folder named results). */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { repoRoot } from "../../core/paths";
import { acquireRunLock, LOCK_FILE, liveHolderOf, RunLockedError } from "./lock";

const root = mkdtempSync(join(tmpdir(), "lock-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const runDir = () => mkdtempSync(join(root, `run${n++}-`));

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

describe("the run-folder lock", () => {
  it("is taken with O_EXCL, names its holder, and is released", () => {
    const dir = runDir();
    const lock = acquireRunLock(dir);
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.host, hostname());
    assert.match(holder.startedAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(lock.tookOverFrom, null);
    lock.release();
    lock.release(); // twice is fine
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it("refuses a second lab while the first runs, naming its pid, host and start", async () => {
    const dir = runDir();
    // Another process takes the lock and keeps it until told to go.
    const script = `require(${JSON.stringify(join(repoRoot, "lab", "results", "lock.ts"))}).acquireRunLock(process.argv[1]);
console.log("locked"); process.stdin.resume(); process.stdin.on("end", () => process.exit(0));`;
    const holder = spawn(process.execPath, ["--import", "tsx", "-e", script, dir], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    await once(holder.stdout, "data");
    try {
      assert.throws(
        () => acquireRunLock(dir),
        (error: unknown) =>
          error instanceof RunLockedError &&
          error.name === "InputError" &&
          new RegExp(`in use by another lab: pid ${holder.pid} on ${hostname()}, started \\d{4}-`).test(error.message),
      );
      assert.equal(liveHolderOf(dir)?.pid, holder.pid);
    } finally {
      holder.stdin.end();
      await once(holder, "exit");
    }
    // It exited cleanly: its lock is gone and the next lab takes it without a note.
    const lock = acquireRunLock(dir);
    assert.equal(lock.tookOverFrom, null);
    lock.release();
  });

  it("takes over a stale lock (its process is gone) and says whose it was", () => {
    const dir = runDir();
    const pid = deadPid();
    const stale = {
      pid,
      host: hostname(),
      processStart: "1",
      startedAt: "2026-01-01T00:00:00.000Z",
      runDir: dir,
      command: "lab",
    };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
    assert.equal(liveHolderOf(dir), null);
    const lock = acquireRunLock(dir);
    assert.equal(lock.tookOverFrom?.pid, pid);
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
    lock.release();
  });

  it("a reused pid is not the holder: a lock whose process started at another time is stale", () => {
    const dir = runDir();
    // A live pid (our parent's), but a start time it never had: the holder was an earlier process with that pid.
    const reused = {
      pid: process.ppid,
      host: hostname(),
      processStart: "0",
      startedAt: "2026-01-01T00:00:00.000Z",
      runDir: dir,
      command: "lab",
    };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(reused));
    const lock = acquireRunLock(dir);
    assert.equal(lock.tookOverFrom?.pid, process.ppid);
    lock.release();
  });

  it("never removes a lock another lab took over after this one's", () => {
    const dir = runDir();
    const lock = acquireRunLock(dir);
    const other = {
      pid: process.ppid,
      host: hostname(),
      processStart: null,
      startedAt: "2026-01-01T00:00:00.000Z",
      runDir: dir,
      command: "lab",
    };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(other));
    lock.release();
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.ppid);
  });

  it("an empty lock file (a creator that died between create and write) is taken over", () => {
    const dir = runDir();
    writeFileSync(join(dir, LOCK_FILE), "");
    const lock = acquireRunLock(dir);
    assert.equal(lock.tookOverFrom, null);
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
    lock.release();
  });
});
