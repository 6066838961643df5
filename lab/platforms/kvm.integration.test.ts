import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { skipUnlessTool } from "../../core/testing/requirements";
import { judgeTrialBoot, kvmTrialArgs, QEMU_X86, runTrialBoot, trialKernel } from "./kvm";

describe("the trial boot itself", () => {
  it("boots the microVM kernel to its panic under TCG with the probe's own arguments (positive control)", async (t) => {
    const skip = await skipUnlessTool(QEMU_X86, ["--version"], "apt-get install qemu-system-x86");
    if (skip) {
      t.skip(skip);
      return;
    }
    let kernel: string;
    try {
      kernel = await trialKernel();
    } catch (error) {
      t.skip(`no guest kernel here: ${(error as Error).message}`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "kvm-trial-test-"));
    try {
      const consolePath = join(dir, "console.log");
      const args = kvmTrialArgs(kernel, consolePath, "max").map((a) => (a === "kvm" ? "tcg" : a));
      const boot = await runTrialBoot(QEMU_X86, args, consolePath, 60_000);
      assert.equal(boot.exitCode, 0, boot.stderr);
      assert.deepEqual(judgeTrialBoot(boot, { qemu: QEMU_X86, cpu: "max", timeoutMs: 60_000 }).usable, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
