import { chmodSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { CommandError, run } from "../../core/exec";

export interface LddReport {
  /** Absolute paths of every shared object the binary loads, the dynamic loader included. */
  libraries: string[];
  /** Libraries ldd could not resolve: a rootfs without them would not start. */
  missing: string[];
  /** True for a static binary ("not a dynamic executable"). */
  isStatic: boolean;
}

/**
 * Parse `ldd` output as glibc prints it:
 *   "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)"   resolved library
 *   "\t/lib64/ld-linux-x86-64.so.2 (0x...)"                    the loader, by path
 *   "\tlinux-vdso.so.1 (0x...)"                                 kernel-provided, nothing to copy
 *   "\tlibfoo.so.1 => not found"                                missing
 */
export function parseLddOutput(text: string): LddReport {
  const report: LddReport = { libraries: [], missing: [], isStatic: false };
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "") continue;
    if (/not a dynamic executable|statically linked/.test(line)) {
      report.isStatic = true;
      continue;
    }
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      const [, name, target] = arrow;
      if (target?.startsWith("not found")) report.missing.push(name ?? line);
      else {
        const path = /^(\/\S+)/.exec(target ?? "")?.[1];
        if (path) report.libraries.push(path);
      }
      continue;
    }
    const direct = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (direct?.[1]) report.libraries.push(direct[1]);
    // anything else (linux-vdso.so.1) is provided by the kernel
  }
  return report;
}

export async function lddReport(binary: string): Promise<LddReport> {
  try {
    const { stdout, stderr } = await run("ldd", [binary], { timeoutMs: 30_000 });
    return parseLddOutput(`${stdout}\n${stderr}`);
  } catch (error) {
    // ldd exits 1 on a static binary and says so on its output.
    if (error instanceof CommandError && /not a dynamic executable/.test(error.stderr)) {
      return { libraries: [], missing: [], isStatic: true };
    }
    throw error;
  }
}

export interface RootfsFile {
  /** Where the file is inside the root filesystem. */
  path: string;
  source: string;
}

export interface NodeRootfs {
  dir: string;
  files: RootfsFile[];
  entrypoint: string[];
}

/**
 * A minimal root filesystem for a `FROM scratch` image: the pinned Node binary, the app, and
 * exactly the shared libraries `ldd` says the binary loads (copied with links resolved, at the
 * paths the loader will look for them). Nothing else, so the image size is the runtime's own.
 */
export async function assembleNodeRootfs(nodeBinary: string, appScript: string, dir: string): Promise<NodeRootfs> {
  const report = await lddReport(nodeBinary);
  if (report.missing.length > 0) {
    throw new Error(`${nodeBinary} needs libraries this machine lacks: ${report.missing.join(", ")}`);
  }
  rmSync(dir, { recursive: true, force: true });
  const files: RootfsFile[] = [
    { path: "/usr/local/bin/node", source: nodeBinary },
    { path: "/app/app.js", source: appScript },
    ...report.libraries.map((lib) => ({ path: lib, source: lib })),
  ];
  for (const file of files) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file.source, target);
  }
  chmodSync(join(dir, "usr/local/bin/node"), 0o755);
  // Node writes nothing to /tmp for this app, but a writable /tmp is what any runtime expects.
  mkdirSync(join(dir, "tmp"), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  return { dir, files, entrypoint: ["/usr/local/bin/node", "/app/app.js"] };
}
