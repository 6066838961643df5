import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, hostname, release, totalmem } from "node:os";
import { run } from "../core/exec";
import { repoRoot } from "../core/paths";
import type { HostFacts } from "../core/results/schema";

function firstMatch(path: string, pattern: RegExp): string | undefined {
  try {
    return pattern.exec(readFileSync(path, "utf8"))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

export function cgroupVersion(): 1 | 2 | null {
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) return 2;
  if (existsSync("/sys/fs/cgroup/memory")) return 1;
  return null;
}

/** The machine a run was made on, recorded in every manifest. */
export function hostFacts(kvm: HostFacts["kvm"]): HostFacts {
  return {
    hostname: hostname(),
    os: firstMatch("/etc/os-release", /^PRETTY_NAME="?([^"\n]*)"?$/m) ?? "unknown",
    kernel: release(),
    cpuModel: firstMatch("/proc/cpuinfo", /^model name\s*:\s*(.*)$/m) ?? "unknown",
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    cgroupVersion: cgroupVersion(),
    kvm,
  };
}

/** The commit the lab ran from, and whether the work tree had changes. */
export async function gitState(): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const commit = (await run("git", ["rev-parse", "HEAD"], { cwd: repoRoot })).stdout.trim();
    const status = (await run("git", ["status", "--porcelain"], { cwd: repoRoot })).stdout.trim();
    return { commit, dirty: status !== "" };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** First line a command prints for its version, or null when it is not installed. */
export async function versionOf(command: string, args: readonly string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(command, args, { timeoutMs: 20_000 });
    return (stdout || stderr).trim().split("\n")[0] ?? null;
  } catch {
    return null;
  }
}
