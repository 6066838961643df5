/**
 * `microvm`: a Linux guest under the same QEMU as Nanos (q35, virtio-net, the same -m and -smp),
 * booting the distribution's kernel and the initramfs the lab builds (workloads/artifacts/microvm).
 * With Nanos it separates "VM vs process" from "Linux vs a small kernel of its own".
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../core/exec";
import { APP_PORT } from "../../core/model";
import { type Shell, sh, shellCode, shellLines } from "../../core/shell";
import { INITRD_FILE, KERNEL_FILE, microvmArtifactRecipe } from "../../workloads/artifacts/microvm";
import { isInstanceOfRun } from "./context";
import { type KvmProbe, probeKvm, QEMU_X86 } from "./kvm";
import { detectAcceleratorLines, pinAllThreadsLine, vmAccelerator, vmLimitsJsonLine } from "./qemuShell";
import { envAssignments, scriptHead } from "./shell";
import type { Availability, InstanceContext, InstanceScripts, KnobSpec, Platform } from "./types";
import {
  DEFAULT_VMNET,
  sweepLabNetwork,
  tapDownLine,
  tapUpLine,
  VMNET_PREFIX_LENGTH,
  type VmnetSettings,
  vmMacAddress,
  vmnetGateway,
  vmTapName,
} from "./vmnet";

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

/** Every lab qemu carries `-name <this>.<instance>`: how its own scripts and leftover cleanup recognise it. */
export const MICROVM_QEMU_MARK = "edgelab-microvm";

/**
 * The guest kernel's command line. `rootfstype=ramfs`: without a root= the initramfs is unpacked
 * into a tmpfs capped at half of RAM, which the Node initramfs (about 135 MB) did not fit at
 * -m 320M here; ramfs has no cap (it is RAM either way, and there is no swap). `panic=-1` with
 * QEMU's -no-reboot ends QEMU should the guest kernel panic; `quiet` keeps the slow serial
 * console short (errors, OOM kills included, are still printed).
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

/** The app's exit as the guest's /init reports it ("microvm-init: app exited with status 137"). */
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

function networkOf(ctx: InstanceContext): MicrovmNetwork {
  const network = ctx.knobs.microvmNetwork ?? microvmKnobs.microvmNetwork.default;
  if (!(MICROVM_NETWORK_VALUES as readonly string[]).includes(network)) {
    throw new Error(
      `microvm: knob microvmNetwork is ${JSON.stringify(network)}; allowed: ${MICROVM_NETWORK_VALUES.join(", ")}`,
    );
  }
  return network as MicrovmNetwork;
}

const acceleratorOf = (ctx: InstanceContext) => vmAccelerator("microvm", ctx);

function imageDir(ctx: InstanceContext): string {
  const dir = ctx.artifact;
  if (dir === "") throw new Error("microvm: the artifact (kernel and initramfs folder) is empty (build it first)");
  return dir;
}

function assertContext(ctx: InstanceContext): void {
  // The name ends up in QEMU's -name (where a comma separates options) and in grep patterns.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ctx.instanceName)) {
    throw new Error(`microvm: instance name ${JSON.stringify(ctx.instanceName)} must be letters, digits, _ . -`);
  }
  for (const [field, value] of [
    ["cpus", ctx.resources.cpus],
    ["memoryMB", ctx.resources.memoryMB],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`microvm: resources.${field} is ${value}; a positive integer is needed`);
  }
  imageDir(ctx);
  networkOf(ctx);
  acceleratorOf(ctx);
}

export function qemuName(ctx: InstanceContext): string {
  return `${MICROVM_QEMU_MARK}.${ctx.instanceName}`;
}

/**
 * QEMU's arguments up to the network (which the start script adds, because a bridged guest's
 * address is leased by prepare). The serial console is the instance's app.log.
 */
export function qemuArgs(ctx: InstanceContext): string[] {
  const dir = imageDir(ctx);
  const accelerator = acceleratorOf(ctx);
  return [
    ...["-name", qemuName(ctx)],
    ...["-machine", "q35", "-accel", accelerator],
    // KVM: the host's CPU. TCG: "max", every feature TCG emulates (qemu64 lacks what V8 expects).
    ...["-cpu", accelerator === "kvm" ? "host" : "max"],
    ...["-m", `${ctx.resources.memoryMB}M`, "-smp", String(ctx.resources.cpus)],
    ...["-kernel", join(dir, KERNEL_FILE), "-initrd", join(dir, INITRD_FILE)],
    ...["-nographic", "-nodefaults", "-no-user-config", "-no-reboot"],
    ...["-serial", `file:${join(ctx.workDir, "app.log")}`, "-monitor", "none"],
  ];
}

