import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { skipUnlessTool } from "../../core/testing/requirements";
import { KVM_DEVICE, kvmProbeArgs, parseQemuKvmError, probeKvm, QEMU_X86, runQmpProbe } from "./kvm";

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

  it("agrees with the captured QMP answers: KVM on in kvm-ok, off under TCG and after the fallback", () => {
    assert.match(captured("kvm-ok").stdout, /"enabled": true/);
    assert.match(captured("tcg-control").stdout, /"enabled": false/);
    assert.match(captured("ops-style-fallback").stdout, /"enabled": false/);
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

  it("gives a consistent verdict on this machine", async () => {
    const probe = await probeKvm();
    assert.equal(typeof probe.usable, "boolean");
    assert.equal(probe.detail.device, KVM_DEVICE);
    if (probe.usable) {
      assert.equal(probe.reason, null);
      assert.equal(probe.detail.kvmEnabled, true);
      assert.equal(probe.detail.vmStatus, "running");
    } else {
      assert.equal(typeof probe.reason, "string");
      assert.ok((probe.reason ?? "").length > 0);
    }
    process.stdout.write(`# probeKvm here: ${JSON.stringify(probe)}\n`);
  });

  it("speaks QMP correctly: under TCG the guest runs and KVM reports off (positive control)", async (t) => {
    const skip = await skipUnlessTool(QEMU_X86, ["--version"], "apt-get install qemu-system-x86");
    if (skip) {
      t.skip(skip);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "qmp-"));
    try {
      const debugcon = join(dir, "fw.log");
      const transcript = await runQmpProbe(QEMU_X86, kvmProbeArgs(debugcon, "tcg"), 300, 20_000);
      assert.equal(transcript.exitCode, 0);
      assert.equal(transcript.kvmEnabled, false);
      assert.equal(transcript.status, "running");
      assert.ok(existsSync(debugcon));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
