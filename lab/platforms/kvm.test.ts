import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hasControlCharacters } from "../../core/text";
import { judgeTrialBoot, KVM_DEVICE, parseQemuKvmError, probeKvm, QEMU_X86 } from "./kvm";

interface CapturedCase {
  name: string;
  exitCode: number;
  stderr: string;
  stdout: string;
}

/** QEMU 7.2 output captured on the dev host; see the file's `how` fields for each condition. */
const fixture = JSON.parse(readFileSync(join(__dirname, "fixtures", "qemu-kvm-probe.json"), "utf8")) as {
  cases: CapturedCase[];
};

/** QEMU output and guest consoles of trial boots, captured on a kvm_pvm host (fixtures/kvm-trial). */
function trialFixture(name: string): string {
  return readFileSync(join(__dirname, "fixtures", "kvm-trial", name), "latin1");
}

function captured(name: string): CapturedCase {
  const found = fixture.cases.find((c) => c.name === name);
  if (!found) throw new Error(`fixture case ${name} missing`);
  return found;
}

describe("parseQemuKvmError (messages captured from QEMU 7.2)", () => {
  it("names the access failure of a user outside the kvm group", () => {
    assert.equal(
      parseQemuKvmError(captured("permission-denied").stderr),
      "Could not access KVM kernel module: Permission denied; failed to initialize kvm: Permission denied",
    );
  });

  it("names a missing /dev/kvm", () => {
    assert.equal(
      parseQemuKvmError(captured("no-device").stderr),
      "Could not access KVM kernel module: No such file or directory; failed to initialize kvm: No such file or directory",
    );
  });

  it("names a /dev/kvm that is not a KVM device", () => {
    assert.equal(
      parseQemuKvmError(captured("not-a-kvm-device").stderr),
      "kvm version too old; failed to initialize kvm: Inappropriate ioctl for device",
    );
  });

  it("sees the silent fallback of accel=kvm:tcg (exit 0, what ops passes)", () => {
    const fallback = captured("ops-style-fallback");
    assert.equal(fallback.exitCode, 0);
    assert.match(parseQemuKvmError(fallback.stderr) ?? "", /falling back to tcg$/);
  });

  it("finds nothing when KVM worked or was not asked for", () => {
    assert.equal(parseQemuKvmError(captured("kvm-ok").stderr), null);
    assert.equal(parseQemuKvmError(captured("tcg-control").stderr), null);
    assert.equal(
      parseQemuKvmError(
        "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni [bit 0]\n",
      ),
      null,
    );
  });

  it("recognises KVM_RUN failures reported once a vCPU runs", () => {
    assert.equal(
      parseQemuKvmError("KVM internal error. Suberror: 1\nemulation failure\n"),
      "KVM internal error. Suberror: 1",
    );
    assert.equal(
      parseQemuKvmError("error: kvm run failed Invalid argument\n"),
      "error: kvm run failed Invalid argument",
    );
  });

  it("names the MSR failure that aborts QEMU at once on a kvm_pvm host (-cpu host or max)", () => {
    assert.equal(
      parseQemuKvmError(trialFixture("cpu-host-msr-abort.stderr")),
      "error: failed to set MSR 0x10a to 0x69",
    );
  });
});

describe("probeKvm", () => {
  it("says why when the device does not exist", async () => {
    const probe = await probeKvm({ device: "/nonexistent/kvm" });
    assert.equal(probe.usable, false);
    assert.equal(probe.reason, "/nonexistent/kvm does not exist (no hardware virtualisation or no kvm module)");
  });

  it("says so when QEMU is not installed", async () => {
    // /dev/null stands in for a readable and writable device.
    const probe = await probeKvm({ device: "/dev/null", qemu: "qemu-system-not-installed" });
    assert.equal(probe.usable, false);
    assert.equal(probe.reason, "qemu-system-not-installed not installed: cannot check that /dev/null can run guests");
  });

  it("gives a consistent verdict on this machine, in words and without control characters", async () => {
    const probe = await probeKvm();
    assert.equal(typeof probe.usable, "boolean");
    assert.equal(probe.detail.device, KVM_DEVICE);
    if (probe.usable) {
      assert.equal(probe.reason, null);
      assert.equal(probe.detail.qemuExitCode, 0);
    } else {
      assert.ok((probe.reason ?? "").length > 0);
      assert.equal(hasControlCharacters(probe.reason ?? ""), false);
    }
    assert.equal(await probeKvm(), probe, "asked again in the same run, it answers from memory");
    process.stdout.write(`# probeKvm here: ${JSON.stringify(probe)}\n`);
  });
});

describe("judgeTrialBoot (consoles and QEMU output captured on this fleet)", () => {
  const context = { qemu: QEMU_X86, cpu: "host" as const, timeoutMs: 10_000 };
  it("a guest that ran its kernel to the panic proves KVM (the console of the same kernel under TCG)", () => {
    const boot = {
      exitCode: 0,
      stderr: "",
      timedOut: false,
      elapsedMs: 900,
      console: trialFixture("tcg-panic.console"),
    };
    assert.deepEqual(judgeTrialBoot(boot, context), { usable: true, reason: null });
  });

  it("a guest that hangs after the firmware is no KVM, said in words (SeaBIOS's escapes gone)", () => {
    const console = readFileSync(
      join(__dirname, "..", "..", "core", "fixtures", "seabios-serial-kvm-hang.txt"),
      "latin1",
    );
    const verdict = judgeTrialBoot({ exitCode: null, stderr: "", timedOut: true, elapsedMs: 10_000, console }, context);
    assert.equal(verdict.usable, false);
    assert.equal(
      verdict.reason,
      '/dev/kvm opens, but a Linux guest did not boot under -accel kvm -cpu host within 10 s (its console stopped at "Booting from ROM...")',
    );
  });

  it("a QEMU that aborts at once is no KVM, with QEMU's own words", () => {
    const stderr = trialFixture("cpu-host-msr-abort.stderr");
    const verdict = judgeTrialBoot({ exitCode: null, stderr, timedOut: false, elapsedMs: 40, console: "" }, context);
    assert.equal(
      verdict.reason,
      "/dev/kvm opens, but qemu-system-x86_64 -accel kvm -cpu host could not run a guest: error: failed to set MSR 0x10a to 0x69",
    );
  });

  it("a guest that reset before its kernel ran is no KVM", () => {
    const boot = { exitCode: 0, stderr: "", timedOut: false, elapsedMs: 300, console: "SeaBIOS (version 1.16.2)\r\n" };
    assert.match(judgeTrialBoot(boot, context).reason ?? "", /stopped before its kernel ran to its end/);
  });
});
