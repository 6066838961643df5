/**
 * Every shell script the lab generates, for every platform and knob, passes shellcheck: these
 * are the very texts the Pulumi lab runs on remote hosts, where a quoting slip is hard to see.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../../core/exec";
import type { KnobValues } from "../../core/matrix";
import { shellcheckSkip } from "../../core/testing/requirements";
import { k6CommandLine } from "../load/k6";
import { adHocContext } from "./context";
import { dockerRunArgs } from "./docker";
import { footprintScript } from "./footprint";
import { writeInstanceScripts } from "./instance";
import { allPlatforms, getPlatform } from "./registry";
import type { InstanceContext } from "./types";

const root = mkdtempSync(join(tmpdir(), "scripts-"));

/** An artifact reference with a space in it, as a path or a tag could have. */
const ARTIFACT = "/opt/edge lab/artifacts/node";

async function context(platform: string, knobs: KnobValues, n: number): Promise<InstanceContext> {
  return {
    ...(await adHocContext({
      platform: getPlatform(platform),
      runtime: "node",
      artifact: ARTIFACT,
      hostPort: 18080,
      workDir: join(root, `${platform}-${n}`, "work dir"),
      resources: { cpus: 1, memoryMB: 128 },
      knobs,
      runId: "shellcheck",
    })),
    ...(Object.values(knobs).includes("bridged") ? { bridgeName: "br-lab" } : {}),
  };
}

/** Every platform at its defaults, then with every knob at each of its other values (cpuMode pinned). */
function variantsOf(platformName: string): KnobValues[] {
  const platform = getPlatform(platformName);
  const defaults = Object.fromEntries(Object.entries(platform.knobs).map(([k, spec]) => [k, spec.default]));
  const variants: KnobValues[] = [defaults];
  for (const [knob, spec] of Object.entries(platform.knobs)) {
    for (const value of spec.values) {
      if (value !== spec.default) variants.push({ ...defaults, [knob]: value, cpuMode: "pinned" });
    }
  }
  return variants;
}

const variants: Array<[string, KnobValues]> = allPlatforms().flatMap((p) =>
  variantsOf(p.name).map((knobs): [string, KnobValues] => [p.name, knobs]),
);

describe("generated scripts", () => {
  variants.forEach(([platform, knobs], n) => {
    it(`${platform} ${JSON.stringify(knobs)}: prepare, start, stop and cleanup pass shellcheck`, async (t) => {
      const skip = await shellcheckSkip();
      if (skip) return t.skip(skip);
      const ctx = await context(platform, knobs, n);
      const paths = writeInstanceScripts(getPlatform(platform).scripts(ctx), ctx.workDir);
      await run("shellcheck", ["--severity=style", ...Object.values(paths)]);
    });
  });

  it("the footprint sampler and the k6 invocation pass shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    const sampler = join(root, "footprint.sh");
    writeFileSync(sampler, footprintScript(join(root, "a cell"), 500, 40));
    const load = join(root, "load.sh");
    const spec = {
      baseUrl: "http://10.0.0.2:8080",
      workload: "compute" as const,
      executor: "constant-vus" as const,
      vus: 100,
      warmupS: 10,
      durationS: 30,
      requestTimeoutS: 10,
    };
    writeFileSync(
      load,
      `#!/usr/bin/env bash\nset -euo pipefail\n${k6CommandLine(spec, { scriptPath: "/opt/edgelab/k6/load.js", summaryPath: "/tmp/cell summary.json", k6Version: "1.3.0" })}\n`,
    );
    await run("shellcheck", ["--severity=style", sampler, load]);
  });
});

describe("docker run arguments", () => {
  it("cap swap at the memory limit and use a CFS quota as the paper", async () => {
    const args = dockerRunArgs(await context("docker", { cpuMode: "quota", dockerNetwork: "nat" }, 90));
    assert.ok(args.includes("--cpus=1"));
    assert.ok(args.includes("--memory=128m") && args.includes("--memory-swap=128m"));
    assert.deepEqual(args.slice(args.indexOf("--publish"), args.indexOf("--publish") + 2), [
      "--publish",
      "127.0.0.1:18080:8080",
    ]);
    assert.equal(args.at(-1), ARTIFACT, "the image the recipe built");
  });

  it("pin cores and share the host network when asked", async () => {
    const args = dockerRunArgs(await context("docker", { cpuMode: "pinned", dockerNetwork: "host" }, 91));
    assert.ok(args.includes("--cpuset-cpus=0"));
    assert.ok(!args.some((a) => a.startsWith("--cpus=")));
    assert.ok(args.includes("--network=host"));
    assert.equal(args[args.indexOf("--env") + 1], "PORT=18080");
    assert.ok(!args.includes("--publish"));
  });
});
