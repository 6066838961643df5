/**
 * `microvm`: a Linux guest on the lab's own VMM (./labVm.ts, the same QEMU command line as
 * `nanos-direct`), booting the distribution's kernel with a tiny initramfs that loads the disk and
 * network drivers and switches to the root file system on the guest's virtio-scsi disk, as Nanos
 * reads its program from its disk (workloads/artifacts/microvm). With Nanos it separates "VM vs
 * process" from "Linux vs a small kernel of its own".
 */
import { join } from "node:path";
import { run } from "../../core/exec";
import { type Shell, sh } from "../../core/shell";
import { INITRD_FILE, KERNEL_FILE, microvmArtifactRecipe, ROOTFS_FILE } from "../../workloads/artifacts/microvm";
import { type KvmProbe, probeKvm, QEMU_X86 } from "./kvm";
import { cleanupLabVmLeftovers, type LabVmGuest, labVmNetwork, labVmQemuArgs, labVmScripts } from "./labVm";
import { oomFromConsoleLines } from "./qemuShell";
import { envAssignments } from "./shell";
import type { Availability, InstanceContext, InstanceScripts, KnobSpec, Platform } from "./types";
import { DEFAULT_VMNET, VMNET_PREFIX_LENGTH, type VmnetSettings, vmnetGateway } from "./vmnet";

/** user: QEMU user-mode networking (slirp) with a host port forward; bridged: a tap on the lab's bridge. */
export const MICROVM_NETWORK_VALUES = ["user", "bridged"] as const;
export type MicrovmNetwork = (typeof MICROVM_NETWORK_VALUES)[number];

/** The platform's own knobs, as the plugin interface declares them. */
export const microvmKnobs: Record<"microvmNetwork", KnobSpec> = {
  microvmNetwork: {
    values: MICROVM_NETWORK_VALUES,
    default: "user",
    description:
      "user: QEMU user-mode networking (slirp) with a host port forward, as the paper ran Nanos; bridged: a tap on the lab's bridge (kernel networking end to end)",
  },
};

/**
 * The guest kernel's command line. `rootfstype=ramfs`: the tiny initramfs is unpacked into a
 * ramfs rather than a tmpfs capped at half of RAM (it is freed by switch_root either way).
 * `panic=-1` with QEMU's -no-reboot ends QEMU should the guest kernel panic; `quiet` keeps the
 * slow serial console short (errors, OOM kills included, are still printed).
 */
export const GUEST_KERNEL_ARGS = ["console=ttyS0", "quiet", "panic=-1", "rootfstype=ramfs"] as const;

/**
 * What the serial console (app.log) shows when guest memory ran out: the kernel's OOM killer
 * (mm/oom_kill.c "Out of memory: Killed process", or a panic when nothing could be killed), the
 * lab's /init when the initramfs did not fit in RAM, and the runtimes' own words when the guest
 * kernel refused them memory (Go runtime throw, V8's "process out of memory"). POSIX ERE and
 * JavaScript regexps alike.
 */
export const MICROVM_OOM_PATTERNS: readonly string[] = [
  "Out of memory: Killed process",
  "Out of memory and no killable processes",
  "Kernel panic - not syncing: (Out of memory|System is deadlocked on memory)",
  "microvm-init: the initramfs did not fit in guest memory",
  "fatal error: (runtime: )?out of memory",
  "Allocation failed - process out of memory",
];

export function serialLogShowsOom(log: string): boolean {
  return MICROVM_OOM_PATTERNS.some((pattern) => new RegExp(pattern).test(log));
}

/** The app's exit as the guest's init reports it ("microvm-init: app exited with status 137"). */
export function parseAppExit(log: string): { exitCode: number | null; signal: number | null } | null {
  const status = /microvm-init: app exited with status (\d+)/.exec(log)?.[1];
  if (status === undefined) return null;
  const n = Number(status);
  return n > 128 ? { exitCode: null, signal: n - 128 } : { exitCode: n, signal: null };
}

/** MemTotal the guest kernel reported, in kB ("microvm-init: MemTotal:   93784 kB"). */
export function parseGuestMemTotalKb(log: string): number | null {
  const kb = /microvm-init: MemTotal:\s+(\d+) kB/.exec(log)?.[1];
  return kb === undefined ? null : Number(kb);
}

/** The app's peak resident memory as the guest's init last reported it ("microvm-init: app VmHWM: 9876 kB VmRSS: 9000 kB"). */
export function parseAppPeakRssKb(log: string): number | null {
  const all = [...log.matchAll(/microvm-init: app VmHWM:\s+(\d+) kB/g)];
  const last = all[all.length - 1]?.[1];
  return last === undefined ? null : Number(last);
}

