/**
 * The lab's own VMM: one QEMU command line and one set of instance scripts for every guest the
 * lab boots itself (`microvm`: a Linux guest; `nanos-direct`: Nanos without ops). The guests
 * differ only in what a `LabVmGuest` says: the kernel (and what it needs: -kernel/-initrd/-append
 * for Linux; Nanos boots from its disk) and the disk image. Machine type, CPU model, devices,
 * memory, vCPUs, networking, pinning and the serial console are this module's, so a test can hold
 * the two VM rows to "they differ only in the kernel".
 *
 * Devices follow what ops 0.1.43 gives a Nanos guest (qemu/qemu_unix.go setConfig): q35, three
 * PCIe root ports, the disk on virtio-scsi-pci + scsi-hd, virtio-net on the third root port,
 * virtio-rng-pci and isa-debug-exit. The disk is opened with `snapshot=on`: guest writes go to a
 * temporary overlay, so every instance boots the very image the artifact holds.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { APP_PORT } from "../../core/model";
import { type Shell, sh, shellCode, shellLines } from "../../core/shell";
import { isInstanceOfRun } from "./context";
import { QEMU_X86 } from "./kvm";
import { detectAcceleratorLines, pinAllThreadsLine, vmAccelerator, vmLimitsJsonLine } from "./qemuShell";
import { scriptHead } from "./shell";
import type { InstanceContext, InstanceScripts } from "./types";
import {
  DEFAULT_VMNET,
  sweepLabNetwork,
  tapDownLine,
  tapUpLine,
  VMNET_PREFIX_LENGTH,
  type VmnetSettings,
  vmMacAddress,
  vmTapName,
} from "./vmnet";

/** Every lab-VMM qemu carries `-name <this>.<instance>`: how its scripts and the leftover sweep recognise it. */
export const LAB_VM_QEMU_MARK = "edgelab-vm";
/** The mark of runs before nanos-direct shared this VMM: their leftovers are still recognised. */
const LEGACY_QEMU_MARKS = ["edgelab-microvm"] as const;

/** user: QEMU user-mode networking (slirp) with a host port forward; bridged: a tap on the lab's bridge. */
export type LabVmNetwork = "user" | "bridged";

/** What one kind of guest brings to the shared VMM. */
export interface LabVmGuest {
  /** The platform's name, for messages and script heads. */
  platform: string;
  /** The knob that chooses its network, and the values it offers. */
  networkKnob: string;
  networks: readonly LabVmNetwork[];
  /** What the artifact is, for the error when it is empty. */
  artifactWhat: string;
  /** The disk image the guest boots or mounts (its root file system). */
  disk(ctx: InstanceContext): string;
  /** What the kernel needs on QEMU's command line (Linux: -kernel, -initrd; Nanos: nothing, it boots from its disk). */
  kernelArgs(ctx: InstanceContext): string[];
  /** Linux only: shell setting `kernel_args`, passed as -append "$kernel_args". */
  kernelCommandLine?(ctx: InstanceContext, vmnet: VmnetSettings): Shell;
  /** Shell run by prepare after the common checks, in the work folder: files to check, a disk to make. */
  prepareLines(ctx: InstanceContext): Shell;
  /** Files prepare must find before it launches (paths). */
  requiredFiles(ctx: InstanceContext): string[];
  /** Shell run by stop once qemu is gone: write exit.json (and guest.json) from app.log. */
  recordExitLines: Shell;
  /** Shell run by stop and cleanup: remove what prepare made for this instance only (a disk). */
  removeLines?: Shell;
  /** How the memory limit is enforced and what the guest keeps of it, for limits.json. */
  memoryHow(memoryMB: number): string;
}

export function labVmNetwork(guest: LabVmGuest, ctx: InstanceContext): LabVmNetwork {
  const network = ctx.knobs[guest.networkKnob] ?? guest.networks[0];
  if (!(guest.networks as readonly string[]).includes(network as string)) {
    throw new Error(
      `${guest.platform}: knob ${guest.networkKnob} is ${JSON.stringify(network)}; allowed: ${guest.networks.join(", ")}`,
    );
  }
  return network as LabVmNetwork;
}

