import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { run } from "../../core/exec";
import { APP_PORT } from "../../core/model";
import { type Shell, sh, shellCode, shellHeredoc, shellLines } from "../../core/shell";
import { type OpsConfig, opsConfig } from "../../workloads/artifacts/nanos";
import { nanosRecipe } from "../../workloads/artifacts/recipes";
import { LAUNCH_STAMP_LINE } from "../clock";
import { type KvmProbe, probeKvm, QEMU_X86 } from "./kvm";
import { nanosHostInstall } from "./nanos/host";
import {
  detectAcceleratorLines,
  oomFromConsoleLines,
  pinAllThreadsLine,
  vmAccelerator,
  vmLimitsJsonLine,
} from "./qemuShell";
import { scriptHead } from "./shell";
import type { Availability, InstanceContext, InstanceScripts, Platform } from "./types";
import { DEFAULT_VMNET, tapDownLine, tapUpLine, vmnetGateway, vmTapName } from "./vmnet";

/** Nanos: `user` is QEMU user-mode (slirp) as the paper; `bridged` a tap on a host bridge. */
export const NANOS_NETWORKS = ["user", "bridged"] as const;

/** `ops version` prints "Ops version: 0.1.43" and "Nanos version: 0.1.54" (the local kernel, latest.txt). */
export function parseOpsVersion(output: string): { ops: string | null; nanos: string | null } {
  return {
    ops: /Ops version:\s*(\S+)/i.exec(output)?.[1] ?? null,
    nanos: /Nanos version:\s*(\S+)/i.exec(output)?.[1] ?? null,
  };
}

/** "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)" -> "7.2.19". */
export function parseQemuVersion(output: string): string | null {
  return /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1] ?? null;
}

/**
 * The flag ops looks for before it asks QEMU for KVM at all (qemu/hv_support_linux.go reads the
 * `flags` lines of /proc/cpuinfo for vmx or svm). Without one, ops passes no accel option and
 * QEMU runs under TCG even where /dev/kvm works (e.g. KVM provided by kvm_pvm in a VM).
 */
export function cpuVirtFlag(cpuinfo: string): "vmx" | "svm" | null {
  for (const line of cpuinfo.split("\n")) {
    const [key, value] = line.split(":");
    if (key?.trim() !== "flags" || value === undefined) continue;
    const flags = value.trim().split(/\s+/);
    if (flags.includes("vmx")) return "vmx";
    if (flags.includes("svm")) return "svm";
  }
  return null;
}

/** What checkAvailability found; null outputs mean the tool could not be run. */
export interface NanosHostFacts {
  opsVersionOutput: string | null;
  qemuVersionOutput: string | null;
  /** null when not probed (ops or qemu missing). */
  kvm: KvmProbe | null;
  cpuVirtFlag: "vmx" | "svm" | null;
}

const EMULATION_HINT = "set allowEmulation to run under TCG (results are marked emulated)";

/** The availability verdict from the facts, in the order ops, qemu, KVM (pure, so it is testable without them). */
export function nanosAvailability(host: NanosHostFacts, allowEmulation: boolean): Availability {
  const versions = parseOpsVersion(host.opsVersionOutput ?? "");
  const facts: Availability["facts"] = { opsVersion: versions.ops, nanosVersion: versions.nanos };
  if (host.opsVersionOutput === null) return { ok: false, reason: "nanos: ops not installed", facts };
  facts.qemuVersion = parseQemuVersion(host.qemuVersionOutput ?? "");
  if (host.qemuVersionOutput === null) return { ok: false, reason: `nanos: ${QEMU_X86} not installed`, facts };
  const kvm = host.kvm;
  facts.kvmUsable = kvm?.usable ?? false;
  facts.kvmReason = kvm?.reason ?? null;
  facts.cpuVirtFlag = host.cpuVirtFlag;
  let blocker: string | null = null;
  if (!kvm?.usable) {
    blocker = `nanos: KVM cannot be used: ${kvm?.reason ?? "not probed"}`;
  } else if (host.cpuVirtFlag === null) {
    blocker =
      "nanos: ops will not use KVM here: /proc/cpuinfo lists neither vmx nor svm, which ops requires before it asks QEMU for KVM (qemu/hv_support_linux.go), so QEMU would run under TCG";
  }
  if (blocker === null) return { ok: true, facts: { ...facts, accelerator: "kvm" } };
  if (!allowEmulation)
    return { ok: false, reason: `${blocker}; ${EMULATION_HINT}`, facts: { ...facts, accelerator: null } };
  return { ok: true, facts: { ...facts, accelerator: "tcg" } };
}

