/**
 * Shell shared by the platforms that run QEMU: which accelerator the running
 * qemu really uses, and pinning every one of its threads. Both expect `$pid` to be qemu's pid.
 */

import { type Shell, sh, shellCode } from "../../core/shell";
import { writeJsonLines } from "./shell";
import type { EnforcedLimits, InstanceContext } from "./types";

/**
 * Sets `accel` to kvm or tcg from what qemu has open: a KVM guest shows up as an
 * anon_inode:kvm-vm descriptor. KVM is opened within milliseconds of qemu starting, so when KVM
 * is expected it waits up to 5 s for it; under TCG it looks once. `stillRunning` is a shell
 * condition that is false once qemu is gone.
 */
export function detectAcceleratorLines(expected: "kvm" | "tcg", stillRunning: Shell): Shell {
  const polls = expected === "kvm" ? 100 : 1;
  return sh`# The accelerator in use: a KVM guest shows up as an anon_inode:kvm-vm descriptor of qemu.
has_kvm_vm() { [ -n "$(find "/proc/$pid/fd" -maxdepth 1 -lname 'anon_inode:kvm-vm' -print -quit 2>/dev/null)" ]; }
accel=tcg
for _ in $(seq 1 ${polls}); do
  if has_kvm_vm; then accel=kvm; break; fi
  ${stillRunning} || break
  sleep 0.05
done
`;
}

/** Re-pins every existing qemu thread (vCPUs, I/O, slirp) in case anything moved them. */
export function pinAllThreadsLine(cpuList: string): Shell {
  return sh`# Re-applied to every existing thread (vCPUs, I/O, slirp) in case anything moved them.
taskset -a -p -c ${cpuList} "$pid" > /dev/null
`;
}

/**
 * The accelerator a VM instance runs under: KVM unless the availability check found only TCG, and
 * TCG only with allowEmulation, so an emulated VM can never pass for a KVM one.
 */
export function vmAccelerator(platform: string, ctx: InstanceContext): "kvm" | "tcg" {
  const accelerator = ctx.accelerator ?? "kvm";
  if (accelerator === "tcg" && !ctx.allowEmulation) {
    throw new Error(
      `${platform}: accelerator tcg (emulation) needs allowEmulation; results would otherwise pass as KVM`,
    );
  }
  return accelerator;
}

/** The line writing limits.json for a VM: what was enforced, and the accelerator the script found ($accel). */
export function vmLimitsJsonLine(limits: Omit<EnforcedLimits, "accelerator">): Shell {
  const record: EnforcedLimits = { ...limits, accelerator: "@ACCEL@" };
  const format = JSON.stringify(record).replaceAll("\\", "\\\\").replaceAll("%", "%%").replace('"@ACCEL@"', '"%s"');
  return writeJsonLines("limits.json", format, [shellCode('"$accel"')]);
}

/** The file a VM's stop script leaves with the console line that showed memory ran out. */
export const OOM_LINE_FILE = "oom.line";

/**
 * Sets `oom` to true or false from the serial console (app.log) and keeps the first line that
 * matched in oom.line: the cell's reason quotes it, so a reader sees what the guest said.
 */
export function oomFromConsoleLines(patterns: readonly string[]): Shell {
  return sh`oom=false
rm -f ${OOM_LINE_FILE}
if grep -aE -m 1 ${patterns.join("|")} app.log > ${OOM_LINE_FILE} 2>/dev/null; then oom=true; else rm -f ${OOM_LINE_FILE}; fi
`;
}
