/**
 * Both apps, built by the lab's own builders, run for real: natively (Go binary, Node on this
 * machine's Node, on the pinned Node 24.3.0, and as a single executable) and as offline Docker
 * images, each held to the full HTTP contract.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../core/exec";
import type { Runtime } from "../core/model";
import { sh } from "../core/shell";
import { dockerSkip } from "../core/testing/requirements";
import { testRunId } from "../core/testing/runIds";
import { type ArtifactManifest, buildArtifacts } from "../workloads/artifacts/build";
import { goSourceDir } from "../workloads/artifacts/goBinary";
import { findGoToolchain } from "../workloads/artifacts/goToolchain";
import { ensurePinnedNode } from "../workloads/artifacts/nodeRuntime";
import { binaryRecipe, dockerOfflineRecipe } from "../workloads/artifacts/recipes";
import { verifyContract } from "../workloads/contract";
import { nodeAppScript } from "../workloads/node/runtime";
import { loadRevision } from "./config/revision";
import { adHocContext } from "./platforms/context";
import { dockerPlatform } from "./platforms/docker";
import { type LaunchedInstance, launchInstance } from "./platforms/instance";
import { nativePlatform } from "./platforms/native";
import { freePort } from "./ports";
import { waitForInstance } from "./ready";

const revision = loadRevision("paper-2025");
const MiB = 1024 * 1024;

interface Case {
  name: string;
  runtime: Runtime;
  expectedVersion: () => string;
  launch: (port: number) => Promise<LaunchedInstance>;
  docker?: { cpus: number; memoryMB: number };
}

let manifest: ArtifactManifest;
let pinnedNodePath = "";
let dockerSkipReason: string | false = false;
const workRoot = mkdtempSync(join(tmpdir(), "apps-it-"));
const launched: LaunchedInstance[] = [];

/** The native platform runs one executable: a command with arguments goes through a small wrapper. */
function executable(argv: string[], port: number): string {
  if (argv.length === 1) return argv[0] as string;
  const wrapper = join(workRoot, `launch-${port}.sh`);
  writeFileSync(
    wrapper,
    sh`#!/bin/sh
exec ${argv}
`.text,
    { mode: 0o755 },
  );
  return wrapper;
}

function native(runtime: Runtime, command: () => string[]) {
  return async (port: number) => {
    const ctx = await adHocContext({
      runtime,
      platform: nativePlatform,
      artifact: executable(command(), port),
      hostPort: port,
      workDir: join(workRoot, `${port}`),
    });
    const instance = await launchInstance(nativePlatform, ctx);
    launched.push(instance);
    return instance;
  };
}

function artifact(runtime: Runtime, kind: string): string {
  const found = manifest.artifacts.find((a) => a.runtime === runtime && a.kind === kind);
  assert.ok(found, `${runtime} ${kind} was built`);
  return found.ref;
}

const goVersion = () => `go${manifest.artifacts.find((a) => a.runtime === "go")?.builtWith.go}`;

function dockerCase(runtime: Runtime, expectedVersion: () => string): Case {
  const limits = { cpus: 1, memoryMB: 256 };
  return {
    name: `${runtime} offline Docker image (1 CPU quota, 256 MB)`,
    runtime,
    expectedVersion,
    docker: limits,
    launch: async (port) => {
      const ctx = await adHocContext({
        runtime,
        platform: dockerPlatform,
        artifact: artifact(runtime, "docker-offline"),
        hostPort: port,
        workDir: join(workRoot, `${port}`),
        resources: limits,
        runId: testRunId("apps-test"),
      });
      const instance = await launchInstance(dockerPlatform, ctx);
      launched.push(instance);
      return instance;
    },
  };
}

const cases: Case[] = [
  {
    name: "go static binary",
    runtime: "go",
    expectedVersion: goVersion,
    launch: native("go", () => [artifact("go", "binary")]),
  },
  {
    name: "node app.js on this machine's Node",
    runtime: "node",
    expectedVersion: () => process.version,
    launch: native("node", () => [process.execPath, nodeAppScript]),
  },
  {
    name: "node app.js on the pinned Node",
    runtime: "node",
    expectedVersion: () => `v${revision.versions.node}`,
    launch: native("node", () => [pinnedNodePath, nodeAppScript]),
  },
  {
    name: "node single executable",
    runtime: "node",
    expectedVersion: () => `v${revision.versions.node}`,
    launch: native("node", () => [artifact("node", "binary")]),
  },
  dockerCase("go", goVersion),
  dockerCase("node", () => `v${revision.versions.node}`),
];

describe("the apps, built and run", { timeout: 600_000 }, () => {
  before(async () => {
    dockerSkipReason = await dockerSkip();
    manifest = await buildArtifacts({
      revision,
      runtimes: ["go", "node"],
      recipes: dockerSkipReason ? [binaryRecipe] : [binaryRecipe, dockerOfflineRecipe],
    });
    pinnedNodePath = (await ensurePinnedNode(revision)).path;
  });

  after(async () => {
    for (const instance of launched) await instance.cleanup();
  });

  for (const c of cases) {
    it(`${c.name}: serves the contract, reports what it sees, stops cleanly`, async (t) => {
      if (c.docker && dockerSkipReason) return t.skip(dockerSkipReason);
      const instance = await c.launch(await freePort());
      let exit: Awaited<ReturnType<LaunchedInstance["stop"]>> | undefined;
      try {
        await waitForInstance(instance);
        const report = await verifyContract(instance.baseUrl, c.runtime);
        assert.deepEqual(report.problems, [], `${c.name}\n${instance.output()}`);
        assert.equal(report.info?.version, c.expectedVersion());
        if (c.docker) {
          assert.equal(report.info?.memory.cgroupLimitBytes, c.docker.memoryMB * MiB, "the app sees the memory limit");
          assert.equal(report.info?.cpu.cgroupQuotaCpus, c.docker.cpus, "the app sees the CPU quota");
        }
      } finally {
        exit = await instance.stop();
      }
      assert.deepEqual(exit, { exitCode: 0, signal: null, oomKilled: false }, `${c.name} exits 0 on SIGTERM`);
      const ready = JSON.parse(instance.output().split("\n")[0] ?? "{}");
      assert.equal(ready.event, "ready", instance.output());
      assert.equal(ready.runtime, c.runtime);
      assert.ok(!Number.isNaN(Date.parse(ready.time)), `ready line has a timestamp: ${ready.time}`);
    });
  }

  const commands: Record<string, () => string[]> = {
    go: () => [artifact("go", "binary")],
    node: () => [process.execPath, nodeAppScript],
  };
  for (const [runtime, commandOf] of Object.entries(commands)) {
    it(`${runtime} refuses a bad PORT with a clear message`, () => {
      const [command, ...args] = commandOf();
      const result = spawnSync(command ?? "", args, { env: { ...process.env, PORT: "80a" }, encoding: "utf8" });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /PORT="80a" is not allowed: use an integer from 1 to 65535/);
    });
  }

  it("go sources are gofmt-clean and pass go vet", async () => {
    const go = await findGoToolchain();
    const gofmt = go.command.replace(/go$/, "gofmt");
    const { stdout } = await run(gofmt === "go" ? "gofmt" : gofmt, ["-l", "."], { cwd: goSourceDir });
    assert.equal(stdout.trim(), "", "files gofmt would change");
    await run(go.command, ["vet", "./..."], { cwd: goSourceDir, env: { ...process.env, GOTOOLCHAIN: "local" } });
  });
});
