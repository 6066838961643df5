/**
 * The nanos scripts against real QEMU, with fixtures/fake-ops standing in for ops (not installable
 * here): pid discovery, pinning, the accelerator check, stop and cleanup. The guest is only the
 * firmware; what is under test is the host side of the scripts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { skipUnlessTool } from "../../core/testing/requirements";
import { testRunId } from "../../core/testing/runIds";
import { launchInstance, writeInstanceScripts } from "./instance";
import { probeKvm, QEMU_X86 } from "./kvm";
import { nanosPlatform, serialLogPath } from "./nanos";
import type { EnforcedLimits, InstanceContext } from "./types";

const work = mkdtempSync(join(tmpdir(), "nanos-int-"));
const bin = join(work, "bin");
mkdirSync(bin);
symlinkSync(join(__dirname, "fixtures", "fake-ops"), join(bin, "ops"));
after(() => rmSync(work, { recursive: true, force: true }));

function context(name: string, extra: Partial<InstanceContext>): InstanceContext {
  return {
    runtime: "go",
    resources: { cpus: 1, memoryMB: 64 },
    knobs: { cpuMode: "quota", nanosNetwork: "user" },
    artifact: "/root/.ops/images/edgelab-go-fake",
    workDir: join(work, name),
    instanceName: `edgelab-int-${name}-${process.pid}`,
    hostPort: 8080,
    bindAddress: "127.0.0.1",
    runId: testRunId("int"),
    cpuList: "0",
    allowEmulation: false,
    ...extra,
    env: extra.env ?? {},
  };
}

/** What the scripts see: the stand-in ops first on PATH, and whether it claims vmx/svm. */
function fakeOpsEnv(hv: "yes" | "no"): Record<string, string> {
  return { PATH: `${bin}:${process.env.PATH}`, FAKE_OPS_HOME: join(work, "ops"), FAKE_OPS_HV: hv };
}

function bash(script: string, hv: "yes" | "no") {
  const env = { ...process.env, ...fakeOpsEnv(hv) };
  return spawnSync("bash", [script], { env, encoding: "utf8", timeout: 60_000 });
}

/** prepare.sh then start.sh, as launchInstance runs them; the start result, or prepare's if it failed. */
function prepareAndStart(paths: { prepare: string; start: string }, hv: "yes" | "no") {
  const prepare = bash(paths.prepare, hv);
  assert.equal(prepare.status, 0, `prepare: ${prepare.stderr}`);
  return bash(paths.start, hv);
}

/** Run `body` with the stand-in ops in process.env (launchInstance's scripts inherit it), then restore it. */
async function withFakeOps<T>(hv: "yes" | "no", body: () => Promise<T>): Promise<T> {
  const changes = fakeOpsEnv(hv);
  const saved = Object.fromEntries(Object.keys(changes).map((key) => [key, process.env[key]]));
  Object.assign(process.env, changes);
  try {
    return await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Whether `pid` is still this instance's qemu (a finished pid may be reused or linger as a zombie). */
function vmRunning(pid: number, ctx: InstanceContext): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`file:${serialLogPath(ctx.instanceName)}`);
  } catch {
    return false;
  }
}

function readPid(ctx: InstanceContext): number {
  return Number(readFileSync(join(ctx.workDir, "instance.pid"), "utf8").trim());
}

function readLimits(ctx: InstanceContext): EnforcedLimits {
  return JSON.parse(readFileSync(join(ctx.workDir, "limits.json"), "utf8")) as EnforcedLimits;
}