async function output(command: string, args: readonly string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(command, args, { timeoutMs: 60_000 });
    return `${stdout}${stderr}`;
  } catch {
    return null;
  }
}

function readCpuinfo(): string {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return "";
  }
}

export async function gatherNanosHostFacts(): Promise<NanosHostFacts> {
  const facts: NanosHostFacts = { opsVersionOutput: null, qemuVersionOutput: null, kvm: null, cpuVirtFlag: null };
  facts.opsVersionOutput = await output("ops", ["version"]);
  if (facts.opsVersionOutput === null) return facts;
  facts.qemuVersionOutput = await output(QEMU_X86, ["--version"]);
  if (facts.qemuVersionOutput === null) return facts;
  // ops ends up passing -cpu max (qemu/qemu_unix.go): the trial boots with the same model.
  facts.kvm = await probeKvm({ cpu: "max" });
  facts.cpuVirtFlag = cpuVirtFlag(readCpuinfo());
  return facts;
}

/**
 * What Nanos prints to the serial console when guest memory runs out, and what the runtimes print
 * when the guest kernel refuses them memory. Matched against the serial log (app.log) at stop.
 * Nanos 0.1.54 (nanovms/nanos at that tag), as seen on real boots of the lab's apps
 * (fixtures/nanos-0.1.54-serial-*): src/unix/mmap.c:81 msg_err("page fill failed with %v")
 * printed as "page fill failed with (result:out of memory)" when a page fault finds no memory
 * (the app then gets SIGBUS), and src/unix/unix.c:145 "page fault: out of memory, program killed"
 * (10 such faults within a second: SIGKILL); src/unix/unix.c:238 halts the kernel with "cannot
 * get physical page for vaddr ..., ctx ...; OOM" (copy-on-write). Older kernels: "out of memory
 * in multiple page faults". Go: runtime/mem_linux.go throw("runtime: out of memory") and
 * malloc.go throw("out of memory"), printed as "fatal error: ...". Node/V8: api.cc "Allocation
 * failed - process out of memory" (the OS refused memory; V8's own heap limit says "JavaScript
 * heap out of memory" instead). Patterns are POSIX ERE and JavaScript regexps alike.
 */
export const NANOS_OOM_PATTERNS: readonly string[] = [
  "page fill failed with \\(result:out of memory\\)",
  "page fault: out of memory, program killed",
  "cannot get physical page.*OOM",
  "out of memory in multiple page faults",
  "fatal error: (runtime: )?out of memory",
  "Allocation failed - process out of memory",
];

export function serialLogShowsOom(log: string): boolean {
  return NANOS_OOM_PATTERNS.some((pattern) => new RegExp(pattern).test(log));
}

/** ops runs background instances with `-serial file:/tmp/<instance>.log` (qemu/qemu_unix.go). */
export function serialLogPath(instanceName: string): string {
  return `/tmp/${instanceName}.log`;
}

/** A tap name for bridged mode: the lab's own (vmnet), so its leftover sweep knows it. */
export function tapName(instanceName: string): string {
  return vmTapName(instanceName);
}

/** Replaced in config.json by the address prepare leased for the guest on the lab's bridge. */
const GUEST_ADDRESS_PLACEHOLDER = "@GUEST_ADDRESS@";

const acceleratorOf = (ctx: InstanceContext) => vmAccelerator("nanos", ctx);

