/**
 * What else used the machine while a cell measured: two snapshots of /proc (the host's CPU
 * counters and every process's CPU time), one before the measured window and one after, and their
 * difference split into the run's own work and everyone else's.
 *
 * - The run's own: the runner and its descendants (the generator, QEMU, the start scripts), the
 *   instance's process and its descendants and whatever shares its cgroup (a container's
 *   processes), and the platforms' services that carry the instance's traffic (dockerd,
 *   containerd and its shims, docker-proxy, runsc). Kernel threads are counted apart: they do the
 *   instance's network and disk work as much as anyone's.
 * - Foreign: every other process. Its CPU seconds over the window are the cell's interference;
 *   the top ones are named.
 * - Steal: the hypervisor's share of the host's CPU time (/proc/stat's 8th column).
 * - On the SUT's cores: foreign CPU time of processes that last ran on a core the instance may use
 *   (its Cpus_allowed_list). The kernel names only the core a task last ran on, so this counts a
 *   process that moved between cores on its last one.
 *
 * A process born and ended inside the window is in neither snapshot: its time shows only in the
 * host's busy time (hostBusyS), which is recorded too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Interference } from "../../core/results/schema";

/** USER_HZ: the unit of /proc's CPU counters; 100 on every Linux architecture the lab runs on. */
export const TICKS_PER_SECOND = 100;

/** Above either, a cell is flagged `disturbed`: a quarter of a core used by others, or 5% of the CPU stolen. */
export const DISTURBED_FOREIGN_CORES = 0.25;
export const DISTURBED_STEAL_SHARE = 0.05;

/** The platforms' own services: they carry the instance's requests, so their CPU is the run's own. */
const PLATFORM_SERVICES = /^(dockerd|containerd|containerd-shim.*|docker-proxy|runsc.*|runc)$/;

export interface CpuCounters {
  /** "cpu" (all cores) or "cpu<N>". */
  name: string;
  busy: number;
  idle: number;
  steal: number;
}

/** The cpu lines of /proc/stat: busy (user, nice, system, irq, softirq), idle (idle, iowait), steal, in ticks. */
export function parseProcStat(text: string): CpuCounters[] {
  const out: CpuCounters[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("cpu")) continue;
    const [name = "", ...fields] = line.trim().split(/\s+/);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
    out.push({ name, busy: user + nice + system + irq + softirq, idle: idle + iowait, steal });
  }
  return out;
}

export interface ProcessTimes {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, ticks. */
  cpuTicks: number;
  /** The core it last ran on. */
  processor: number;
}

/** One /proc/<pid>/stat line; its name may hold spaces and parentheses, so fields count from the last ")". */
export function parsePidStat(line: string): ProcessTimes | null {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const rest = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): field k is rest[k - 3].
  const field = (k: number) => Number(rest[k - 3]);
  const pid = Number(line.slice(0, open).trim());
  const times = { ppid: field(4), utime: field(14), stime: field(15), processor: field(39) };
  if (!Number.isInteger(pid) || !Number.isFinite(times.utime) || !Number.isFinite(times.stime)) return null;
  return {
    pid,
    comm: line.slice(open + 1, close),
    ppid: times.ppid,
    cpuTicks: times.utime + times.stime,
    processor: times.processor,
  };
}

/** A Cpus_allowed_list ("0-1,3") as core numbers. */
export function parseCpuList(text: string): number[] {
  const cores: number[] = [];
  for (const part of text.trim().split(",")) {
    if (part === "") continue;
    const [from, to] = part.split("-").map(Number);
    if (from === undefined || !Number.isInteger(from)) continue;
    for (let c = from; c <= (to ?? from); c++) cores.push(c);
  }
  return cores;
}

export interface Snapshot {
  atMs: number;
  cpus: CpuCounters[];
  processes: Map<number, ProcessTimes>;
}

const readOr = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null; // a process that ended between the listing and the read
  }
};

export function takeSnapshot(proc = "/proc"): Snapshot {
  const atMs = Date.now();
  const cpus = parseProcStat(readOr(join(proc, "stat")) ?? "");
  const processes = new Map<number, ProcessTimes>();
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    const text = readOr(join(proc, entry, "stat"));
    const times = text === null ? null : parsePidStat(text);
    if (times) processes.set(times.pid, times);
  }
  return { atMs, cpus, processes };
}

/** The processes of `roots` and all their descendants, by the parent links of a snapshot. */
function withDescendants(roots: readonly number[], processes: Map<number, ProcessTimes>): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of processes.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Kernel threads: kthreadd (pid 2) and its children. */
const isKernelThread = (p: ProcessTimes) => p.pid === 2 || p.ppid === 2;

export interface OwnProcesses {
  /** The runner's pid (its descendants are its generator, scripts, VMs). */
  runnerPid: number;
  /** The instance's host process, when it was known. */
  instancePid: number | null;
  /** The instance's cgroup (from /proc/<pid>/cgroup), when known: processes in it are the instance's. */
  instanceCgroup: string | null;
  /** Cores the instance may run on; null: every core. */
  sutCores: number[] | null;
}