/** No option ROM: the guest boots from -kernel, so iPXE would only cost boot time. */
function virtioNetDevice(ctx: InstanceContext): string {
  return `virtio-net-pci,netdev=net0,mac=${vmMacAddress(ctx.instanceName)},romfile=`;
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

function networkDescription(ctx: InstanceContext, vmnet: VmnetSettings): string {
  if (networkOf(ctx) === "bridged") {
    return `bridged: tap ${vmTapName(ctx.instanceName)} on ${vmnet.bridge} (${vmnet.subnet}.0/${VMNET_PREFIX_LENGTH}), guest reached on its own address`;
  }
  return `user-mode (slirp) port forward, host ${ctx.bindAddress}:${ctx.hostPort} -> guest ${APP_PORT}`;
}

/** limits.json with the accelerator filled in by the script from what qemu actually opened. */
function limitsLine(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const { cpus, memoryMB } = ctx.resources;
  const pinned = ctx.knobs.cpuMode === "pinned";
  return vmLimitsJsonLine({
    cpu: {
      requested: cpus,
      enforced: true,
      how: `-smp ${cpus} (vCPUs)${pinned ? ` + taskset -c ${ctx.cpuList} (whole qemu)` : ""}`,
    },
    memoryMB: {
      requested: memoryMB,
      enforced: true,
      how: `qemu -m ${memoryMB}M; the guest kernel keeps part of it and the initramfs is held in guest RAM (MemTotal in guest.json, what the app saw in /info)`,
    },
    network: networkDescription(ctx, vmnet),
  });
}

/** Shell: `ours` is true while instance.pid names this instance's qemu (guards against pid reuse). */
function oursFunction(ctx: InstanceContext): Shell {
  return sh`pid=$(cat instance.pid 2>/dev/null || true)
ours() { [ -n "$pid" ] && grep -qaF -- ${qemuName(ctx)} "/proc/$pid/cmdline" 2>/dev/null; }`;
}

function tapDown(ctx: InstanceContext, vmnet: VmnetSettings): Shell | false {
  return networkOf(ctx) === "bridged" && tapDownLine(vmnet, vmTapName(ctx.instanceName));
}

/** Bridged only: the tap and the guest's leased address; the app is reached there, on its own port. */
function bridgedEndpointLines(ctx: InstanceContext, vmnet: VmnetSettings): Shell | false {
  return (
    networkOf(ctx) === "bridged" &&
    sh`${tapUpLine(vmnet, vmTapName(ctx.instanceName), "guest.address")}# The app is reached on the guest's own address, on the app's port.
printf '%s:%s\\n' "$(cat guest.address)" ${APP_PORT} > endpoint
`
  );
}

function prepareScript(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const { cpus, memoryMB } = ctx.resources;
  const dir = imageDir(ctx);
  return sh`${scriptHead(`microvm prepare: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB`, ctx.workDir)}
rm -f instance.pid instance.pid.tmp exit.json limits.json guest.json app.log qemu.log launch.stamp guest.address endpoint
if ! command -v ${QEMU_X86} >/dev/null 2>&1; then
  echo ${`microvm: ${QEMU_X86} not installed`} >&2
  exit 1
fi
for file in ${join(dir, KERNEL_FILE)} ${join(dir, INITRD_FILE)}; do
  if [ ! -f "$file" ]; then
    echo "microvm: $file is missing (build the microvm artifact)" >&2
    exit 1
  fi
done
${shellLines([bridgedEndpointLines(ctx, vmnet)])}`;
}

/**
 * Sets `kernel_args`, the kernel command line. The app's environment (runtime knobs) rides on it:
 * the kernel hands NAME=value words it does not know to init's environment, and init passes its
 * environment on. Bridged, the guest's address comes from the file prepare wrote.
 */
function kernelArgsLines(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const bridged =
    networkOf(ctx) === "bridged" &&
    sh`kernel_args+=" microvm.ip=$(cat guest.address)/${VMNET_PREFIX_LENGTH}"
kernel_args+=" "${`microvm.gw=${vmnetGateway(vmnet)}`}`;
  return shellLines([sh`kernel_args=${[...GUEST_KERNEL_ARGS, ...guestEnvironment(ctx)].join(" ")}`, bridged]);
}

/** The launch: setsid (and taskset when pinned) exec in place, so $! is qemu's own pid. */
function launchCommand(ctx: InstanceContext): Shell {
  const pinned = ctx.knobs.cpuMode === "pinned";
  const network = networkOf(ctx) === "bridged" ? bridgedNetworkArgs(ctx) : userNetworkArgs(ctx);
  const taskset = pinned && sh`taskset -c ${ctx.cpuList}`;
  return sh`setsid ${shellLines([taskset, sh`${QEMU_X86} ${qemuArgs(ctx)} ${network}`], " ")} -append "$kernel_args"`;
}

/** KVM expected: a qemu that runs without it is stopped rather than measured. */
function refuseEmulationLines(accelerator: "kvm" | "tcg"): Shell | false {
  return (
    accelerator === "kvm" &&
    sh`if [ "$accel" != kvm ]; then
  echo "microvm: qemu $pid runs without KVM; refusing to measure an emulated VM (set allowEmulation to accept TCG)" >&2
  kill -KILL "$pid" 2>/dev/null || true
  exit 1
fi
`
  );
}

function startScript(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  const accelerator = acceleratorOf(ctx);
  const pinned = ctx.knobs.cpuMode === "pinned";
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`microvm start: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB, ${accelerator}`, ctx.workDir)}
# Launched under taskset, qemu and every thread it ever starts are born on the pinned cores.
# setsid: a Ctrl-C to the runner must not reach the VM uncontrolled. Without job control,
# setsid and taskset exec in place, so $! is qemu's own pid.
${kernelArgsLines(ctx, vmnet)}
printf '%s\\n' "$EPOCHREALTIME" > launch.stamp
${launchCommand(ctx)} > qemu.log 2>&1 < /dev/null &
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
  echo "microvm: qemu exited at once:" >&2
  cat qemu.log >&2
  exit 1