function assertNanosContext(ctx: InstanceContext): void {
  // The name is ops' instance name, the file name of the serial log in /tmp and a JSON string ops lists.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ctx.instanceName)) {
    throw new Error(`nanos: instance name ${JSON.stringify(ctx.instanceName)} must be letters, digits, _ . -`);
  }
  if (ctx.artifact === "") throw new Error("nanos: the artifact (the ops image) is empty (build it with ops first)");
}

/**
 * config.json for one instance. Accel false is how ops is told to use TCG (it then passes no
 * accel option). User-mode networking: ops turns each Ports entry into `hostfwd=tcp::A-:B`, with
 * "A-B" meaning host A to guest B (qemu/qemu_components.go portfwd), so a host port other than
 * 8080 is written as "<hostPort>-8080". It goes in the config and not in `-p`, because `-p`
 * appends to the config's Ports and 8080 would then be forwarded as well.
 */
export function nanosInstanceConfig(ctx: InstanceContext): OpsConfig {
  const network = ctx.knobs.nanosNetwork === "bridged" ? "bridged" : "user";
  // Bridged: the lab's own bridge and a tap per instance (lab/platforms/vmnet, shared with the
  // microVM); the guest's address is leased by prepare and written into the config there.
  const config = opsConfig({
    cpus: ctx.resources.cpus,
    memoryMB: ctx.resources.memoryMB,
    network,
    accel: acceleratorOf(ctx) === "kvm",
    ...(network === "bridged"
      ? {
          bridgeName: ctx.bridgeName ?? DEFAULT_VMNET.bridge,
          tapName: tapName(ctx.instanceName),
          ipAddress: GUEST_ADDRESS_PLACEHOLDER,
          gateway: vmnetGateway(DEFAULT_VMNET),
          netMask: "255.255.255.0",
        }
      : {}),
    env: ctx.env,
  });
  if (network === "user" && ctx.hostPort !== APP_PORT) config.RunConfig.Ports = [`${ctx.hostPort}-${APP_PORT}`];
  return config;
}

/**
 * `ops instance create` for the onprem target. No --nanos-version: on x86 the kernel is inside
 * the image's disk (ops build pinned it) and instance create passes no -kernel to QEMU.
 */
export function opsCreateArgs(ctx: InstanceContext): string[] {
  return ["instance", "create", basename(ctx.artifact), "-c", "config.json", "-i", ctx.instanceName, "-t", "onprem"];
}

function networkDescription(ctx: InstanceContext): string {
  if (ctx.knobs.nanosNetwork === "bridged") {
    return `bridged: tap ${tapName(ctx.instanceName)} on ${ctx.bridgeName ?? DEFAULT_VMNET.bridge}, the guest reached on its own address`;
  }
  // ops gives slirp no host address, so the forward listens on every host address.
  return `user-mode (slirp) port forward, host *:${ctx.hostPort} -> guest ${APP_PORT}`;
}

/** limits.json, with the accelerator filled in by the script from what qemu actually opened. */
function limitsLines(ctx: InstanceContext): Shell {
  const { cpus, memoryMB } = ctx.resources;
  const pinned = ctx.knobs.cpuMode === "pinned";
  return vmLimitsJsonLine({
    cpu: {
      requested: cpus,
      enforced: true,
      how: `-smp ${cpus} (vCPUs)${pinned ? ` + taskset -a -c ${ctx.cpuList}` : ""}`,
    },
    memoryMB: { requested: memoryMB, enforced: true, how: `qemu -m ${memoryMB}M` },
    network: networkDescription(ctx),
  });
}

/** Shell: `ours` is true while instance.pid names this instance's qemu (guards against pid reuse). */
function oursFunction(serial: string): Shell {
  return sh`pid=$(cat instance.pid 2>/dev/null || true)
serial=${serial}
ours() { [ -n "$pid" ] && grep -qaF -- "file:$serial" "/proc/$pid/cmdline" 2>/dev/null; }`;
}

function tapCleanupLine(ctx: InstanceContext): Shell | false {
  // ops' instance delete leaves the tap behind: the lab removes it, and the bridge once empty.
  return ctx.knobs.nanosNetwork === "bridged" && tapDownLine(DEFAULT_VMNET, tapName(ctx.instanceName));
}