function assertContext(guest: LabVmGuest, ctx: InstanceContext): void {
  // The name ends up in QEMU's -name (where a comma separates options) and in grep patterns.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ctx.instanceName)) {
    throw new Error(
      `${guest.platform}: instance name ${JSON.stringify(ctx.instanceName)} must be letters, digits, _ . -`,
    );
  }
  for (const [field, value] of [
    ["cpus", ctx.resources.cpus],
    ["memoryMB", ctx.resources.memoryMB],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${guest.platform}: resources.${field} is ${value}; a positive integer is needed`);
  }
  if (ctx.artifact === "")
    throw new Error(`${guest.platform}: the artifact (${guest.artifactWhat}) is empty (build it first)`);
  labVmNetwork(guest, ctx);
  vmAccelerator(guest.platform, ctx);
}

export function labQemuName(ctx: InstanceContext): string {
  return `${LAB_VM_QEMU_MARK}.${ctx.instanceName}`;
}

/** QEMU keeps an option's value whole only when it holds no comma (a comma separates suboptions). */
function commaFree(what: string, value: string): string {
  if (value.includes(","))
    throw new Error(`lab VM: ${what} ${JSON.stringify(value)} holds a comma, which QEMU would split`);
  return value;
}

/**
 * The machine, shared by every lab guest: everything on QEMU's command line up to the network,
 * which the start script adds (a bridged guest's address is leased by prepare). The serial console
 * is the instance's app.log.
 */
export function labVmMachineArgs(ctx: InstanceContext, disk: string): string[] {
  const accelerator = vmAccelerator("lab VM", ctx);
  return [
    ...["-name", labQemuName(ctx)],
    ...["-machine", "q35", "-accel", accelerator],
    // KVM: the host's CPU. TCG: "max", every feature TCG emulates (qemu64 lacks what V8 expects).
    ...["-cpu", accelerator === "kvm" ? "host" : "max"],
    ...["-m", `${ctx.resources.memoryMB}M`, "-smp", String(ctx.resources.cpus)],
    ...["-nographic", "-nodefaults", "-no-user-config", "-no-reboot"],
    ...["-device", "pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x3"],
    ...["-device", "pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,addr=0x3.0x1"],
    ...["-device", "pcie-root-port,port=0x12,chassis=3,id=pci.3,bus=pcie.0,addr=0x3.0x2"],
    ...["-device", "virtio-scsi-pci,bus=pci.2,addr=0x0,id=scsi0"],
    ...["-drive", `file=${commaFree("disk image", disk)},format=raw,if=none,id=hd0,snapshot=on`],
    ...["-device", "scsi-hd,bus=scsi0.0,drive=hd0"],
    ...["-device", "virtio-rng-pci", "-device", "isa-debug-exit"],
    ...["-serial", `file:${commaFree("work folder", join(ctx.workDir, "app.log"))}`, "-monitor", "none"],
  ];
}

/** No option ROM: nothing boots from the network, so iPXE would only cost boot time. */
function virtioNetDevice(ctx: InstanceContext): string {
  return `virtio-net-pci,bus=pci.3,addr=0x0,netdev=net0,mac=${vmMacAddress(ctx.instanceName)},romfile=`;
}

/** The user-mode network: a forward from the bind address's host port to the app's port in the guest. */
export function userNetworkArgs(ctx: InstanceContext): string[] {
  return [
    ...["-netdev", `user,id=net0,hostfwd=tcp:${ctx.bindAddress}:${ctx.hostPort}-:${APP_PORT}`],
    ...["-device", virtioNetDevice(ctx)],
  ];
}

export function bridgedNetworkArgs(ctx: InstanceContext): string[] {
  return [
    ...["-netdev", `tap,id=net0,ifname=${vmTapName(ctx.instanceName)},script=no,downscript=no`],
    ...["-device", virtioNetDevice(ctx)],
  ];
}

/**
 * The whole argv of one guest's qemu but the kernel command line's value, which the start script
 * passes as -append "$kernel_args" (the last two words, Linux only).
 */
export function labVmQemuArgs(guest: LabVmGuest, ctx: InstanceContext): string[] {
  const network = labVmNetwork(guest, ctx) === "bridged" ? bridgedNetworkArgs(ctx) : userNetworkArgs(ctx);
  return [...labVmMachineArgs(ctx, guest.disk(ctx)), ...guest.kernelArgs(ctx), ...network];
}

function networkDescription(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): string {
  if (labVmNetwork(guest, ctx) === "bridged") {
    return `bridged: tap ${vmTapName(ctx.instanceName)} on ${vmnet.bridge} (${vmnet.subnet}.0/${VMNET_PREFIX_LENGTH}), guest reached on its own address`;
  }
  return `user-mode (slirp) port forward, host ${ctx.bindAddress}:${ctx.hostPort} -> guest ${APP_PORT}`;
}

/** limits.json with the accelerator filled in by the script from what qemu actually opened. */
function limitsLine(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const { cpus, memoryMB } = ctx.resources;
  const pinned = ctx.knobs.cpuMode === "pinned";
  return vmLimitsJsonLine({
    cpu: {
      requested: cpus,
      enforced: true,
      how: `-smp ${cpus} (vCPUs)${pinned ? ` + taskset -c ${ctx.cpuList} (whole qemu)` : ""}`,
    },
    memoryMB: { requested: memoryMB, enforced: true, how: guest.memoryHow(memoryMB) },
    network: networkDescription(guest, ctx, vmnet),
  });
}

/** Shell: `ours` is true while instance.pid names this instance's qemu (guards against pid reuse). */
function oursFunction(ctx: InstanceContext): Shell {
  return sh`pid=$(cat instance.pid 2>/dev/null || true)
ours() { [ -n "$pid" ] && grep -qaF -- ${labQemuName(ctx)} "/proc/$pid/cmdline" 2>/dev/null; }`;
}

function tapDown(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell | false {
  return labVmNetwork(guest, ctx) === "bridged" && tapDownLine(vmnet, vmTapName(ctx.instanceName));
}

/** Bridged only: the tap and the guest's leased address; the app is reached there, on its own port. */
function bridgedEndpointLines(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell | false {
  return (
    labVmNetwork(guest, ctx) === "bridged" &&
    sh`${tapUpLine(vmnet, vmTapName(ctx.instanceName), "guest.address")}# The app is reached on the guest's own address, on the app's port.
printf '%s:%s\\n' "$(cat guest.address)" ${APP_PORT} > endpoint
`
  );
}

function prepareScript(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`${guest.platform} prepare: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB`, ctx.workDir)}
rm -f instance.pid instance.pid.tmp exit.json limits.json guest.json app.log qemu.log qemu.cmdline oom.line launch.stamp guest.address endpoint
if ! command -v ${QEMU_X86} >/dev/null 2>&1; then
  echo ${`${guest.platform}: ${QEMU_X86} not installed`} >&2
  exit 1
fi
for file in ${guest.requiredFiles(ctx)}; do
  if [ ! -e "$file" ]; then
    echo ${`${guest.platform}: `}"$file"${` is missing (build the ${guest.platform} artifact)`} >&2
    exit 1
  fi
done
${guest.prepareLines(ctx)}
${shellLines([bridgedEndpointLines(guest, ctx, vmnet)])}`;
}

/** The launch: setsid (and taskset when pinned) exec in place, so $! is qemu's own pid. */
function launchCommand(guest: LabVmGuest, ctx: InstanceContext): Shell {
  const pinned = ctx.knobs.cpuMode === "pinned";
  const taskset = pinned && sh`taskset -c ${ctx.cpuList}`;
  const append = guest.kernelCommandLine ? shellCode(' -append "$kernel_args"') : shellCode("");
  return sh`setsid ${shellLines([taskset, sh`${QEMU_X86} ${labVmQemuArgs(guest, ctx)}`], " ")}${append}`;
}

/** KVM expected: a qemu that runs without it is stopped rather than measured. */
function refuseEmulationLines(guest: LabVmGuest, accelerator: "kvm" | "tcg"): Shell | false {
  return (
    accelerator === "kvm" &&
    sh`if [ "$accel" != kvm ]; then
  echo ${`${guest.platform}: qemu `}"$pid"${" runs without KVM; refusing to measure an emulated VM (set allowEmulation to accept TCG)"} >&2
  kill -KILL "$pid" 2>/dev/null || true
  exit 1
fi
`
  );
}

/** Shell: the running qemu's exact argv, one argument per line (what the report shows side by side). */
const RECORD_COMMAND_LINE = sh`tr '\\0' '\\n' < "/proc/$pid/cmdline" > qemu.cmdline 2>/dev/null || true
`;

function startScript(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const accelerator = vmAccelerator(guest.platform, ctx);
  const pinned = ctx.knobs.cpuMode === "pinned";
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`${guest.platform} start: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB, ${accelerator}`, ctx.workDir)}
# Launched under taskset, qemu and every thread it ever starts are born on the pinned cores.
# setsid: a Ctrl-C to the runner must not reach the VM uncontrolled. Without job control,
# setsid and taskset exec in place, so $! is qemu's own pid.
${shellLines([guest.kernelCommandLine?.(ctx, vmnet)])}
printf '%s\\n' "$EPOCHREALTIME" > launch.stamp
${launchCommand(guest, ctx)} > qemu.log 2>&1 < /dev/null &
pid=$!
echo "$pid" > instance.pid.tmp && mv instance.pid.tmp instance.pid
${oursFunction(ctx)}
# Until the forked shell has exec'd qemu, its command line is this script's: wait for qemu's.
alive() { state=$(sed -n 's/.*) \\(.\\).*/\\1/p' "/proc/$pid/stat" 2>/dev/null); [ -n "$state" ] && [ "$state" != Z ]; }
for _ in $(seq 1 250); do
  ours && break
  alive || break
  sleep 0.02
