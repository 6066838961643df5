/**
 * The Linux microVM artifact: a kernel from the distribution's archive, a tiny initramfs the lab
 * builds (busybox-static, the virtio network and disk modules of that kernel, a /init that mounts
 * the disk and switches to it), and the root file system on a disk image: an ext4 image made
 * without root privileges (`mke2fs -d`) holding busybox, the app and its files. The app is read
 * from the disk as Nanos reads its program from its disk, not held in guest RAM.
 * The artifact is a folder holding exactly `vmlinuz`, `initrd.img` and `rootfs.ext4`.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
/** The root disk's init, which starts the app (workloads/artifacts/microvm/run-app.sh). */
export const RUN_APP_SCRIPT = join(__dirname, "microvm", "run-app.sh");
/** busybox-static installs it here (Debian and Ubuntu). */
export const BUSYBOX_STATIC = "/bin/busybox";
export const KERNEL_FILE = "vmlinuz";
export const INITRD_FILE = "initrd.img";
export const ROOTFS_FILE = "rootfs.ext4";
/** Where the root disk keeps the app's init (the initramfs switch_roots to it). */
export const RUN_APP_PATH = "sbin/microvm-run";

/** What goes into the guest for one runtime: files at their guest paths, and the argv to run. */
export interface GuestApp {
  files: { path: string; source: string; mode: number }[];
  command: string[];
}

/** Modules go in one folder, named <module>.ko, with their insmod order in `load-order`. */
const MODULE_DIR = "lib/modules/microvm";

/** Everything in the initramfs, parents first: busybox, the modules and /init; no app. */
export function initramfsEntries(kernel: Pick<KernelBuild, "modules">, init: Buffer, busybox: Buffer): NewcEntry[] {
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
  ];
  const fixedDirs = ["dev", "proc", "sys", "tmp", "newroot"];
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

/** One file of the root disk: where it goes, where it comes from (or what it holds), its mode. */
export type RootDiskFile = { path: string; mode: number } & ({ source: string } | { data: Buffer });

/** Everything on the root disk: busybox, the app's init, the app's command and files, the mount points. */
export function rootDiskFiles(app: GuestApp, runApp: Buffer): { files: RootDiskFile[]; dirs: string[] } {
  for (const argument of app.command) {
    if (argument.includes("\n"))
      throw new Error(`microvm: a command argument holds a newline: ${JSON.stringify(argument)}`);
  }
  const files: RootDiskFile[] = [
    { path: "bin/busybox", mode: 0o755, source: BUSYBOX_STATIC },
    { path: RUN_APP_PATH, mode: 0o755, data: runApp },
    { path: "etc/microvm/command", mode: 0o644, data: Buffer.from(app.command.map((a) => `${a}\n`).join("")) },
    ...app.files.map((f): RootDiskFile => ({ path: f.path.replace(/^\/+/, ""), mode: f.mode, source: f.source })),
  ];
  // Mount points for what the initramfs moves over (dev, proc, sys) and the app's tmpfs.
  return { files, dirs: ["dev", "proc", "sys", "tmp"] };
}

/**
 * The root disk image: the files staged in a folder, then `mke2fs -d` copies them into a fresh
 * ext4 image (no root privileges, no loop mount). No journal: the guest mounts it read-only. The
 * image is sized to its contents with room for the file system's own metadata.
 */
export async function writeRootDisk(
  content: { files: RootDiskFile[]; dirs: string[] },
  stagingDir: string,
  image: string,
): Promise<{ bytes: number; mke2fs: string }> {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  for (const dir of content.dirs) mkdirSync(join(stagingDir, dir), { recursive: true });
  chmodSync(join(stagingDir, "tmp"), 0o1777);
  let bytes = 0;
  for (const file of content.files) {
    const target = join(stagingDir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    if ("source" in file) copyFileSync(file.source, target);
    else writeFileSync(target, file.data);
    chmodSync(target, file.mode);
    bytes += statSync(target).size;
  }
  // ext4 blocks are 4 KiB: a file's tail takes a whole one; plus inode tables and bitmaps.
  const sizeKb = Math.ceil((bytes * 1.15 + content.files.length * 4096 + 8 * 1024 * 1024) / 1024);
  rmSync(image, { force: true });
  const { stdout, stderr } = await run(
    "mke2fs",
    [
      "-q",
      "-F",
      "-t",
      "ext4",
      "-O",
      "^has_journal",
      "-m",
      "0",
      "-L",
      "edgelab-root",
      "-E",
      "root_owner=0:0",
      "-d",
      stagingDir,
      image,
      `${sizeKb}k`,
    ],
    { timeoutMs: 300_000 },
  );
  const version = await run("mke2fs", ["-V"]).then(
    (r) => (r.stderr || r.stdout).split("\n")[0]?.trim() ?? "",
    () => "",
  );
  rmSync(stagingDir, { recursive: true, force: true });
  return {
    bytes: statSync(image).size,
    mke2fs: `${version}${stdout || stderr ? `: ${(stdout + stderr).trim()}` : ""}`,
  };
}

/** The app for one runtime: its root filesystem (the runtime's descriptor says what is in it). */
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
    notes: notes.map((note) => `${note}, on the root disk`),
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
  const cpio = writeNewc(initramfsEntries(kernel, readFileSync(INIT_SCRIPT), busybox));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Level 6: level 9 saves little for almost three times the build time.
  writeFileSync(join(dir, INITRD_FILE), gzipSync(cpio, { level: 6 }));
  writeFileSync(join(dir, KERNEL_FILE), readFileSync(kernel.vmlinuz));
  const disk = await writeRootDisk(
    rootDiskFiles(app, readFileSync(RUN_APP_SCRIPT)),
    join(root, `${runtime}-rootfs`),
    join(dir, ROOTFS_FILE),
  );
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
      mke2fs: disk.mke2fs,
    },
    notes: [
      ...notes,
      `kernel ${kernel.package} ${kernel.version} (${kernel.metapackage}); modules ${kernel.modules.map((m) => m.name).join(", ")}`,
      `initramfs ${cpio.length} bytes uncompressed (busybox, modules, /init; no app); root disk ${disk.bytes} bytes (ext4, read-only, on virtio-scsi)`,
    ],
  };
}

/** A kernel, a tiny initramfs and a root disk per runtime: what the microvm platform boots. */
export const microvmArtifactRecipe: ArtifactRecipe = { kind: "microvm", build: buildMicrovm };