/** Bridged only: the lab's bridge and this instance's tap, and the leased address in config.json and endpoint. */
function bridgedAddressLines(ctx: InstanceContext): Shell | false {
  return (
    ctx.knobs.nanosNetwork === "bridged" &&
    sh`# The lab's bridge and this instance's tap; the guest is reached on its own address, on the app's port.
${tapUpLine(DEFAULT_VMNET, tapName(ctx.instanceName), "guest.address")}sed -i "s/${shellCode(GUEST_ADDRESS_PLACEHOLDER)}/$(cat guest.address)/" config.json
printf '%s:%s\\n' "$(cat guest.address)" ${APP_PORT} > endpoint
`
  );
}

function prepareScript(ctx: InstanceContext): Shell {
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`nanos prepare: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB`, ctx.workDir)}
rm -f instance.pid instance.pid.tmp exit.json limits.json app.log oom.line qemu.cmdline
if ! command -v ops >/dev/null 2>&1; then
  echo "nanos: ops not installed" >&2
  exit 1
fi
rm -f ${serialLogPath(ctx.instanceName)} guest.address endpoint
cat > config.json ${shellHeredoc(JSON.stringify(nanosInstanceConfig(ctx), null, 2), "CONFIG")}
${shellLines([bridgedAddressLines(ctx)])}`;
}

/** `ops instance create`, under taskset when pinned: qemu and every thread it starts are born on the pinned cores. */
function launchCommand(ctx: InstanceContext): Shell {
  const taskset = ctx.knobs.cpuMode === "pinned" && sh`taskset -c ${ctx.cpuList}`;
  return shellLines([taskset, sh`ops ${opsCreateArgs(ctx)}`], " ");
}

/** KVM expected: a qemu that runs without it is deleted rather than measured. */
function refuseEmulationLines(accelerator: "kvm" | "tcg"): Shell | false {
  return (
    accelerator === "kvm" &&
    sh`if [ "$accel" != kvm ]; then
  # QEMU falls back to TCG silently, and ops asks for KVM only when /proc/cpuinfo lists vmx or svm.
  cmdline=$(tr '\\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" || true)
  echo "nanos: qemu $pid runs without KVM; refusing to measure an emulated VM (set allowEmulation to accept TCG)" >&2
  echo "qemu command line: $cmdline (ops output in ops-create.log)" >&2
  ops instance delete "$name" > /dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
  exit 1
fi
`
  );
}

function startScript(ctx: InstanceContext): Shell {
  const accelerator = acceleratorOf(ctx);
  const pinned = ctx.knobs.cpuMode === "pinned";
  const { cpus, memoryMB } = ctx.resources;
  return sh`${scriptHead(`nanos start: ${ctx.runtime}, ${cpus} CPU, ${memoryMB} MB, ${accelerator}`, ctx.workDir)}
name=${ctx.instanceName}
serial=${serialLogPath(ctx.instanceName)}
# ops starts qemu in the background and exits. qemu inherits ops's stdout and stderr: they go to
# a file, because a pipe would stay open for as long as the VM runs.
${shellCode(LAUNCH_STAMP_LINE)}
if ! ${launchCommand(ctx)} > ops-create.log 2>&1 < /dev/null; then
  echo "nanos: ops instance create failed:" >&2
  cat ops-create.log >&2
  exit 1
fi
# The qemu pid is the ID of the object named $name in \`ops instance list --json\`: one JSON
# line whose objects hold no nested braces, so splitting on "{" gives one object per line.
pid=$(ops instance list --json 2>/dev/null | tr '{' '\\n' | grep -F "\\"Name\\":\\"$name\\"" \\
  | sed -n 's/.*"ID":"\\([0-9][0-9]*\\)".*/\\1/p' | head -n 1 || true)
# Fallback should the listing format differ: qemu is the process whose serial file is ours.
if [ -z "$pid" ] && command -v pgrep >/dev/null 2>&1; then
  pid=$(pgrep -f -- "file:$serial" | head -n 1 || true)
fi
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "nanos: the VM of $name is not running after ops instance create" >&2
  cat ops-create.log >&2
  if [ -f "$serial" ]; then tail -n 20 "$serial" >&2; fi
  exit 1
fi
echo "$pid" > instance.pid.tmp && mv instance.pid.tmp instance.pid
# The exact QEMU command line ops gave the VM, one argument per line (the report sets it beside the others).
tr '\\0' '\\n' < "/proc/$pid/cmdline" > qemu.cmdline 2>/dev/null || true
${shellLines([pinned && pinAllThreadsLine(ctx.cpuList), detectAcceleratorLines(accelerator, shellCode('kill -0 "$pid" 2>/dev/null')), refuseEmulationLines(accelerator), limitsLines(ctx)], "")}ln -sf "$serial" app.log
`;
}

function stopScript(ctx: InstanceContext): Shell {
  return sh`${scriptHead(`nanos stop: ${ctx.instanceName}`, ctx.workDir)}
${oursFunction(serialLogPath(ctx.instanceName))}
# A unikernel gets no SIGTERM: ops instance delete kills qemu (SIGKILL) and forgets the instance.
if command -v ops >/dev/null 2>&1; then ops instance delete ${ctx.instanceName} > ops-delete.log 2>&1 || true; fi
for _ in $(seq 1 100); do
  ours || break
  sleep 0.05
done
if ours; then kill -KILL "$pid" 2>/dev/null || true; fi
# The serial console is what the app printed; keep a copy and remove the log from /tmp.
if [ -f "$serial" ]; then
  rm -f app.log
  cp "$serial" app.log
  rm -f "$serial"
elif [ ! -f app.log ] || [ -L app.log ]; then
  rm -f app.log
  : > app.log
fi
${oomFromConsoleLines(NANOS_OOM_PATTERNS)}# The guest's exit status is not observable (qemu is no child of ours): exitCode stays null.
printf '{"exitCode":null,"signal":null,"oomKilled":%s}\\n' "$oom" > exit.json
${shellLines([tapCleanupLine(ctx)])}`;
}

function cleanupScript(ctx: InstanceContext): Shell {
  return sh`${scriptHead(`nanos cleanup: ${ctx.instanceName}`, ctx.workDir)}
${oursFunction(serialLogPath(ctx.instanceName))}
if ours; then kill -KILL "$pid" 2>/dev/null || true; fi
if command -v ops >/dev/null 2>&1; then ops instance delete ${ctx.instanceName} > /dev/null 2>&1 || true; fi
if [ -f "$serial" ]; then
  # stop never ran: keep what the app printed before the log goes
  if [ ! -f app.log ] || [ -L app.log ]; then
    rm -f app.log
    cp "$serial" app.log 2>/dev/null || true
  fi
  rm -f "$serial"
fi
${shellLines([tapCleanupLine(ctx)])}exit 0
`;
}

export const nanosPlatform: Platform = {
  name: "nanos",
  description: "the Nanos unikernel under QEMU, made and run by ops (the paper's unikernel)",
  class: { kernel: "own", isolation: "vm" },
  knobs: {
    nanosNetwork: {
      values: NANOS_NETWORKS,
      default: "user",
      description: "user: QEMU user-mode (slirp) with a port forward, as the paper; bridged: a tap on a host bridge",
    },
  },
  sharedKnobs: ["cpuMode"],
  artifact: nanosRecipe,
  ports: "app",
  startCostS: 1.5,
  // ops, the Nanos kernel and ops' common files, at the revision's locked versions (nanos/host.ts).
  host: nanosHostInstall,
  probeDuringStart: true,
  async checkAvailability({ allowEmulation }): Promise<Availability> {
    return nanosAvailability(await gatherNanosHostFacts(), allowEmulation);
  },
  scripts(ctx): InstanceScripts {
    assertNanosContext(ctx);
    return {
      prepare: prepareScript(ctx).text,
      start: startScript(ctx).text,
      stop: stopScript(ctx).text,
      cleanup: cleanupScript(ctx).text,
    };
  },
};