done
# QEMU fails at once on bad options or a host port already in use: catch that here.
for _ in $(seq 1 10); do
  ours || break
  sleep 0.02
done
if ! ours; then
  echo ${`${guest.platform}: qemu exited at once:`} >&2
  cat qemu.log >&2
  exit 1
fi
${shellLines([RECORD_COMMAND_LINE, detectAcceleratorLines(accelerator, shellCode("ours")), refuseEmulationLines(guest, accelerator), pinned && pinAllThreadsLine(ctx.cpuList), limitsLine(guest, ctx, vmnet)], "")}`;
}

function stopScript(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  return sh`${scriptHead(`${guest.platform} stop: ${ctx.instanceName}`, ctx.workDir)}
${oursFunction(ctx)}
touch app.log
# SIGTERM makes QEMU stop the guest and exit; the guest gets no say, as a container's init would not.
if ours; then kill -TERM "$pid" 2>/dev/null || true; fi
for _ in $(seq 1 100); do
  ours || break
  sleep 0.05
done
if ours; then kill -KILL "$pid" 2>/dev/null || true; fi
${guest.recordExitLines}
${shellLines([guest.removeLines, tapDown(guest, ctx, vmnet)])}`;
}

function cleanupScript(guest: LabVmGuest, ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  return sh`${scriptHead(`${guest.platform} cleanup: ${ctx.instanceName}`, ctx.workDir)}
${oursFunction(ctx)}
if ours; then kill -KILL "$pid" 2>/dev/null || true; fi
for _ in $(seq 1 100); do
  ours || break
  sleep 0.02
