/**
 * Whether KVM can run the lab's guests here, decided by booting one. A /dev/kvm that opens is not
 * enough: on some machines of the fleet (Firecracker VMs with nested KVM from kvm_pvm, no vmx or
 * svm in /proc/cpuinfo) QEMU creates the VM and its vCPU, SeaBIOS runs, and every Linux guest then
 * hangs after "Probing EDD ... ok"; on others QEMU aborts at once ("failed to set MSR 0x10a").
 * So the probe boots a real Linux kernel under the exact accelerator and CPU model the platform
 * will use, with no root file system and `panic=-1 -no-reboot`: a KVM that runs guests gets it to
 * its "Kernel panic" (VFS: unable to mount root) and QEMU exits, in about a second. Once per
 * process (so once per run) for each CPU model.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { lastLinesExcerpt, oneLine } from "../../core/text";
import { kernelCacheDir } from "../../workloads/artifacts/microvm";
import { ensureKernel } from "../../workloads/artifacts/microvm/kernel";

export const KVM_DEVICE = "/dev/kvm";
export const QEMU_X86 = "qemu-system-x86_64";

/**
 * The CPU model a VM platform gives its guest under KVM: the lab's own VMM passes the host's
 * (microvm, nanos-direct); ops ends up passing `max` (its `-cpu host` is overridden by a later
 * `-cpu max`, qemu/qemu_unix.go).
 */
export type KvmCpuModel = "host" | "max";

export interface KvmProbe {
  usable: boolean;
  /** Why KVM cannot run guests here, in words; null when it can. */
  reason: string | null;
  /** What was checked and seen, for the run manifest. */
  detail: Record<string, string | number | boolean | null>;
}

export interface KvmProbeOptions {
  /** The device checked for existence and access (QEMU itself always opens /dev/kvm). */
  device?: string;
  qemu?: string;
  cpu?: KvmCpuModel;
  /** The guest kernel (a bzImage) to boot; default: trialKernel(). */
  kernel?: () => Promise<string>;
  /** How long the guest may take to reach its panic; under a working KVM it takes about a second. */
  timeoutMs?: number;
}

/**
 * What QEMU prints when KVM cannot be used, as captured on this fleet (fixtures/qemu-kvm-probe.json
 * and the MSR failure of kvm_pvm hosts) plus the KVM_RUN failures QEMU reports from accel/kvm.
 */
const KVM_ERROR_LINES: readonly RegExp[] = [
  /Could not access KVM kernel module/i,
  /failed to initiali[sz]e kvm/i,
  /kvm version too old/i,
  /ioctl\(KVM_CREATE_VM\) failed/i,
  /kvm_init_vcpu/i,
  /kvm run failed/i,
  /KVM internal error/i,
  /KVM: entry failed/i,
  /failed to set MSR/i,
  /falling back to tcg/i,
];

/** QEMU's own words on why KVM failed ("; "-joined, program prefix dropped), or null when it names no KVM failure. */
export function parseQemuKvmError(stderr: string): string | null {
  const lines = stderr
    .split("\n")
    .map((line) => oneLine(line.replace(/^[\w./-]*qemu-system-[\w-]+:\s*/, "")))
    .filter((line) => KVM_ERROR_LINES.some((re) => re.test(line)));
  return lines.length > 0 ? lines.join("; ") : null;
}

/** What a guest kernel prints when it ran to its end without a root file system (init/do_mounts.c, kernel/panic.c). */
const GUEST_PANIC = /Kernel panic - not syncing/;

/**
 * QEMU for the trial: one vCPU on KVM only (no `kvm:tcg`, which would fall back silently), the
 * platform's CPU model, and a kernel with no root to mount: it panics, and `panic=-1` with
 * `-no-reboot` makes QEMU exit.
 */
export function kvmTrialArgs(kernel: string, consolePath: string, cpu: KvmCpuModel): string[] {
  return [
    ...["-machine", "q35", "-accel", "kvm", "-cpu", cpu, "-smp", "1", "-m", "128M"],
    ...["-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-no-reboot"],
    ...["-serial", `file:${consolePath}`, "-kernel", kernel, "-append", "console=ttyS0 panic=-1 quiet"],
  ];
}

export interface TrialBoot {
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  elapsedMs: number;
  console: string;
}

/** Run QEMU until it exits or `timeoutMs` passes (then it is killed); what it printed and the guest's console. */
export function runTrialBoot(qemu: string, args: string[], consolePath: string, timeoutMs: number): Promise<TrialBoot> {
  return new Promise((resolve) => {
    const started = performance.now();
    let stderr = "";
    let timedOut = false;
    const child = spawn(qemu, args, { stdio: ["ignore", "ignore", "pipe"] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.on("error", (error) => {
      stderr += `${error.message}\n`;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        stderr,
        timedOut,
        elapsedMs: Math.round(performance.now() - started),
        console: existsSync(consolePath) ? readFileSync(consolePath, "latin1") : "",
      });
    });
  });
}