fi
${shellLines([detectAcceleratorLines(accelerator, shellCode("ours")), refuseEmulationLines(accelerator), pinned && pinAllThreadsLine(ctx.cpuList), limitsLine(ctx, vmnet)], "")}`;
}

/** Shell: exit.json and guest.json from the serial log; OOM from the patterns above. */
const RECORD_EXIT = sh`oom=false
if grep -aEq ${MICROVM_OOM_PATTERNS.join("|")} app.log 2>/dev/null; then oom=true; fi
exit_code=null
signal=null
status=$(sed -n 's/.*microvm-init: app exited with status \\([0-9][0-9]*\\).*/\\1/p' app.log 2>/dev/null | head -n 1 || true)
if [ -n "$status" ]; then
  if [ "$status" -gt 128 ]; then signal="\\"$(kill -l $((status - 128)))\\""; else exit_code=$status; fi
fi
printf '{"exitCode":%s,"signal":%s,"oomKilled":%s}\\n' "$exit_code" "$signal" "$oom" > exit.json
mem_kb=$(sed -n 's/.*microvm-init: MemTotal: *\\([0-9][0-9]*\\) kB.*/\\1/p' app.log 2>/dev/null | head -n 1 || true)
printf '{"memTotalKb":%s}\\n' "\${mem_kb:-null}" > guest.json`;

function stopScript(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  return sh`${scriptHead(`microvm stop: ${ctx.instanceName}`, ctx.workDir)}
${oursFunction(ctx)}
touch app.log
# SIGTERM makes QEMU stop the guest and exit; the guest gets no say, as a container's init would not.
if ours; then kill -TERM "$pid" 2>/dev/null || true; fi
for _ in $(seq 1 100); do
  ours || break
  sleep 0.05
done
if ours; then kill -KILL "$pid" 2>/dev/null || true; fi
${RECORD_EXIT}
${shellLines([tapDown(ctx, vmnet)])}`;
}

function cleanupScript(ctx: InstanceContext, vmnet: VmnetSettings): Shell {
  return sh`${scriptHead(`microvm cleanup: ${ctx.instanceName}`, ctx.workDir)}
${oursFunction(ctx)}
if ours; then kill -KILL "$pid" 2>/dev/null || true; fi
for _ in $(seq 1 100); do
  ours || break
  sleep 0.02
