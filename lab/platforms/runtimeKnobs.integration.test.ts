/**
 * The runtime knobs reach the app on every platform that runs here: what the app reports in
 * /info is the proof (GOMAXPROCS = the CPU limit; a V8 heap limit fitted to the memory limit).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Runtime } from "../../core/model";
import { dockerSkip, goSkip } from "../../core/testing/requirements";
import { type ArtifactManifest, buildArtifacts } from "../../workloads/artifacts/build";
import type { AppInfo } from "../../workloads/contract";
import { loadRevision } from "../config/revision";
import { freePort } from "../ports";
import { waitForInstance } from "../ready";
import { adHocContext } from "./context";
import { type LaunchedInstance, launchInstance } from "./instance";
import { getPlatform } from "./registry";

const work = mkdtempSync(join(tmpdir(), "runtime-knobs-"));
const launched: LaunchedInstance[] = [];
let manifest: ArtifactManifest | undefined;
let skipDocker: string | false = false;

async function info(platformName: string, runtime: Runtime, knobs: Record<string, string>): Promise<AppInfo> {
  const platform = getPlatform(platformName);
  const artifact = manifest?.artifacts.find((a) => a.runtime === runtime && a.kind === platform.artifact.kind)?.ref;
  assert.ok(artifact, `${runtime} ${platform.artifact.kind} was built`);
  const ctx = await adHocContext({
    platform,
    runtime,
    artifact,
    hostPort: await freePort(),
    workDir: join(work, `${platformName}-${runtime}-${launched.length}`),
    resources: { cpus: 1, memoryMB: 128 },
    knobs,
  });
  const instance = await launchInstance(platform, ctx);
  launched.push(instance);
  await waitForInstance(instance, "/io", 30_000);
  const response = await fetch(`${instance.baseUrl}/info`);
  await instance.stop();
  return (await response.json()) as AppInfo;
}

describe("runtime knobs reach the app", { timeout: 600_000 }, () => {
  before(async () => {
    if (await goSkip()) return;
    skipDocker = await dockerSkip();
    const platforms = skipDocker ? ["native"] : ["native", "docker"];
    manifest = await buildArtifacts({
      revision: loadRevision(),
      runtimes: ["go", "node"],
      recipes: platforms.map((p) => getPlatform(p).artifact),
    });
  });
  after(async () => {
    for (const instance of launched) await instance.cleanup();
  });

  for (const platform of ["native", "docker"]) {
    it(`${platform}: goMaxProcs cpus sets GOMAXPROCS to the CPU limit`, async (t) => {
      if (!manifest || (platform === "docker" && skipDocker)) return t.skip("needs Go (and Docker)");
      assert.equal((await info(platform, "go", { goMaxProcs: "cpus" })).gomaxprocs, 1);
    });

    it(`${platform}: nodeHeap fit lowers V8's heap limit below its default`, async (t) => {
      if (!manifest || (platform === "docker" && skipDocker)) return t.skip("needs Go (and Docker)");
      const standard = (await info(platform, "node", {})).v8HeapLimitBytes ?? 0;
      const fitted = (await info(platform, "node", { nodeHeap: "fit" })).v8HeapLimitBytes ?? 0;
      assert.ok(fitted > 0 && fitted < standard, `fit ${fitted} < default ${standard}`);
    });
  }
});