/** The verdict on one trial boot (pure: tested on captured output). */
export function judgeTrialBoot(
  boot: TrialBoot,
  context: { qemu: string; cpu: KvmCpuModel; timeoutMs: number },
): { usable: boolean; reason: string | null } {
  const how = `-accel kvm -cpu ${context.cpu}`;
  const lastLine = lastLinesExcerpt(boot.console, 1, 200);
  const seen = lastLine === "" ? "it printed nothing on its console" : `its console stopped at "${lastLine}"`;
  if (boot.timedOut) {
    return {
      usable: false,
      reason: `/dev/kvm opens, but a Linux guest did not boot under ${how} within ${context.timeoutMs / 1000} s (${seen})`,
    };
  }
  if (boot.exitCode !== 0) {
    const qemuSays = parseQemuKvmError(boot.stderr) ?? lastLinesExcerpt(boot.stderr, 2, 300);
    return {
      usable: false,
      reason: `/dev/kvm opens, but ${context.qemu} ${how} could not run a guest: ${qemuSays || `exit code ${boot.exitCode}`}`,
    };
  }
  if (!GUEST_PANIC.test(boot.console)) {
    return {
      usable: false,
      reason: `/dev/kvm opens, but a Linux guest under ${how} stopped before its kernel ran to its end (${seen})`,
    };
  }
  return { usable: true, reason: null };
}

/**
 * A Linux kernel to boot: the microVM's own (Debian's cloud kernel, fetched once into the build
 * folder), else the host's own /boot/vmlinuz-<release> (Ubuntu hosts, which have no Debian cloud
 * kernel package).
 */
export async function trialKernel(): Promise<string> {
  try {
    return (await ensureKernel(kernelCacheDir)).vmlinuz;
  } catch (error) {
    const own = `/boot/vmlinuz-${release()}`;
    try {
      accessSync(own, constants.R_OK);
      return own;
    } catch {
      throw new Error(
        `no Linux kernel to boot: the microVM's could not be fetched (${oneLine((error as Error).message).slice(0, 200)}) and ${own} is not readable`,
      );
    }
  }
}

const probes = new Map<string, Promise<KvmProbe>>();

/**
 * Whether KVM can run a guest here with the given CPU model: remembered for the process, so a run
 * probes once per CPU model however many platforms ask.
 */
export function probeKvm(options: KvmProbeOptions = {}): Promise<KvmProbe> {
  const key = JSON.stringify([options.device, options.qemu, options.cpu, options.timeoutMs, !!options.kernel]);
  let probe = probes.get(key);
  if (!probe) {
    probe = probeKvmOnce(options);
    probes.set(key, probe);
  }
  return probe;
}

async function probeKvmOnce(options: KvmProbeOptions): Promise<KvmProbe> {
  const device = options.device ?? KVM_DEVICE;
  const qemu = options.qemu ?? QEMU_X86;
  const cpu = options.cpu ?? "host";
  const timeoutMs = options.timeoutMs ?? 10_000;
  const detail: KvmProbe["detail"] = { device, deviceExists: existsSync(device), cpu };
  if (!detail.deviceExists) {
    return { usable: false, reason: `${device} does not exist (no hardware virtualisation or no kvm module)`, detail };
  }
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    detail.deviceReadWrite = true;
  } catch (error) {
    detail.deviceReadWrite = false;
    const code = (error as NodeJS.ErrnoException).code ?? "EACCES";
    return { usable: false, reason: `${device} is not readable and writable by this user (${code})`, detail };
  }
  if (!(await qemuInstalled(qemu))) {
    return { usable: false, reason: `${qemu} not installed: cannot check that ${device} can run guests`, detail };
  }
  let kernel: string;
  try {
    kernel = await (options.kernel ?? trialKernel)();
  } catch (error) {
    return {
      usable: false,
      reason: `${device} opens, but no guest could be booted to check it: ${oneLine((error as Error).message)}`,
      detail,
    };
  }
  detail.trialKernel = join(basename(dirname(kernel)), basename(kernel));
  const dir = mkdtempSync(join(tmpdir(), "kvm-trial-"));
  try {
    const consolePath = join(dir, "console.log");
    const boot = await runTrialBoot(qemu, kvmTrialArgs(kernel, consolePath, cpu), consolePath, timeoutMs);
    detail.trialBootMs = boot.elapsedMs;
    detail.qemuExitCode = boot.exitCode;
    detail.timedOut = boot.timedOut;
    detail.consoleLastLine = lastLinesExcerpt(boot.console, 1, 200) || null;
    detail.qemuStderr = lastLinesExcerpt(boot.stderr, 1, 200) || null;
    const verdict = judgeTrialBoot(boot, { qemu, cpu, timeoutMs });
    return { ...verdict, detail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function qemuInstalled(qemu: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(qemu, ["--version"], { stdio: "ignore" });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
}
