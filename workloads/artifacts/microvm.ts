/**
 * The Linux microVM artifact: a kernel from the distribution's archive and an initramfs the lab
 * builds (busybox-static, the virtio-net modules of that kernel, a minimal /init and the app).
 * The artifact is a folder holding exactly `vmlinuz` and `initrd.img`; its size is theirs.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { run } from "../../core/exec";
import type { Runtime } from "../../core/model";
import { buildDir } from "../../core/paths";
import { getRuntime } from "../runtimes/registry";
import { NoArtifactForm } from "../runtimes/types";
import type { ArtifactRecipe, BuildInputs, BuiltArtifact } from "./build";
import { ensureKernel, type KernelBuild } from "./microvm/kernel";
import { type NewcEntry, parentDirs, writeNewc } from "./microvm/newc";
import { measureArtifactSize } from "./sizes";

/** Where the kernel .deb is unpacked once and reused (`build/` is the lab's build folder). */
export const kernelCacheDir = join(buildDir, "microvm-kernel");
export const INIT_SCRIPT = join(__dirname, "microvm", "init.sh");
/** busybox-static installs it here (Debian and Ubuntu). */
export const BUSYBOX_STATIC = "/bin/busybox";
export const KERNEL_FILE = "vmlinuz";
export const INITRD_FILE = "initrd.img";

/** What goes into the guest for one runtime: files at their guest paths, and the argv to run. */
export interface GuestApp {
  files: { path: string; source: string; mode: number }[];
  command: string[];
}

/** Modules go in one folder, named <module>.ko, with their insmod order in `load-order`. */
const MODULE_DIR = "lib/modules/microvm";

/** Everything in the initramfs, parents first. Pure apart from reading the files named. */
export function initramfsEntries(
  kernel: Pick<KernelBuild, "modules">,
  app: GuestApp,
  init: Buffer,
  busybox: Buffer,
): NewcEntry[] {
  const files: NewcEntry[] = [
    { type: "file", path: "init", mode: 0o755, data: init },
    { type: "file", path: "bin/busybox", mode: 0o755, data: busybox },
    ...kernel.modules.map(
      (m): NewcEntry => ({ type: "file", path: `${MODULE_DIR}/${m.name}.ko`, mode: 0o644, data: readFileSync(m.path) }),
    ),
    {
      type: "file",
      path: `${MODULE_DIR}/load-order`,
      mode: 0o644,
      data: Buffer.from(kernel.modules.map((m) => `${m.name}\n`).join("")),
    },
    {
      type: "file",
      path: "etc/microvm/command",
      mode: 0o644,
      data: Buffer.from(app.command.map((a) => `${a}\n`).join("")),
    },
    ...app.files.map(
      (f): NewcEntry => ({
        type: "file",
        path: f.path.replace(/^\/+/, ""),
        mode: f.mode,
        data: readFileSync(f.source),
      }),
    ),
  ];
  for (const argument of app.command) {
    if (argument.includes("\n"))
      throw new Error(`microvm: a command argument holds a newline: ${JSON.stringify(argument)}`);
  }
  const fixedDirs = ["dev", "proc", "sys", "tmp"];
  const dirs = [...new Set([...fixedDirs, ...parentDirs(files.map((f) => f.path))])].sort(
    (a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1),
  );
  return [
    ...dirs.map((path): NewcEntry => ({ type: "dir", path, mode: path === "tmp" ? 0o1777 : 0o755 })),
    // The kernel opens /dev/console for init before anything is mounted.
    { type: "char", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
    ...files,
  ];
}

/** The app for one runtime: its root filesystem (the runtime's descriptor says what is in it), held in guest RAM. */
export async function guestApp(
  runtime: Runtime,
  inputs: BuildInputs,
  stagingDir: string,
): Promise<{ app: GuestApp; builtWith: Record<string, string>; notes: string[] }> {
  const described = getRuntime(runtime);
  if (!described.rootfs) throw new NoArtifactForm(runtime, "microvm", "root filesystem form");
  const { tree, builtWith, notes } = await described.rootfs(inputs, stagingDir);
  return {
    app: {
      files: tree.files.map((path) => ({
        path,
        source: join(tree.dir, path),
        // The loader must be executable (the kernel opens PT_INTERP for exec); keep every mode.
        mode: statSync(join(tree.dir, path)).mode & 0o7777,
      })),
      command: tree.command,
    },
    builtWith,
    notes: notes.map((note) => `${note}, held in guest RAM (initramfs)`),
  };
}

async function busyboxVersion(): Promise<string> {
  try {
    // dpkg-query's own ${Version} placeholder, not a template string.
    const format = ["-f=$", "{Version}"].join("");
    const { stdout } = await run("dpkg-query", ["-W", format, "busybox-static"], { timeoutMs: 20_000 });
    return stdout.trim();
  } catch {
    return "unknown (busybox-static not registered with dpkg)";
  }
}

/** Build the microVM of one runtime into <outDir>/microvm/<runtime>. */
export async function buildMicrovm(runtime: Runtime, inputs: BuildInputs): Promise<BuiltArtifact> {
  const kernel = await ensureKernel(kernelCacheDir);
  const root = join(inputs.outDir, "microvm");
  const dir = join(root, runtime);
  const { app, builtWith, notes } = await guestApp(runtime, inputs, join(root, `${runtime}-staging`));
  let busybox: Buffer;
  try {
    busybox = readFileSync(BUSYBOX_STATIC);
  } catch {
    throw new Error(`microvm: ${BUSYBOX_STATIC} not found (apt-get install busybox-static)`);
  }
  const cpio = writeNewc(initramfsEntries(kernel, app, readFileSync(INIT_SCRIPT), busybox));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Level 6: level 9 saves 0.4% of the Node initramfs for almost three times the build time.
  writeFileSync(join(dir, INITRD_FILE), gzipSync(cpio, { level: 6 }));
  writeFileSync(join(dir, KERNEL_FILE), readFileSync(kernel.vmlinuz));
  rmSync(join(root, `${runtime}-staging`), { recursive: true, force: true });
  return {
    ref: dir,
    status: "built",
    size: await measureArtifactSize({ kind: "directory", path: dir }),
    builtWith: {
      ...builtWith,
      kernelPackage: kernel.package,
      kernelVersion: kernel.version,
      kernelRelease: kernel.release,
      busybox: await busyboxVersion(),
    },
    notes: [
      ...notes,
      `kernel ${kernel.package} ${kernel.version} (${kernel.metapackage}); modules ${kernel.modules.map((m) => m.name).join(", ")}`,
      `initramfs ${cpio.length} bytes uncompressed`,
    ],
  };
}

/** A kernel and an initramfs per runtime: what the microvm platform boots. */
export const microvmArtifactRecipe: ArtifactRecipe = { kind: "microvm", build: buildMicrovm };
