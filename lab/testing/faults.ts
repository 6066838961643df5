/** What the fault tests look at: processes by parent and by the pid files the lab writes, and a small disk. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
}

function procEntries(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean);
      entries.push({ pid: Number(name), ppid: Number(fields[1]), comm, argv });
    } catch {
      // gone while we looked
    }
  }
  return entries;
}

/** The live processes whose parent is `pid`. */
export function childrenOf(pid: number): ProcEntry[] {
  return procEntries().filter((p) => p.ppid === pid);
}

/** Live processes (not zombies) named `comm` anywhere on the host. */
export function processesNamed(comm: string): ProcEntry[] {
  return procEntries().filter((p) => p.comm === comm);
}

export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Every pid the lab recorded under `dir` (instance.pid, port holders) that still runs. */
export function livePidsUnder(dir: string, names = ["instance.pid"]): number[] {
  const live: number[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (names.includes(entry.name)) {
        const pid = Number(readFileSync(path, "utf8").trim());
        if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) live.push(pid);
      }
    }
  };
  walk(dir);
  return live;
}

/** Mount a tmpfs of `size` (e.g. "16m") on `dir`; returns its unmount, or undefined where mounting is not allowed. */
export function mountTmpfs(dir: string, size: string): (() => void) | undefined {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir], { stdio: "pipe" });
  } catch {
    return undefined;
  }
  return () => {
    try {
      execFileSync("umount", [dir], { stdio: "pipe" });
    } catch {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
    }
  };
}