/** The instance's cgroup and allowed cores, read while it runs; nulls when it is gone or unknown. */
export function instanceFacts(pid: number | null, proc = "/proc"): Pick<OwnProcesses, "instanceCgroup" | "sutCores"> {
  if (pid === null) return { instanceCgroup: null, sutCores: null };
  const cgroup = readOr(join(proc, String(pid), "cgroup"));
  const status = readOr(join(proc, String(pid), "status"));
  const allowed = status ? /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] : undefined;
  // A root cgroup ("/" everywhere) is no container: it would make every process the instance's.
  const own = cgroup && !/^(\d+:[^:]*:\/\n?)+$/.test(cgroup) ? cgroup : null;
  return { instanceCgroup: own, sutCores: allowed ? parseCpuList(allowed) : null };
}

/** The difference of two snapshots, as the cell records it. */
export function interferenceBetween(
  before: Snapshot,
  after: Snapshot,
  own: OwnProcesses,
  proc = "/proc",
): Interference {
  const windowS = Math.max(0.001, (after.atMs - before.atMs) / 1000);
  const seconds = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND) * 1000) / 1000;
  const all = (s: Snapshot) => s.cpus.find((c) => c.name === "cpu") ?? { name: "cpu", busy: 0, idle: 0, steal: 0 };
  const [a, b] = [all(before), all(after)];
  const totalTicks = b.busy + b.idle + b.steal - (a.busy + a.idle + a.steal);
  const stealTicks = b.steal - a.steal;
  const ownPids = withDescendants(
    [own.runnerPid, ...(own.instancePid !== null ? [own.instancePid] : [])],
    after.processes,
  );
  let ownTicks = 0;
  let kernelTicks = 0;
  let foreignTicks = 0;
  let onSutCoresTicks = 0;
  const foreign: { pid: number; comm: string; ticks: number }[] = [];
  for (const p of after.processes.values()) {
    const earlier = before.processes.get(p.pid);
    // A pid that is new, or reused by another command, ran all its time inside the window.
    const ticks = earlier && earlier.comm === p.comm ? p.cpuTicks - earlier.cpuTicks : p.cpuTicks;
    if (ticks <= 0) continue;
    if (isKernelThread(p)) kernelTicks += ticks;
    else if (ownPids.has(p.pid) || PLATFORM_SERVICES.test(p.comm) || inCgroup(p.pid, own.instanceCgroup, proc))
      ownTicks += ticks;
    else {
      foreignTicks += ticks;
      foreign.push({ pid: p.pid, comm: p.comm, ticks });
      if (own.sutCores === null || own.sutCores.includes(p.processor)) onSutCoresTicks += ticks;
    }
  }
  const foreignCores = foreignTicks / TICKS_PER_SECOND / windowS;
  const stealShare = totalTicks > 0 ? stealTicks / totalTicks : 0;
  return {
    windowS: Math.round(windowS * 1000) / 1000,
    foreignCpuS: seconds(foreignTicks),
    foreignCores: Math.round(foreignCores * 1000) / 1000,
    foreignOnSutCoresS: seconds(onSutCoresTicks),
    sutCores: own.sutCores,
    stealS: seconds(stealTicks),
    stealShare: Math.round(stealShare * 10000) / 10000,
    ownCpuS: seconds(ownTicks),
    kernelCpuS: seconds(kernelTicks),
    hostBusyS: seconds(b.busy - a.busy),
    top: foreign
      .sort((x, y) => y.ticks - x.ticks)
      .slice(0, 5)
      .map((f) => ({ pid: f.pid, comm: f.comm, cpuS: seconds(f.ticks) })),
    disturbed: foreignCores >= DISTURBED_FOREIGN_CORES || stealShare >= DISTURBED_STEAL_SHARE,
  };
}

function inCgroup(pid: number, cgroup: string | null, proc: string): boolean {
  if (cgroup === null) return false;
  return readOr(join(proc, String(pid), "cgroup")) === cgroup;
}

/** What a disturbed cell's reason says: the figure and who. */
export function describeInterference(i: Interference): string {
  const who = i.top
    .slice(0, 3)
    .map((t) => `${t.comm} (pid ${t.pid}) ${t.cpuS} s`)
    .join(", ");
  const steal = i.stealShare > 0 ? `, steal ${(i.stealShare * 100).toFixed(1)}%` : "";
  return `foreign CPU ${i.foreignCores.toFixed(2)} cores over ${i.windowS} s${steal}${who ? `: ${who}` : ""}`;
}

/** Sampling around a measured window: start() before it, stop() after it. */
export class InterferenceProbe {
  private readonly before: Snapshot;
  constructor(private readonly proc = "/proc") {
    this.before = takeSnapshot(proc);
  }
  stop(instancePid: number | null, facts = instanceFacts(instancePid, this.proc)): Interference {
    return interferenceBetween(
      this.before,
      takeSnapshot(this.proc),
      { runnerPid: process.pid, instancePid, ...facts },
      this.proc,
    );
  }
}
