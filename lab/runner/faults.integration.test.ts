/**
 * Faults in the middle of a sweep, on this machine, through the lab's own command line. One short
 * native sweep (Go, /io, wrk) takes five faults in turn, and each must end in a recorded status
 * for the cell it hit (or a clean stop that prints the resume command), lose nothing already
 * measured and leave nothing of the lab running:
 * - a second `npm run lab` on the same run folder is refused, naming the first's pid;
 * - wrk is killed mid-load: that cell is a lab-error and the sweep goes on;
 * - the results disk (a small tmpfs) fills up: the run stops cleanly with the resume command;
 *   made read-only, a resume is refused before it runs anything;
 * - a recorded cell file is truncated: `--resume` runs that cell again and only the missing ones.
 * The port and platform faults have files of their own (faults.platforms.integration.test.ts).
 */

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { goSkip } from "../../core/testing/requirements";
import { testRunId } from "../../core/testing/runIds";
import { loadRevision } from "../config/revision";
import { probeVersion } from "../load/generator";
import { wrkGenerator } from "../load/wrk";
import { validateRun } from "../results/validate";
import { childrenOf, livePidsUnder, mountTmpfs, processesInRunCgroups, processesUsing } from "../testing/faults";
import { type LabChild, runLabCli, startLabCli } from "../testing/labRuns";

const work = mkdtempSync(join(tmpdir(), "faults-it-"));
const resultsRoot = join(work, "results");
const runId = testRunId("faults");
const runDir = join(resultsRoot, runId);
const cellsDir = join(runDir, "cells");
const REPETITIONS = 5;

/** The revision with a profile of its own: five short native /io cells, loaded by wrk. */
function writeRevision(): string {
  const revision = loadRevision();
  assert.ok(revision.profiles.quick);
  // Matrix order and exactly REPETITIONS cells: the steps below count and pick cells by that.
  const { order: _order, adaptive: _adaptive, ...quick } = revision.profiles.quick;
  const faults = {
    ...quick,
    description: "faults in the middle of a sweep (a test)",
    runtimes: ["go"],
    platforms: ["native"],
    workloads: ["io"],
    resources: [{ cpus: 1, memoryMB: 256 }],
    repetitions: REPETITIONS,
    load: { executor: "constant-vus", vus: 4, warmupS: 0, durationS: 3, requestTimeoutS: 5 },
    ttr: { launches: 0, timeoutS: 15 },
    knobVariants: [],
    generator: "wrk",
  };
  const path = join(work, "revision.yaml");
  writeFileSync(path, stringify({ ...revision, profiles: { ...revision.profiles, faults } }));
  return path;
}

/** Every lab this file started: one still running when a test failed is stopped (SIGTERM: it removes its instance) in after(). */
const labs = new Set<ChildProcess>();

function startLab(args: string[]): LabChild {
  return startLabCli(resultsRoot, ["--no-report", ...args], labs);
}

function lab(args: string[]): Promise<{ code: number | null; output: string }> {
  return runLabCli(resultsRoot, ["--no-report", ...args], labs);
}

const cellFiles = () =>
  existsSync(cellsDir)
    ? readdirSync(cellsDir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
const readCell = (file: string) => JSON.parse(readFileSync(join(cellsDir, file), "utf8"));

async function until(what: string, test: () => boolean, child: ChildProcess, output: () => string, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (child.exitCode !== null) assert.fail(`the lab ended before ${what}:\n${output()}`);
    if (Date.now() > deadline) assert.fail(`no ${what} within ${ms / 1000} s:\n${output()}`);
    await sleep(50);
  }
}

/** Remount read-only or back; a file some process on the host still has open for writing there makes it fail for a moment. */
async function remount(dir: string, mode: "ro" | "rw") {
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync("mount", ["-o", `remount,${mode}`, dir], { stdio: "pipe" });
      return;
    } catch (error) {
      if (attempt >= 20)
        assert.fail(`remount,${mode} ${dir}: ${(error as Error).message}; using it: ${processesUsing(dir).join(", ")}`);
      await sleep(250);
    }
  }
}

let unmount: (() => void) | undefined;
let skipAll: string | false = false;

before(async () => {
  skipAll =
    (await goSkip()) || ((await probeVersion(wrkGenerator)) === null && "wrk is not installed (apt-get install wrk)");
  if (skipAll) return;
  mkdirSync(resultsRoot);
  // Room for the run and its cells (about 1 MB), not for the filler: the test fills it on purpose.
  unmount = mountTmpfs(resultsRoot, "16m");
});

after(async () => {
  for (const child of labs) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill("SIGTERM");
    await Promise.race([once(child, "exit"), sleep(60_000)]);
  }
  unmount?.();
  rmSync(work, { recursive: true, force: true });
});

