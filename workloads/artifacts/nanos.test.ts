import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRevision } from "../../core/config/revision";
import { run } from "../../core/exec";
import { shellcheckSkip } from "../../core/testing/requirements";
import {
  nanosBuildPlan,
  OPS_CONFIG_KEYS,
  OPS_RUN_CONFIG_KEYS,
  opsConfig,
  opsImagePath,
  parseOpsBuildOutput,
  writeNanosInputs,
} from "./nanos";

const revision = readRevision("paper-2025");

describe("ops config.json", () => {
  it("always sets Memory, CPUs and Ports, with Ports as strings", () => {
    const config = opsConfig({ cpus: 1, memoryMB: 128, network: "user", accel: true });
    assert.deepEqual(config.RunConfig, { Memory: "128M", CPUs: 1, Ports: ["8080"], Accel: true });
    assert.deepEqual(config.Env, { PORT: "8080" });
  });

  it("uses only keys ops accepts (it rejects unknown ones)", () => {
    for (const spec of [
      { cpus: 8, memoryMB: 2048, network: "user" as const, accel: true },
      { cpus: 1, memoryMB: 64, network: "bridged" as const, accel: true, bridgeName: "br0", tapName: "tap0" },
    ]) {
      const config = opsConfig(spec);
      for (const key of Object.keys(config)) assert.ok((OPS_CONFIG_KEYS as readonly string[]).includes(key), key);
      for (const key of Object.keys(config.RunConfig)) {
        assert.ok((OPS_RUN_CONFIG_KEYS as readonly string[]).includes(key), `RunConfig.${key}`);
      }
    }
  });

  it("sets bridged networking only with a bridge to join", () => {
    const config = opsConfig({ cpus: 1, memoryMB: 256, network: "bridged", accel: true, bridgeName: "br0" });
    assert.equal(config.RunConfig.Bridged, true);
    assert.equal(config.RunConfig.BridgeName, "br0");
    assert.throws(
      () => opsConfig({ cpus: 1, memoryMB: 256, network: "bridged", accel: true }),
      /network = "bridged" needs bridgeName/,
    );
  });

  it("rejects impossible resources by name", () => {
    assert.throws(() => opsConfig({ cpus: 0, memoryMB: 256, network: "user", accel: true }), /nanos cpus = 0/);
    assert.throws(() => opsConfig({ cpus: 1, memoryMB: 8, network: "user", accel: true }), /nanos memoryMB = 8/);
  });
});

describe("ops build commands", () => {
  it("pin the Nanos kernel of the revision and name the image", () => {
    const plan = nanosBuildPlan(revision, "go", { path: "/lab/bin/edgeapp-go", args: [], files: [] });
    assert.deepEqual(plan.buildArgs, [
      "build",
      "/lab/bin/edgeapp-go",
      "-c",
      "config.json",
      "-i",
      "edgelab-go-paper-2025",
      "--nanos-version",
      "0.1.54",
    ]);
    assert.equal(plan.config.RunConfig.Memory, "2048M", "the image defaults to the paper's rich scenario");
    assert.equal(plan.config.RunConfig.CPUs, 8);
    assert.equal(opsImagePath("x", "/home/u/.ops"), "/home/u/.ops/images/x");
  });

  it("read the image path ops prints", () => {
    assert.equal(
      parseOpsBuildOutput("booting...\nBootable image file:/root/.ops/images/edgelab-go-paper-2025\n"),
      "/root/.ops/images/edgelab-go-paper-2025",
    );
    assert.equal(parseOpsBuildOutput("nothing here"), undefined);
  });

  it("write a build script that passes shellcheck", async (t) => {
    const skip = await shellcheckSkip();
    if (skip) return t.skip(skip);
    const dir = mkdtempSync(join(tmpdir(), "nanos-"));
    const app = join(dir, "app.js");
    writeFileSync(app, "// the app\n");
    // What the Node runtime packs (workloads/node/runtime.ts), at a path that needs quoting.
    const program = { path: "/lab/bin/edge node", args: ["app.js"], files: [app] };
    const inputs = writeNanosInputs(nanosBuildPlan(revision, "node", program), join(dir, "build"));
    const script = readFileSync(inputs.buildScript, "utf8");
    assert.match(
      script,
      /^ops build '\/lab\/bin\/edge node' -c config\.json -i edgelab-node-paper-2025 --nanos-version 0\.1\.54$/m,
    );
    const config = JSON.parse(readFileSync(inputs.configPath, "utf8"));
    assert.deepEqual(config.RunConfig.Ports, ["8080"]);
    assert.deepEqual(config.Args, ["app.js"], "node runs app.js");
    assert.deepEqual(config.Files, ["app.js"], "app.js is packed beside it");
    assert.equal(readFileSync(join(dir, "build", "app.js"), "utf8"), "// the app\n", "copied into the build folder");
    await run("shellcheck", ["--severity=style", inputs.buildScript]);
  });
});