describe("nanos scripts with QEMU and a stand-in ops", async () => {
  // A missing QEMU skips here with the reason printed, and fails in CI (which installs it).
  const qemuSkip = await skipUnlessTool(QEMU_X86, ["--version"], "apt-get install qemu-system-x86");
  const kvm = qemuSkip ? null : await probeKvm();
  // KVM is hardware, not a tool CI installs: without it the KVM case skips everywhere, saying why.
  const kvmSkip = qemuSkip || (kvm?.usable ? false : `needs a usable /dev/kvm: ${kvm?.reason ?? "not probed"}`);

  it("start a pinned VM on KVM, then stop it", { skip: kvmSkip }, () => {
    const ctx = context("kvm", { knobs: { cpuMode: "pinned", dockerNetwork: "nat", nanosNetwork: "user" } });
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    try {
      const start = prepareAndStart(paths, "yes");
      assert.equal(start.status, 0, start.stderr);
      const pid = readPid(ctx);
      assert.ok(vmRunning(pid, ctx));
      assert.equal(readLimits(ctx).accelerator, "kvm");
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const status = readFileSync(`/proc/${pid}/task/${task}/status`, "utf8");
        assert.match(status, /^Cpus_allowed_list:\s+0$/m, `thread ${task}`);
      }
      const stop = bash(paths.stop, "yes");
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(vmRunning(pid, ctx), false);
      assert.deepEqual(JSON.parse(readFileSync(join(ctx.workDir, "exit.json"), "utf8")), {
        exitCode: null,
        signal: null,
        oomKilled: false,
      });
      assert.equal(existsSync(serialLogPath(ctx.instanceName)), false);
    } finally {
      bash(paths.cleanup, "yes");
    }
  });

  it("refuse a VM that ends up without KVM", { skip: qemuSkip }, () => {
    const ctx = context("refused", {});
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    try {
      // As ops does on a CPU without vmx/svm: no accel option, so QEMU runs under TCG.
      const start = prepareAndStart(paths, "no");
      assert.equal(start.status, 1);
      assert.match(start.stderr, /runs without KVM; refusing to measure an emulated VM/);
      const pid = readPid(ctx);
      assert.equal(vmRunning(pid, ctx), false);
    } finally {
      bash(paths.cleanup, "no");
    }
  });

  it("run under TCG when emulation is allowed, and clean up by force", { skip: qemuSkip }, () => {
    const ctx = context("tcg", { accelerator: "tcg", allowEmulation: true });
    const paths = writeInstanceScripts(nanosPlatform.scripts(ctx), ctx.workDir);
    const start = prepareAndStart(paths, "no");
    assert.equal(start.status, 0, start.stderr);
    const pid = readPid(ctx);
    assert.equal(readLimits(ctx).accelerator, "tcg");
    const cleanup = bash(paths.cleanup, "no");
    assert.equal(cleanup.status, 0, cleanup.stderr);
    assert.equal(vmRunning(pid, ctx), false);
    assert.equal(existsSync(serialLogPath(ctx.instanceName)), false);
    assert.equal(bash(paths.cleanup, "no").status, 0);
  });

  it("launchInstance runs prepare, then start with probing allowed meanwhile, then stop", {
    skip: qemuSkip,
  }, async () => {
    const ctx = context("launch", { accelerator: "tcg", allowEmulation: true });
    await withFakeOps("no", async () => {
      const instance = await launchInstance(nanosPlatform, ctx);
      try {
        // prepare has finished by the time the clock starts; start owes nothing of it.
        assert.ok(existsSync(join(ctx.workDir, "config.json")));
        assert.equal(instance.probeDuringStart, true);
        assert.equal(instance.baseUrl, "http://127.0.0.1:8080");
        await instance.started;
        const pid = instance.pid();
        assert.ok(pid !== undefined && vmRunning(pid, ctx));
        assert.equal(pid, readPid(ctx));
        assert.equal(instance.isAlive(), true);
        assert.equal(readLimits(ctx).accelerator, "tcg");
        assert.deepEqual(await instance.stop(), { exitCode: null, signal: null, oomKilled: false });
        assert.equal(vmRunning(pid, ctx), false);
        assert.equal(existsSync(serialLogPath(ctx.instanceName)), false);
      } finally {
        await instance.cleanup();
      }
    });
  });
});
