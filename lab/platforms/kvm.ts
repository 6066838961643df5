import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const KVM_DEVICE = "/dev/kvm";
export const QEMU_X86 = "qemu-system-x86_64";

export interface KvmProbe {
  usable: boolean;
  /** Why KVM cannot run guests here; null when it can. */
  reason: string | null;
  /** What was checked and seen, for the run manifest. */
  detail: Record<string, string | boolean | null>;
}

export interface KvmProbeOptions {
  /** The device checked for existence and access (QEMU itself always opens /dev/kvm). */
  device?: string;
  qemu?: string;
  /** How long the guest runs before QEMU is asked for its state. */
  settleMs?: number;
  timeoutMs?: number;
}

/**
 * What QEMU prints when KVM cannot be used, as captured on this host (fixtures/qemu-kvm-probe.json)
 * plus the KVM_RUN failures QEMU reports from accel/kvm (entry or internal errors).
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
  /falling back to tcg/i,
];

/** QEMU's own words on why KVM failed ("; "-joined, program prefix dropped), or null when it names no KVM failure. */
export function parseQemuKvmError(stderr: string): string | null {
  const lines = stderr
    .split("\n")
    .map((line) => line.replace(/^[\w./-]*qemu-system-[\w-]+:\s*/, "").trim())
    .filter((line) => KVM_ERROR_LINES.some((re) => re.test(line)));
  return lines.length > 0 ? lines.join("; ") : null;
}

/**
 * QEMU with one vCPU on KVM and nothing but the firmware to run. `-machine none` is not enough:
 * it opens /dev/kvm and creates the VM but never a vCPU, so hosts that fail at KVM_CREATE_VCPU
 * or KVM_RUN would pass. The firmware writes to the debug console, which shows guest code ran.
 * `-cpu max` is what ops ends up passing (its `-cpu host` is overridden by a later `-cpu max`).
 */
export function kvmProbeArgs(debugconPath: string, accel: "kvm" | "tcg" = "kvm"): string[] {
  return [
    ...["-machine", `q35,accel=${accel}`, "-cpu", "max", "-smp", "1", "-m", "16"],
    ...["-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none", "-serial", "none"],
    ...["-chardev", `file,id=fw,path=${debugconPath}`, "-device", "isa-debugcon,iobase=0x402,chardev=fw"],
    ...["-qmp", "stdio"],
  ];
}

export interface QmpTranscript {
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  kvmEnabled: boolean | null;
  status: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Talk QMP over stdio: wait for the greeting, query KVM, let the guest run `settleMs`, then ask
 * for the run state and quit. A vCPU that KVM cannot run stops the VM in "internal-error".
 */
export function runQmpProbe(qemu: string, args: string[], settleMs: number, timeoutMs: number): Promise<QmpTranscript> {
  return new Promise((resolve) => {
    const result: QmpTranscript = { exitCode: null, stderr: "", timedOut: false, kvmEnabled: null, status: null };
    const child = spawn(qemu, args, { stdio: ["pipe", "pipe", "pipe"] });
    let buffered = "";
    let greeted = false;
    let settle: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      result.timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const send = (command: string) => child.stdin.write(`${JSON.stringify({ execute: command })}\n`);
    const onMessage = (message: Record<string, unknown>) => {
      if ("QMP" in message && !greeted) {
        greeted = true;
        send("qmp_capabilities");
        send("query-kvm");
        return;
      }
      const value = message.return;
      if (!isRecord(value)) return;
      if (typeof value.enabled === "boolean") {
        result.kvmEnabled = value.enabled;
        settle = setTimeout(() => {
          send("query-status");
          send("quit");
        }, settleMs);
      } else if (typeof value.status === "string") {
        result.status = value.status;
      }
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
        try {
          const parsed: unknown = JSON.parse(line);
          if (isRecord(parsed)) onMessage(parsed);
        } catch {
          // not a QMP line (QEMU prints nothing else on stdout; ignore defensively)
        }
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (result.stderr.length < 64 * 1024) result.stderr += chunk;
    });
    child.stdin.on("error", () => undefined); // QEMU may exit before reading what was written
    child.on("error", (error) => {
      result.stderr += `${error.message}\n`;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (settle) clearTimeout(settle);
      result.exitCode = code;
      resolve(result);
    });
  });
}

function qemuInstalled(qemu: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(qemu, ["--version"], { stdio: "ignore" });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
}

function firstLine(text: string): string | null {
  return text.split("\n").find((line) => line.trim() !== "") ?? null;
}

/**
 * Whether KVM can run a guest on this host. /dev/kvm existing is not enough: some hosts expose
 * it and still cannot create or run a VM, and QEMU asked for `accel=kvm:tcg` (what ops passes)
 * then falls back to TCG silently. So the probe starts a real one-vCPU VM on KVM only.
 */
export async function probeKvm(options: KvmProbeOptions = {}): Promise<KvmProbe> {
  const device = options.device ?? KVM_DEVICE;
  const qemu = options.qemu ?? QEMU_X86;
  const detail: Record<string, string | boolean | null> = { device, deviceExists: existsSync(device) };
  if (!detail.deviceExists) {
    return {
      usable: false,
      reason: `${device} does not exist (no hardware virtualisation or no kvm module)`,
      detail,
    };
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
  const dir = mkdtempSync(join(tmpdir(), "kvm-probe-"));
  try {
    const debugcon = join(dir, "firmware.log");
    const transcript = await runQmpProbe(
      qemu,
      kvmProbeArgs(debugcon),
      options.settleMs ?? 500,
      options.timeoutMs ?? 20_000,
    );
    const firmware = existsSync(debugcon) ? readFileSync(debugcon, "utf8") : "";
    detail.qemuExitCode = transcript.exitCode === null ? null : String(transcript.exitCode);
    detail.kvmEnabled = transcript.kvmEnabled;
    detail.vmStatus = transcript.status;
    // Informational: not every firmware build prints on the debug console.
    detail.guestRan = firmware.length > 0;
    detail.firmwareFirstLine = firstLine(firmware);
    detail.qemuStderr = firstLine(transcript.stderr);
    const qemuSays = parseQemuKvmError(transcript.stderr);
    if (transcript.timedOut) {
      return { usable: false, reason: `${qemu} did not answer QMP within ${options.timeoutMs ?? 20_000} ms`, detail };
    }
    if (transcript.exitCode !== 0 || transcript.kvmEnabled !== true) {
      const why = qemuSays ?? firstLine(transcript.stderr) ?? `exit code ${transcript.exitCode}`;
      return { usable: false, reason: `${qemu} could not start a KVM guest: ${why}`, detail };
    }
    if (transcript.status !== "running") {
      const why = qemuSays ?? `the guest stopped in state "${transcript.status}"`;
      return { usable: false, reason: `a KVM guest could not run: ${why}`, detail };
    }
    return { usable: true, reason: null, detail };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