function imageDir(ctx: InstanceContext): string {
  return ctx.artifact;
}

/** NAME=value words for the kernel command line: no spaces or quotes can travel there. */
function guestEnvironment(ctx: InstanceContext): string[] {
  return envAssignments(ctx.env).map((word) => {
    if (!/^[A-Za-z0-9_=.,:/+-]+$/.test(word))
      throw new Error(`microvm: ${word} cannot travel on the kernel command line`);
    return word;
  });
}

/**
 * Sets `kernel_args`, the kernel command line. The app's environment (runtime knobs) rides on it:
 * the kernel hands NAME=value words it does not know to init's environment, and init passes its
 * environment on. Bridged, the guest's address comes from the file prepare wrote.
 */
function kernelArgsLines(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const bridged =
    labVmNetwork(microvmGuest, ctx) === "bridged" &&
    sh`kernel_args+=" microvm.ip=$(cat guest.address)/${VMNET_PREFIX_LENGTH}"
kernel_args+=" "${`microvm.gw=${vmnetGateway(vmnet)}`}`;
  return sh`kernel_args=${[...GUEST_KERNEL_ARGS, ...guestEnvironment(ctx)].join(" ")}
${bridged || sh``}`;
}

/** Shell: exit.json and guest.json from the serial log; OOM from the patterns above. */
const RECORD_EXIT = sh`${oomFromConsoleLines(MICROVM_OOM_PATTERNS)}exit_code=null
signal=null
status=$(sed -n 's/.*microvm-init: app exited with status \\([0-9][0-9]*\\).*/\\1/p' app.log 2>/dev/null | head -n 1 || true)
if [ -n "$status" ]; then
  if [ "$status" -gt 128 ]; then signal="\\"$(kill -l $((status - 128)))\\""; else exit_code=$status; fi
fi
printf '{"exitCode":%s,"signal":%s,"oomKilled":%s}\\n' "$exit_code" "$signal" "$oom" > exit.json
mem_kb=$(sed -n 's/.*microvm-init: MemTotal: *\\([0-9][0-9]*\\) kB.*/\\1/p' app.log 2>/dev/null | head -n 1 || true)
rss_kb=$(sed -n 's/.*microvm-init: app VmHWM: *\\([0-9][0-9]*\\) kB.*/\\1/p' app.log 2>/dev/null | tail -n 1 || true)
printf '{"memTotalKb":%s,"appPeakRssKb":%s}\\n' "\${mem_kb:-null}" "\${rss_kb:-null}" > guest.json`;

/**
 * The kernel decompresses itself at its preferred load address (bzImage header: pref_address at
 * 0x258, init_size at 0x260, Documentation/x86/boot.rst) and needs that much guest memory before
 * it prints a line: below it, the guest resets at "Probing EDD" and QEMU (-no-reboot) exits. The
 * Debian cloud kernel asks for 16 + 51.5 MiB, so a 64 MB microVM cannot start at all; prepare says
 * so in words instead of a bare "qemu exited".
 */
function kernelFitsLines(ctx: InstanceContext): Shell {
  const kernel = join(imageDir(ctx), KERNEL_FILE);
  return sh`# The guest kernel's own need: its load address plus the memory it decompresses into.
init_size=$(od -An -tu4 -j 608 -N 4 ${kernel} | tr -d ' ')
load_at=$(od -An -tu8 -j 600 -N 8 ${kernel} | tr -d ' ')
need_mb=$(( (load_at + init_size + 1048575) / 1048576 ))
if [ "$need_mb" -gt ${ctx.resources.memoryMB} ]; then
  echo "microvm: the guest kernel cannot start in ${ctx.resources.memoryMB} MB: it decompresses into $((init_size / 1048576)) MiB (bzImage init_size) above its $((load_at / 1048576)) MiB load address, $need_mb MB in all" >&2
  exit 1
fi
`;
}

/** The Linux guest on the lab's VMM: kernel and initramfs by -kernel/-initrd, its root on the disk. */
export const microvmGuest: LabVmGuest = {
  platform: "microvm",
  networkKnob: "microvmNetwork",
  networks: MICROVM_NETWORK_VALUES,
  artifactWhat: "kernel, initramfs and root disk folder",
  disk: (ctx) => join(imageDir(ctx), ROOTFS_FILE),
  kernelArgs: (ctx) => ["-kernel", join(imageDir(ctx), KERNEL_FILE), "-initrd", join(imageDir(ctx), INITRD_FILE)],
  kernelCommandLine: kernelArgsLines,
  requiredFiles: (ctx) => [KERNEL_FILE, INITRD_FILE, ROOTFS_FILE].map((file) => join(imageDir(ctx), file)),
  prepareLines: kernelFitsLines,
  recordExitLines: RECORD_EXIT,
  memoryHow: (memoryMB) =>
    `qemu -m ${memoryMB}M; the guest kernel keeps part of it (MemTotal and the app's peak RSS in guest.json, what the app saw in /info); the root file system is on the disk, read through the page cache`,
};