done
${shellLines([guest.removeLines, tapDown(guest, ctx, vmnet)])}exit 0
`;
}

/** The scripts of one instance; `vmnet` only matters in bridged mode (tests use their own). */
export function labVmScripts(
  guest: LabVmGuest,
  ctx: InstanceContext,
  vmnet: VmnetSettings = DEFAULT_VMNET,
): InstanceScripts {
  assertContext(guest, ctx);
  return {
    prepare: prepareScript(guest, ctx, vmnet).text,
    start: startScript(guest, ctx, vmnet).text,
    stop: stopScript(guest, ctx, vmnet).text,
    cleanup: cleanupScript(guest, ctx, vmnet).text,
  };
}

/** The instance name a lab qemu's -name value carries, or null when it is none of the lab's. */
function instanceOfQemuName(name: string): string | null {
  for (const mark of [LAB_VM_QEMU_MARK, ...LEGACY_QEMU_MARKS]) {
    if (name.startsWith(`${mark}.`)) return name.slice(mark.length + 1);
  }
  return null;
}

/** Whether an argv is a lab-VMM qemu: a qemu-system argv[0] with `-name edgelab-vm.<instance>`. */
export function isLabQemu(argv: readonly string[]): boolean {
  if (!/qemu-system-/.test(argv[0] ?? "")) return false;
  const at = argv.indexOf("-name");
  return at >= 0 && instanceOfQemuName(argv[at + 1] ?? "") !== null;
}

export function labQemuPids(procRoot = "/proc"): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(join(procRoot, entry, "cmdline"), "utf8").split("\0");
    } catch {
      continue; // gone meanwhile
    }
    if (isLabQemu(argv)) found.push({ pid: Number(entry), name: argv[argv.indexOf("-name") + 1] ?? "" });
  }
  return found;
}

/**
 * End the lab-VMM qemus of `runIds` (any run's when not given) and, once no lab VM runs on the
 * host any more, remove every lab tap and bridge (they are shared); returns what went. Every
 * platform on this VMM calls it: one platform's sweep ends the other's leftovers of the same run.
 */
export async function cleanupLabVmLeftovers(scope: { runIds?: readonly string[] } = {}): Promise<string[]> {
  const removed: string[] = [];
  const ofScope = (name: string) =>
    !scope.runIds || scope.runIds.some((runId) => isInstanceOfRun(instanceOfQemuName(name) ?? "", runId));
  for (const { pid, name } of labQemuPids().filter((q) => ofScope(q.name))) {
    try {
      process.kill(pid, "SIGKILL");
      removed.push(`qemu ${pid} (${name})`);
    } catch {
      // already gone
    }
  }
  // The taps are held open by those qemus: give the kernel a moment to release them.
  const ended = () => labQemuPids().filter((q) => ofScope(q.name)).length === 0;
  for (let i = 0; i < 50 && !ended(); i++) await new Promise((r) => setTimeout(r, 20));
  // Another lab's VM still runs: its tap and bridge are in use (each instance's cleanup removes its own).
  if (labQemuPids().length === 0) for (const name of await sweepLabNetwork()) removed.push(`interface ${name}`);
  return removed;
}
