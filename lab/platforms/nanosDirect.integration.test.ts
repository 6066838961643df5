/**
 * Nanos without ops for real: the lab makes both apps' images with the Nanos release's own mkfs
 * (found by workloads/artifacts/nanosRelease.ts: EDGELAB_NANOS_RELEASE or ops' folder) and boots
 * them under TCG through the platform's scripts. Skipped, with the reason, where no release is
 * here (CI has none). Boots are slow under TCG: three, each checked for everything it can show.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Runtime } from "../../core/model";
import { skipUnlessTool } from "../../core/testing/requirements";
import { type BuiltArtifact, buildInputs } from "../../workloads/artifacts/build";
import { buildNanosDirect, NANOS_DIRECT_FILES } from "../../workloads/artifacts/nanosDirect";
import { findNanosRelease } from "../../workloads/artifacts/nanosRelease";
import { patternBytes, quickVerify, request } from "../../workloads/contract";
import { referenceDigest } from "../../workloads/reference";
import { loadRevision } from "../config/revision";
import { freePort } from "../ports";
import { waitForInstance } from "../ready";
import { classifyEnd } from "../runner/runCell";
import { launchInstance } from "./instance";
import { QEMU_X86 } from "./kvm";
import { labQemuName, labQemuPids } from "./labVm";
import { nanosDirectPlatform } from "./nanosDirect";
import { OOM_LINE_FILE } from "./qemuShell";
import type { InstanceContext } from "./types";

const revision = loadRevision("paper-2025");
const work = mkdtempSync(join(tmpdir(), "nanos-direct-it-"));
const images: Partial<Record<Runtime, BuiltArtifact>> = {};
const timings: string[] = [];

after(() => {
  for (const { pid, name } of labQemuPids()) if (name.includes("-ndit-")) process.kill(pid, "SIGKILL");
  rmSync(work, { recursive: true, force: true });
  if (timings.length > 0) process.stdout.write(`# ${timings.join("; ")}\n`);
});

let seq = 0;
async function context(runtime: Runtime, memoryMB: number, env: Record<string, string> = {}): Promise<InstanceContext> {
  const name = `edgelab-ndit-${runtime}-${process.pid}-${++seq}`;
  return {
    runtime,
    resources: { cpus: 1, memoryMB },
    knobs: { cpuMode: "quota", nanosDirectNetwork: "user" },
    env,
    artifact: images[runtime]?.ref ?? "",
    workDir: join(work, name),
    instanceName: name,
    hostPort: await freePort(),
    bindAddress: "127.0.0.1",
    runId: "ndit",
    cpuList: "0",
    allowEmulation: true,
    accelerator: "tcg",
  };
}

describe("Nanos on the lab's VMM, without ops (a real Nanos kernel under TCG)", { timeout: 600_000 }, async () => {
  const release = findNanosRelease(revision.versions.nanos);
  const skip =
    (typeof release === "string" ? release : null) ||
    (await skipUnlessTool(QEMU_X86, ["--version"], "apt-get install qemu-system-x86"));

  before(async () => {
    if (skip) return;
    const inputs = buildInputs(revision, join(work, "artifacts"));
    images.go = await buildNanosDirect("go", inputs);
    images.node = await buildNanosDirect("node", inputs);
  });

  it("makes each image with the release's mkfs from the manifest ops would write", { skip }, () => {
    const go = images.go as BuiltArtifact;
    const manifest = readFileSync(join(go.ref, NANOS_DIRECT_FILES.manifest), "utf8");
    assert.match(manifest, /program:"\/[^"]*edgeapp-go"/);
    assert.match(manifest, /"OPS_VERSION":"0\.1\.43" "NANOS_VERSION":"0\.1\.54" "NANOS_ARCH":"amd64"/);
    assert.match(manifest, /"PORT":"8080" "OPS_PORT":"8080"\)\n\)\n$/);
    const node = readFileSync(join((images.node as BuiltArtifact).ref, NANOS_DIRECT_FILES.manifest), "utf8");
    assert.match(node, /arguments:\["\/[^"]*\/node" "app\.js"\]/);
    assert.match(node, /"libc\.so\.6":\(contents:\(host:"\/[^"]*libc\.so\.6"\)\)/);
    assert.ok((go.size?.apparentBytes ?? 0) > 1_000_000);
  });

  it("boots Go with its environment knob in an image of its own: digests, /info, the recorded command line", {
    skip,
  }, async () => {
    const ctx = await context("go", 128, { GOMAXPROCS: "1" });
    const instance = await launchInstance(nanosDirectPlatform, ctx);
    try {
      const ready = await waitForInstance(instance, "/io", 120_000);
      await instance.started;
      const report = await quickVerify(instance.baseUrl, "go");
      assert.deepEqual(report.problems, []);
      for (const body of [Buffer.from("abc"), patternBytes(256 * 1024)]) {
        const reply = await request(instance.baseUrl, "POST", "/compute", body);
        assert.equal(reply.body, `${referenceDigest(body)}\n`);
      }
      // Nanos keeps a little of -m: the app sees less than 128 MiB, and GOMAXPROCS from the image.
      assert.ok((report.info?.memory.totalBytes ?? 0) < 128 * 1024 * 1024);
      assert.equal(report.info?.gomaxprocs, 1);
      const argv = readFileSync(join(ctx.workDir, "qemu.cmdline"), "utf8").split("\n");
      assert.ok(argv.includes(labQemuName(ctx)));
      assert.ok(argv.includes(`file=${join(ctx.workDir, "disk.img")},format=raw,if=none,id=hd0,snapshot=on`));
      assert.equal(argv.includes("-kernel"), false);
      timings.push(`go at 128 MB: first 200 after ${(ready.elapsedMs / 1000).toFixed(2)} s (TCG)`);
      assert.deepEqual(await instance.stop(), { exitCode: null, signal: null, oomKilled: false });
      assert.deepEqual(
        labQemuPids().filter((q) => q.name === labQemuName(ctx)),
        [],
      );
    } finally {
      await instance.cleanup();
    }
  });

  it("boots Node (the official binary, app.js, its libraries) and serves the contract", { skip }, async () => {
    const ctx = await context("node", 128);
    const instance = await launchInstance(nanosDirectPlatform, ctx);
    try {
      const ready = await waitForInstance(instance, "/io", 120_000);
      const report = await quickVerify(instance.baseUrl, "node");
      assert.deepEqual(report.problems, []);
      assert.equal(report.info?.version, `v${revision.versions.node}`);
      timings.push(`node at 128 MB: first 200 after ${(ready.elapsedMs / 1000).toFixed(2)} s (TCG)`);
      await instance.stop();
    } finally {
      await instance.cleanup();
    }
  });

  it("records the Nanos kernel's out-of-memory messages as an OOM (Node at 24 MB, while it starts)", {
    skip,
  }, async () => {
    const ctx = await context("node", 24);
    const instance = await launchInstance(nanosDirectPlatform, ctx);
    try {
      await assert.rejects(waitForInstance(instance, "/io", 60_000));
      const exit = await instance.stop();
      assert.equal(exit.oomKilled, true, instance.output());
      assert.match(instance.output(), /page fill failed with \(result:out of memory\)/);
      // The line the cell's reason quotes: the first the kernel printed when memory ran out.
      assert.match(
        readFileSync(join(ctx.workDir, OOM_LINE_FILE), "utf8"),
        /page fill failed with \(result:out of memory\)\n$/,
      );
      assert.equal(classifyEnd(exit, !instance.isAlive(), "before it was ready").status, "oom");
    } finally {
      await instance.cleanup();
    }
  });
});