/** The scripts of one instance; `vmnet` only matters in bridged mode (tests use their own). */
export function microvmScripts(ctx: InstanceContext, vmnet: VmnetSettings = DEFAULT_VMNET): InstanceScripts {
  guestEnvironment(ctx);
  return labVmScripts(microvmGuest, ctx, vmnet);
}

/** QEMU's argv for one instance but -append's value (see labVmQemuArgs). */
export function qemuArgs(ctx: InstanceContext): string[] {
  return labVmQemuArgs(microvmGuest, ctx);
}

/** What checkAvailability found; null output means qemu could not be run. */
export interface MicrovmHostFacts {
  qemuVersionOutput: string | null;
  kvm: KvmProbe | null;
}

const EMULATION_HINT = "set allowEmulation to run under TCG (results are marked emulated)";

/** The verdict from the facts (pure, so it is testable without QEMU or KVM). */
export function microvmAvailability(host: MicrovmHostFacts, allowEmulation: boolean): Availability {
  return labVmAvailability("microvm", host, allowEmulation);
}

/** The availability of a guest on the lab's VMM: qemu, then KVM (by a trial boot), else TCG when allowed. */
export function labVmAvailability(platform: string, host: MicrovmHostFacts, allowEmulation: boolean): Availability {
  const qemuVersion = /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(host.qemuVersionOutput ?? "")?.[1] ?? null;
  const facts: Availability["facts"] = { qemuVersion };
  if (host.qemuVersionOutput === null) return { ok: false, reason: `${platform}: ${QEMU_X86} not installed`, facts };
  facts.kvmUsable = host.kvm?.usable ?? false;
  facts.kvmReason = host.kvm?.reason ?? null;
  if (host.kvm?.usable) return { ok: true, facts: { ...facts, accelerator: "kvm" } };
  const blocker = `${platform}: KVM cannot be used: ${host.kvm?.reason ?? "not probed"}`;
  if (!allowEmulation)
    return { ok: false, reason: `${blocker}; ${EMULATION_HINT}`, facts: { ...facts, accelerator: null } };
  return { ok: true, facts: { ...facts, accelerator: "tcg" } };
}

/** qemu's version and, where it runs, the KVM trial with the CPU model the lab's VMM uses (-cpu host). */
export async function gatherLabVmHostFacts(): Promise<MicrovmHostFacts> {
  try {
    const { stdout } = await run(QEMU_X86, ["--version"], { timeoutMs: 30_000 });
    return { qemuVersionOutput: stdout, kvm: await probeKvm({ cpu: "host" }) };
  } catch {
    return { qemuVersionOutput: null, kvm: null };
  }
}

/** The tools the lab's VMM needs on a Pulumi host, and the check that they are there. */
export const LAB_VM_HOST_INSTALL =
  "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 busybox-static iproute2 util-linux e2fsprogs";
export const LAB_VM_HOST_PREFLIGHT = `${QEMU_X86} --version >/dev/null && command -v ip >/dev/null && command -v flock >/dev/null && test -r /dev/kvm -a -w /dev/kvm`;

export const microvmPlatform: Platform = {
  name: "microvm",
  description:
    "Linux guest (Debian cloud kernel, tiny initramfs, root on a virtio-scsi disk) on the lab's QEMU q35 VMM",
  class: { kernel: "linux", isolation: "vm" },
  knobs: microvmKnobs,
  sharedKnobs: ["cpuMode"],
  artifact: microvmArtifactRecipe,
  ports: "free",
  // Seconds per launch beyond the app's own start, for the ETA (TCG boots took 5-15 s for Go here).
  startCostS: 6,
  // The start script checks the VM after launching it; waiting for that would add it to TTR.
  probeDuringStart: true,
  async checkAvailability({ allowEmulation }): Promise<Availability> {
    return microvmAvailability(await gatherLabVmHostFacts(), allowEmulation);
  },
  scripts: (ctx) => microvmScripts(ctx),
  cleanupLeftovers: cleanupLabVmLeftovers,
  host: {
    // The kernel is not installed: the build fetches its .deb with apt-get download (Debian's
    // linux-image-cloud-amd64; Ubuntu names its VM kernels differently, see KERNEL_METAPACKAGE).
    installScript: LAB_VM_HOST_INSTALL,
    preflightScript: `${LAB_VM_HOST_PREFLIGHT} && test -x /bin/busybox && command -v mke2fs >/dev/null`,
  },
};
