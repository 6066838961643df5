/** What the fault tests look at: processes by parent and by the pid files the lab writes, and a small disk. */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
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

export interface PrivateDockerd {
  /** For DOCKER_HOST. */
  host: string;
  pid: number;
  root: string;
  /** SIGTERM (as `systemctl stop docker` does) and wait until it is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** Stop it if it runs and unmount what it mounted under its folders. */
  dispose(): Promise<void>;
}

/**
 * A Docker engine of the test's own, on a private socket and data root, so stopping it under a
 * sweep touches no one else's containers. No iptables: containers use the host's network. It gets
 * a bridge of its own: with `--bridge none` dockerd deletes the host's docker0, which breaks
 * every other Docker user of the machine (and every later test). Returns once it answers, or
 * undefined when no dockerd is installed.
 */
export async function startPrivateDockerd(root: string): Promise<PrivateDockerd | undefined> {
  const bridge = privateBridge();
  const sock = join(root, "docker.sock");
  const config = join(root, "daemon.json");
  mkdirSync(root, { recursive: true });
  writeFileSync(config, "{}\n");
  const log = openSync(join(root, "dockerd.log"), "a");
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(
      "dockerd",
      [
        "--host",
        `unix://${sock}`,
        "--data-root",
        join(root, "data"),
        "--exec-root",
        join(root, "exec"),
        "--pidfile",
        join(root, "docker.pid"),
        "--config-file",
        config,
        "--bridge",
        bridge.name,
        "--iptables=false",
        "--ip6tables=false",
      ],
      { stdio: ["ignore", log, log], detached: true },
    );
  } finally {
    closeSync(log);
  }
  const started = await new Promise<boolean>((resolve) => {
    child.once("error", () => resolve(false));
    child.once("spawn", () => resolve(true));
  });
  if (!started || child.pid === undefined) {
    bridge.remove();
    return undefined;
  }
  const pid = child.pid;
  child.unref();
  const host = `unix://${sock}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], {
        env: { ...process.env, DOCKER_HOST: host },
        stdio: "pipe",
      });
      break;
    } catch (error) {
      if (!processAlive(pid) || Date.now() > deadline) {
        const why = readFileSync(join(root, "dockerd.log"), "utf8").trim().split("\n").slice(-5).join("\n");
        throw new Error(`the private dockerd did not come up: ${(error as Error).message}\n${why}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const stop = async (timeoutMs = 60_000) => {
    if (!processAlive(pid)) return;
    process.kill(pid, "SIGTERM");
    const end = Date.now() + timeoutMs;
    while (processAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    if (processAlive(pid)) process.kill(pid, "SIGKILL");
  };
  return {
    host,
    pid,
    root,
    stop,
    async dispose() {
      await stop();
      bridge.remove();
      // What dockerd mounted under its folders (the default network namespace, overlays), deepest first.
      const mounts = readFileSync("/proc/self/mounts", "utf8")
        .split("\n")
        .map((line) => line.split(" ")[1] ?? "")
        .filter((point) => point.startsWith(`${root}/`))
        .sort((a, b) => b.length - a.length);
      for (const point of mounts) {
        try {
          execFileSync("umount", ["-l", point], { stdio: "pipe" });
        } catch {
          // already gone
        }
      }
    },
  };
}

/** A bridge for a private engine: a name and a /24 of its own, removed by `remove`. */
function privateBridge(): { name: string; remove(): void } {
  const tag = process.pid % 100_000;
  const name = `edgelabfd${tag}`; // at most 15 characters, as interface names must be
  const subnet = `10.213.${tag % 250}.1/24`;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
  try {
    ip("link", "delete", name); // one a killed earlier test left
  } catch {
    // none
  }
  ip("link", "add", name, "type", "bridge");
  ip("addr", "add", subnet, "dev", name);
  ip("link", "set", name, "up");
  return {
    name,
    remove() {
      try {
        ip("link", "delete", name);
      } catch {
        // already gone
      }
    },
  };
}

/** Processes whose command line mentions `text` (a private engine's folder), as pid and argv. */
export function processesMentioning(text: string): ProcEntry[] {
  return procEntries().filter((p) => p.argv.some((arg) => arg.includes(text)));
}

/** Live processes whose working folder or an open file lies under `dir`, as "pid comm: path". */
export function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const p of procEntries()) {
    const paths: string[] = [];
    try {
      paths.push(readlinkSync(`/proc/${p.pid}/cwd`));
      for (const fd of readdirSync(`/proc/${p.pid}/fd`)) {
        try {
          paths.push(readlinkSync(`/proc/${p.pid}/fd/${fd}`));
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      continue; // gone, or not ours to read
    }
    const hit = paths.find((path) => path === dir || path.startsWith(`${dir}/`));
    if (hit) found.push(`${p.pid} ${p.comm}: ${hit}`);
  }
  return found;
}

/**
 * Processes still in the native platform's memory cgroups of run `runId` (v1 and v2 hierarchies):
 * an app whose pid file was never written is found here, where no pid file points at it.
 */
export function processesInRunCgroups(runId: string): string[] {
  const found: string[] = [];
  for (const parent of ["/sys/fs/cgroup/edgelab", "/sys/fs/cgroup/memory/edgelab"]) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((name) => name.startsWith(`edgelab-${runId}-`));
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const pids = readFileSync(join(parent, name, "cgroup.procs"), "utf8")
          .split("\n")
          .filter(Boolean);
        for (const pid of pids) found.push(`${name}: ${pid}`);
      } catch {
        // removed meanwhile
      }
    }
  }
  return found;
}
