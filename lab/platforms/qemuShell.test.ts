import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { shellCode } from "../../core/shell";
import { detectAcceleratorLines, pinAllThreadsLine } from "./qemuShell";

describe("shell shared by the QEMU platforms", () => {
  it("reports tcg for a process without a kvm-vm descriptor, and stops waiting once it is gone", () => {
    // A process that is no qemu at all holds no anon_inode:kvm-vm: even when KVM is expected the
    // answer is tcg, and the wait ends as soon as the "still running" check fails.
    const script = `pid=$$\n${detectAcceleratorLines("kvm", shellCode("false"))}echo "$accel"\n`;
    const started = performance.now();
    const result = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "tcg\n");
    assert.ok(performance.now() - started < 2_000);
  });

  it("pins every thread of the process", () => {
    const script = `sleep 5 & pid=$!\n${pinAllThreadsLine("0")}grep Cpus_allowed_list "/proc/$pid/status"\nkill "$pid"\n`;
    const result = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Cpus_allowed_list:\s+0$/m);
  });
});
