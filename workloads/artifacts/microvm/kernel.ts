import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { run } from "../../../core/exec";

/** Debian's kernel for cloud VMs (virtio drivers, no hardware drivers): small and boots in a microVM. */
export const KERNEL_METAPACKAGE = "linux-image-cloud-amd64";

/**
 * The modules the guest needs for virtio-net on q35 (PCI). In that kernel virtio, virtio_ring,
 * virtio_pci and virtio_net are modules; insmod resolves nothing, so the order comes from each
 * module's own `depends=` (see virtioLoadOrder).
 */
export const VIRTIO_NET_MODULES = ["virtio_pci", "virtio_net"] as const;

/**
 * The modules for the root disk on virtio-scsi (the device ops gives Nanos): virtio_scsi and the
 * SCSI disk driver, with scsi_mod and scsi_common by their `depends=`. ext4 is built in.
 */
export const VIRTIO_DISK_MODULES = ["virtio_scsi", "sd_mod"] as const;

/** Every module the guest loads, in its initramfs. */
export const GUEST_MODULES = [...VIRTIO_NET_MODULES, ...VIRTIO_DISK_MODULES] as const;

/** `apt-cache depends` of the metapackage: its one "Depends: linux-image-<release>" line. */
export function parseKernelDependency(output: string): string | null {
  for (const line of output.split("\n")) {
    const match = /^\s*Depends:\s*(linux-image-\d\S*)\s*$/.exec(line);
    if (match?.[1]) return match[1];
  }
  return null;
}

/** `apt-cache policy <pkg>`: the "Candidate:" version apt would take, or null ("(none)"). */
export function parseAptCandidate(output: string): string | null {
  const candidate = /^\s*Candidate:\s*(\S+)\s*$/m.exec(output)?.[1];
  return candidate === undefined || candidate === "(none)" ? null : candidate;
}

export interface ModuleInfo {
  name: string;
  depends: string[];
}

/**
 * The `name=` and `depends=` strings of a kernel module's .modinfo section: what depmod writes
 * modules.dep from. The section is NUL-separated "key=value" strings, found here by scanning the
 * file, so no kmod is needed on the build host.
 */
export function parseModinfo(ko: Buffer): ModuleInfo {
  const strings = ko.toString("latin1").split("\0");
  const value = (key: string) => strings.find((s) => s.startsWith(`${key}=`))?.slice(key.length + 1);
  const name = value("name");
  if (name === undefined) throw new Error("no name= in the module's .modinfo (compressed or not a module?)");
  const depends = value("depends") ?? "";
  return { name, depends: depends === "" ? [] : depends.split(",") };
}

/** Every module `targets` need, dependencies first (a depth-first topological order). */
export function loadOrder(targets: readonly string[], infoOf: (name: string) => ModuleInfo): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`kernel modules: dependency cycle through ${name}`);
    visiting.add(name);
    for (const dependency of infoOf(name).depends) visit(dependency);
    visiting.delete(name);
    order.push(name);
  };
  for (const target of targets) visit(target);
  return order;
}

/** Module name -> .ko path under lib/modules/<release>/kernel (names use _ where files may use -). */
function indexModules(root: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ko")) index.set(entry.name.slice(0, -3).replaceAll("-", "_"), path);
    }
  };
  walk(root);
  return index;
}

export interface KernelBuild {
  /** The package the kernel came from (the metapackage's dependency) and its exact version. */
  package: string;
  version: string;
  metapackage: string;
  /** e.g. 6.1.0-57-cloud-amd64 */
  release: string;
  /** Paths inside the cache. */
  vmlinuz: string;
  /** The modules to insmod, in order, each with its .ko file. */
  modules: { name: string; path: string }[];
}

async function aptOutput(args: readonly string[]): Promise<string> {
  const { stdout } = await run("apt-cache", args, { timeoutMs: 60_000 });
  return stdout;
}

/** Which kernel package and version apt would install for the metapackage (no download). */
export async function resolveKernelPackage(
  metapackage = KERNEL_METAPACKAGE,
): Promise<{ name: string; version: string }> {
  const name = parseKernelDependency(await aptOutput(["depends", metapackage]));
  if (name === null) {
    throw new Error(
      `apt-cache depends ${metapackage} names no linux-image-<release> package (is it in the apt sources?)`,
    );
  }
  const version = parseAptCandidate(await aptOutput(["policy", name]));
  if (version === null) throw new Error(`apt has no installable version of ${name}`);
  return { name, version };
}

/**
 * The kernel and its virtio modules, from the distribution's archive: `apt-get download` of the
 * .deb into the cache and `dpkg-deb -x` there (never installed on this host). Kept under
 * <cacheRoot>/<package>_<version>, so later builds take it from there.
 */
export async function ensureKernel(cacheRoot: string, metapackage = KERNEL_METAPACKAGE): Promise<KernelBuild> {
  const pkg = await resolveKernelPackage(metapackage);
  const home = join(cacheRoot, `${pkg.name}_${pkg.version}`);
  const record = join(home, "kernel.json");
  if (existsSync(record)) {
    const cached = JSON.parse(readFileSync(record, "utf8")) as KernelBuild;
    // A cache made before a module was added to GUEST_MODULES lacks it: unpack again.
    const names = new Set(cached.modules.map((m) => m.name));
    const complete = GUEST_MODULES.every((name) => names.has(name));
    if (complete && existsSync(cached.vmlinuz) && cached.modules.every((m) => existsSync(m.path))) return cached;
  }
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, "tmp-kernel-"));
  try {
    // As root, apt warns that its _apt sandbox user cannot write here; the download is the same.
    await run("apt-get", ["download", "-q", `${pkg.name}=${pkg.version}`], { cwd: work, timeoutMs: 600_000 });
    const deb = readdirSync(work).find((file) => file.endsWith(".deb"));
    if (deb === undefined) throw new Error(`apt-get download ${pkg.name}=${pkg.version} left no .deb`);
    const tree = join(work, "tree");
    await run("dpkg-deb", ["-x", join(work, deb), tree], { timeoutMs: 300_000 });
    const vmlinuzName = readdirSync(join(tree, "boot")).find((file) => file.startsWith("vmlinuz-"));
    if (vmlinuzName === undefined) throw new Error(`${deb} holds no boot/vmlinuz-*`);
    const release = vmlinuzName.slice("vmlinuz-".length);
    const index = indexModules(join(tree, "lib", "modules", release, "kernel"));
    const infoOf = (name: string): ModuleInfo => {
      const path = index.get(name);
      if (path === undefined) throw new Error(`${pkg.name} has no module ${name} (built in, or compressed .ko?)`);
      return parseModinfo(readFileSync(path));
    };
    const order = loadOrder(GUEST_MODULES, infoOf);
    // Keep only what the initramfs needs: the cache holds a few MB, not the whole package.
    const staged = join(work, "keep");
    mkdirSync(join(staged, "modules"), { recursive: true });
    copyFileSync(join(tree, "boot", vmlinuzName), join(staged, "vmlinuz"));
    for (const name of order) copyFileSync(index.get(name) as string, join(staged, "modules", `${name}.ko`));
    rmSync(home, { recursive: true, force: true });
    renameSync(staged, home);
    const build: KernelBuild = {
      package: pkg.name,
      version: pkg.version,
      metapackage,
      release,
      vmlinuz: join(home, "vmlinuz"),
      modules: order.map((name) => ({ name, path: join(home, "modules", `${name}.ko`) })),
    };
    writeFileSync(record, `${JSON.stringify(build, null, 2)}\n`);
    return build;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