done
${shellLines([tapDown(ctx, vmnet)])}exit 0
`;
}

/** The scripts of one instance; `vmnet` only matters in bridged mode (tests use their own). */
export function microvmScripts(ctx: InstanceContext, vmnet: VmnetSettings = DEFAULT_VMNET): InstanceScripts {
  assertContext(ctx);
  return {
    prepare: prepareScript(ctx, vmnet).text,
    start: startScript(ctx, vmnet).text,
    stop: stopScript(ctx, vmnet).text,
    cleanup: cleanupScript(ctx, vmnet).text,
  };
}

/** What checkAvailability found; null output means qemu could not be run. */
export interface MicrovmHostFacts {
  qemuVersionOutput: string | null;
  kvm: KvmProbe | null;
}

const EMULATION_HINT = "set allowEmulation to run under TCG (results are marked emulated)";

/** The verdict from the facts (pure, so it is testable without QEMU or KVM). */
export function microvmAvailability(host: MicrovmHostFacts, allowEmulation: boolean): Availability {
  const qemuVersion = /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(host.qemuVersionOutput ?? "")?.[1] ?? null;
  const facts: Availability["facts"] = { qemuVersion };
  if (host.qemuVersionOutput === null) return { ok: false, reason: `microvm: ${QEMU_X86} not installed`, facts };
  facts.kvmUsable = host.kvm?.usable ?? false;
  facts.kvmReason = host.kvm?.reason ?? null;
  if (host.kvm?.usable) return { ok: true, facts: { ...facts, accelerator: "kvm" } };
  const blocker = `microvm: KVM cannot be used: ${host.kvm?.reason ?? "not probed"}`;
  if (!allowEmulation)
    return { ok: false, reason: `${blocker}; ${EMULATION_HINT}`, facts: { ...facts, accelerator: null } };
  return { ok: true, facts: { ...facts, accelerator: "tcg" } };
}

async function gatherHostFacts(): Promise<MicrovmHostFacts> {
  try {
    const { stdout } = await run(QEMU_X86, ["--version"], { timeoutMs: 30_000 });
    return { qemuVersionOutput: stdout, kvm: await probeKvm({ cpu: "host" }) };
  } catch {
    return { qemuVersionOutput: null, kvm: null };
  }
}

/** Pids of the lab's microVM qemus: a qemu-system argv[0] with `-name edgelab-microvm.<instance>`. */
export function isLabQemu(argv: readonly string[]): boolean {
  if (!/qemu-system-/.test(argv[0] ?? "")) return false;
  const at = argv.indexOf("-name");
  return at >= 0 && (argv[at + 1] ?? "").startsWith(`${MICROVM_QEMU_MARK}.`);
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
 * End the lab microVM qemus of `runIds` (any run's when not given) and, once no lab VM runs on
 * the host any more, remove every lab tap and bridge (they are shared); returns what went.
 */
export async function cleanupMicrovmLeftovers(scope: { runIds?: readonly string[] } = {}): Promise<string[]> {
  const removed: string[] = [];
  const ofScope = (name: string) =>
    !scope.runIds || scope.runIds.some((runId) => isInstanceOfRun(name.slice(MICROVM_QEMU_MARK.length + 1), runId));
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

/** NAME=value words for the kernel command line: no spaces or quotes can travel there. */
function guestEnvironment(ctx: InstanceContext): string[] {
  return envAssignments(ctx.env).map((word) => {
    if (!/^[A-Za-z0-9_=.,:/+-]+$/.test(word))
      throw new Error(`microvm: ${word} cannot travel on the kernel command line`);
    return word;
  });
}

export const microvmPlatform: Platform = {
  name: "microvm",
  description: "Linux guest (Debian cloud kernel, lab-built initramfs) under QEMU q35 with virtio-net",
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
    return microvmAvailability(await gatherHostFacts(), allowEmulation);
  },
  scripts: (ctx) => microvmScripts(ctx),
  cleanupLeftovers: cleanupMicrovmLeftovers,
  host: {
    // The kernel is not installed: the build fetches its .deb with apt-get download (Debian's
    // linux-image-cloud-amd64; Ubuntu names its VM kernels differently, see KERNEL_METAPACKAGE).
    installScript:
      "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 busybox-static iproute2 util-linux",
    preflightScript: `${QEMU_X86} --version >/dev/null && test -x /bin/busybox && command -v ip >/dev/null && command -v flock >/dev/null && test -r /dev/kvm -a -w /dev/kvm`,
  },
};
