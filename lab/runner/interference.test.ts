import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  describeInterference,
  InterferenceProbe,
  interferenceBetween,
  type ProcessTimes,
  parseCpuList,
  parsePidStat,
  parseProcStat,
  type Snapshot,
  takeSnapshot,
} from "./interference";

// Captured from a Debian 12 host (2 cores, a VM with steal): /proc/stat's cpu lines and four /proc/<pid>/stat lines.
const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name), "utf8");

describe("/proc parsers (captured content)", () => {
  it("reads busy, idle and steal ticks of every cpu line", () => {
    const cpus = parseProcStat(fixture("proc-stat.txt"));
    assert.deepEqual(
      cpus.map((c) => c.name),
      ["cpu", "cpu0", "cpu1"],
    );
    // cpu  652246 4851 230161 2709422 4903 0 33365 1518 28 0
    assert.deepEqual(cpus[0], {
      name: "cpu",
      busy: 652246 + 4851 + 230161 + 0 + 33365,
      idle: 2709422 + 4903,
      steal: 1518,
    });
  });

  it("reads a process line whose name holds spaces, and a kernel thread", () => {
    const lines = fixture("proc-pid-stat.txt").trim().split("\n");
    const parsed = lines.map(parsePidStat);
    assert.deepEqual(parsed[0], { pid: 1789, comm: "npm run lab --r", ppid: 1, cpuTicks: 14 + 3, processor: 1 }); // utime 14, stime 3
    assert.equal(parsed[1]?.comm, "kthreadd");
    assert.equal(parsed[1]?.ppid, 0);
    assert.equal(parsed[2]?.comm, "sleep");
    assert.ok(parsed.every((p) => p !== null && Number.isInteger(p.processor)));
    assert.equal(parsePidStat("garbage"), null);
  });

  it("reads a Cpus_allowed_list", () => {
    assert.deepEqual(parseCpuList("0-1,3\n"), [0, 1, 3]);
    assert.deepEqual(parseCpuList("2"), [2]);
  });
});

const proc = (pid: number, ppid: number, comm: string, cpuTicks: number, processor = 0): ProcessTimes => ({
  pid,
  ppid,
  comm,
  cpuTicks,
  processor,
});

function snapshot(atMs: number, busy: number, steal: number, list: ProcessTimes[]): Snapshot {
  return {
    atMs,
    cpus: [{ name: "cpu", busy, idle: 1000 + atMs / 10 - busy, steal }],
    processes: new Map(list.map((p) => [p.pid, p])),
  };
}

describe("interference between two snapshots", () => {
  const runner = 100;
  const own = { runnerPid: runner, instancePid: 300, instanceCgroup: null, sutCores: [0] };
  const before = snapshot(0, 0, 0, [
    proc(runner, 1, "node", 0),
    proc(200, runner, "wrk", 0),
    proc(300, 50, "edge-app", 0),
    proc(301, 300, "edge-app-child", 0),
    proc(400, 1, "dockerd", 0),
    proc(500, 1, "hog", 0, 0),
    proc(600, 1, "other", 0, 1),
    proc(700, 2, "ksoftirqd/0", 0),
  ]);
  it("splits the window's CPU into own, kernel and foreign, names the foreign, and flags over the threshold", () => {
    const after = snapshot(2000, 300, 4, [
      proc(runner, 1, "node", 50),
      proc(200, runner, "wrk", 60),
      proc(300, 50, "edge-app", 80),
      proc(301, 300, "edge-app-child", 10),
      proc(400, 1, "dockerd", 5),
      proc(500, 1, "hog", 150, 0),
      proc(600, 1, "other", 20, 1),
      proc(700, 2, "ksoftirqd/0", 7),
      proc(800, 1, "born-later", 3, 1),
    ]);
    const i = interferenceBetween(before, after, own);
    assert.equal(i.windowS, 2);
    assert.equal(i.ownCpuS, 2.05);
    assert.equal(i.kernelCpuS, 0.07);
    assert.equal(i.foreignCpuS, 1.73);
    assert.equal(i.foreignCores, 0.865);
    assert.equal(i.foreignOnSutCoresS, 1.5, "the hog last ran on core 0, the SUT's");
    assert.deepEqual(
      i.top.map((t) => t.comm),
      ["hog", "other", "born-later"],
    );
    assert.equal(i.stealS, 0.04);
    assert.equal(i.disturbed, true);
    assert.match(describeInterference(i), /foreign CPU 0\.86 cores over 2 s.*hog \(pid 500\) 1\.5 s/);
  });

  it("a quiet window is not disturbed; steal alone can disturb it", () => {
    const quiet = snapshot(2000, 100, 0, [proc(runner, 1, "node", 50), proc(600, 1, "other", 10, 1)]);
    assert.equal(interferenceBetween(before, quiet, own).disturbed, false);
    const stolen = snapshot(2000, 100, 30, [proc(runner, 1, "node", 50)]);
    const i = interferenceBetween(before, stolen, own);
    assert.ok(i.stealShare > 0.05, String(i.stealShare));
    assert.equal(i.disturbed, true);
  });

  it("reads this machine's /proc: a snapshot sees this process, and a probe records a window", () => {
    const snap = takeSnapshot();
    assert.ok(snap.processes.has(process.pid));
    assert.ok(snap.cpus.some((c) => c.name === "cpu"));
    const i = new InterferenceProbe().stop(null);
    assert.ok(i.windowS >= 0 && i.foreignCpuS >= 0 && i.stealS >= 0);
  });
});