describe("faults in the middle of a sweep", { timeout: 300_000 }, () => {
  /** What the first run left for the resume: the cells it recorded and their modification times. */
  const recorded = new Map<string, number>();
  let killedCell: string | undefined;

  it("a second lab on the same run folder is refused naming the first's pid; wrk killed mid-load is a lab-error and the sweep goes on; a full results disk stops the run cleanly with the resume command", async (t) => {
    if (skipAll) return t.skip(skipAll);
    const revision = writeRevision();
    const first = startLab(["--revision", revision, "--profile", "faults", "--run-id", runId]);
    const { child, output } = first;

    // Two labs at once: the second is refused before it writes, naming the first.
    await until("the run's lock", () => existsSync(join(runDir, "lab.lock")), child, output);
    const again = await lab(["--revision", revision, "--profile", "faults", "--run-id", runId]);
    assert.equal(again.code, 2, again.output);
    assert.match(again.output, new RegExp(`in use by another lab: pid ${child.pid} on ${hostname()}, started \\d{4}-`));
    await until("the manifest", () => existsSync(join(runDir, "manifest.json")), child, output);
    const resumed = await lab(["--resume", runId]);
    assert.equal(resumed.code, 2, resumed.output);
    assert.match(resumed.output, new RegExp(`in use by another lab: pid ${child.pid} `));

    // Another lab on the same results folder (another run) starts while the first has an instance
    // up: its leftover cleanup leaves the live run's instance alone.
    const active = join(runDir, "active");
    await until("an instance of the first lab", () => readdirSync(active).length > 0, child, output);
    const beside = await lab(["--revision", revision, "--profile", "faults", "--run-id", "beside", "--dry-run"]);
    assert.equal(beside.code, 0, beside.output);
    assert.doesNotMatch(beside.output, /removed \d+ instance|removed a leftover/);

    // wrk killed under load in the second cell.
    await until("the first cell", () => cellFiles().length >= 1, child, output);
    assert.equal(readCell(cellFiles()[0] ?? "").status, "ok", "the first cell was not disturbed by the lab beside it");
    let wrk: number | undefined;
    await until(
      "wrk loading the second cell",
      () => {
        // The measured run (it names the app's URL), not the version probe before it.
        wrk = childrenOf(child.pid ?? 0).find(
          (p) => p.comm === "wrk" && p.argv.some((a) => a.startsWith("http://")),
        )?.pid;
        return wrk !== undefined;
      },
      child,
      output,
    );
    const before = new Set(cellFiles());
    await sleep(700);
    process.kill(wrk ?? 0, "SIGKILL");
    await until("the second cell", () => cellFiles().length >= 2, child, output);
    killedCell = cellFiles().find((f) => !before.has(f));
    const hit = readCell(killedCell ?? "");
    t.diagnostic(`${hit.name}: ${hit.status}: ${hit.reason}`);
    assert.equal(hit.status, "lab-error", `${hit.name}: ${hit.status} ${hit.reason}`);
    assert.match(hit.reason, /the load generator failed: wrk failed \(exit signal SIGKILL\)/);

    // The results disk (a tmpfs) fills up while the sweep goes on.
    await until("the third cell", () => cellFiles().length >= 3, child, output);
    const third = readCell(cellFiles().find((f) => f !== killedCell && !before.has(f)) ?? "");
    assert.equal(third.status, "ok", `the sweep went on after the lab-error: ${third.reason}`);
    for (const file of cellFiles()) recorded.set(file, statSync(join(cellsDir, file)).mtimeMs);
    if (!unmount) {
      // No tmpfs here (not root): the full and read-only disk parts are left out, the rest runs.
      t.diagnostic("cannot mount a tmpfs here: the full and read-only results disk are not tested");
      const [code] = await once(child, "exit");
      assert.equal(code, 0, output());
    } else {
      const filler = join(resultsRoot, "filler");
      try {
        execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
      } catch {
        // dd ends with "No space left on device": the disk is full, as wanted
      }
      const [code] = await once(child, "exit");
      assert.equal(code, 1, output());
      assert.match(output(), /stopped: the results storage refused a write \(.*(ENOSPC|no space left)/i);
      assert.match(output(), new RegExp(`finish with: npm run lab -- --resume ${runId}\\n`));
      assert.doesNotMatch(output(), /^\s+at /m, "a clean stop, no stack trace");

      // Nothing measured is lost, nothing half-written stays, nothing of the lab runs.
      for (const [file, mtime] of recorded) {
        assert.equal(statSync(join(cellsDir, file)).mtimeMs, mtime, `${file} was rewritten`);
        assert.ok(readCell(file).id, `${file} still reads`);
      }
      assert.deepEqual(
        readdirSync(cellsDir).filter((f) => f.endsWith(".tmp")),
        [],
      );
      assert.equal(existsSync(join(runDir, "lab.lock")), false, "the lock was released");
      assert.deepEqual(livePidsUnder(runDir), []);
      assert.deepEqual(processesUsing(resultsRoot), [], "no process works in or writes to the results");
      assert.deepEqual(processesInRunCgroups(runId), [], "no app left in the run's cgroups");
      assert.deepEqual(readdirSync(join(runDir, "active")), [], "no instance is marked as still running");
      rmSync(filler);

      // A results folder that is not writable (read-only): the resume is refused before it runs anything.
      await remount(resultsRoot, "ro");
      try {
        const readOnly = await lab(["--resume", runId]);
        assert.equal(readOnly.code, 2, readOnly.output);
        assert.match(
          readOnly.output,
          new RegExp(
            `the results storage refused a write \\(EROFS.*\\): nothing was run; fix it, then: npm run lab -- --resume ${runId}`,
          ),
        );
        assert.doesNotMatch(readOnly.output, /^\s+at /m);
      } finally {
        await remount(resultsRoot, "rw");
      }
    }
    for (const file of cellFiles()) recorded.set(file, statSync(join(cellsDir, file)).mtimeMs);
  });

  it("a truncated cell file, then --resume: that cell runs again (the broken file kept beside), the missing ones run, nothing else is rewritten", async (t) => {
    if (skipAll) return t.skip(skipAll);
    if (recorded.size === 0) return t.skip("the first part did not run");
    const victim = [...recorded.keys()].find((f) => f !== killedCell) ?? "";
    const victimName = readCell(victim).name as string;
    const size = statSync(join(cellsDir, victim)).size;
    truncateSync(join(cellsDir, victim), Math.floor(size / 2));
    recorded.delete(victim);

    // The lock a SIGKILLed lab would have left (its process is gone): taken over, with a note.
    const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(
      join(runDir, "lab.lock"),
      JSON.stringify({
        pid: Number(gone),
        host: hostname(),
        processStart: null,
        startedAt: "2026-01-01T00:00:00.000Z",
      }),
    );

    // --keep-lab-errors: the lab-error of the killed wrk stays as it is (a plain --resume runs it again).
    const resumed = await lab(["--resume", runId, "--keep-lab-errors"]);
    assert.equal(resumed.code, 0, resumed.output);
    assert.match(
      resumed.output,
      new RegExp(
        `took over the lock of pid ${gone} on ${hostname()}, started 2026-01-01T00:00:00.000Z: that lab is no longer running`,
      ),
    );
    assert.match(
      resumed.output,
      new RegExp(`cells/${victim.replace(".", "\\.")} \\(${victimName}\\) is no valid result: it runs again`),
    );
    assert.match(
      resumed.output,
      new RegExp(`cells: ${recorded.size} already recorded, ${REPETITIONS - recorded.size} to run`),
    );
    assert.match(resumed.output, new RegExp(`cells/${victim.replace(".", "\\.")}\\.unreadable: the unreadable file`));

    assert.equal(cellFiles().length, REPETITIONS);
    for (const [file, mtime] of recorded) {
      assert.equal(statSync(join(cellsDir, file)).mtimeMs, mtime, `${file} was rewritten`);
    }
    assert.equal(readCell(victim).status, "ok", "the truncated cell was measured again");
    assert.equal(
      statSync(join(cellsDir, `${victim}.unreadable`)).size,
      Math.floor(size / 2),
      "the broken file is kept",
    );
    assert.equal(readCell(killedCell ?? "").status, "lab-error", "the lab-error stays recorded");
    const check = validateRun(runDir);
    assert.deepEqual(check.problems, []);
    assert.deepEqual(check.missing, []);
    assert.deepEqual(livePidsUnder(runDir), []);
    assert.deepEqual(processesInRunCgroups(runId), []);
    assert.deepEqual(processesUsing(resultsRoot), []);
    assert.equal(existsSync(join(runDir, "lab.lock")), false);
  });

  it("a plain --resume runs the lab-error cell again and keeps its earlier record beside", async (t) => {
    if (skipAll) return t.skip(skipAll);
    if (!killedCell) return t.skip("the first part recorded no lab-error");
    const earlier = readFileSync(join(cellsDir, killedCell), "utf8");
    const resumed = await lab(["--resume", runId]);
    assert.equal(resumed.code, 0, resumed.output);
    assert.match(resumed.output, /1 lab-error cell\(s\) run again/);
    assert.equal(readCell(killedCell).status, "ok", "the cell whose wrk was killed was measured again");
    assert.equal(readFileSync(join(cellsDir, `${killedCell}.lab-error`), "utf8"), earlier, "its lab-error is kept");
    assert.deepEqual(validateRun(runDir).problems, []);
  });
});
