/**
 * gVisor for real: the lab's own images under runsc, launched by the lab's own scripts. The apps
 * at 256 and 128 MB (what they see, their digests), an OOM where Node cannot hold its memory, and
 * no runsc process left after a failed start, an interrupted cell or a SIGKILLed runner.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../core/exec";
import type { Runtime } from "../../core/model";
import { repoRoot } from "../../core/paths";
import { dockerSkip, skipUnlessTool } from "../../core/testing/requirements";
import { buildArtifacts } from "../../workloads/artifacts/build";
import { type AppInfo, patternBytes, quickVerify, request } from "../../workloads/contract";
import { loadRevision } from "../config/revision";
import { freePort } from "../ports";
import { waitForInstance } from "../ready";
import { classifyEnd } from "../runner/runCell";
import { adHocContext } from "./context";
import { cleanupLeftovers, currentDetection, gvisorPlatform, PROBE_IMAGE, resetDetection } from "./gvisor";
import { type LaunchedInstance, launchInstance } from "./instance";
import type { Availability, EnforcedLimits, InstanceContext } from "./types";

const MiB = 1024 * 1024;
const revision = loadRevision("paper-2025");
const workRoot = mkdtempSync(join(tmpdir(), "gvisor-it-"));
const runId = `gvit-${randomBytes(3).toString("hex")}`;
let skipReason: string | false = false;
let availability: Availability;
const images = new Map<Runtime, string>();
const launched: LaunchedInstance[] = [];

/**
 * Host processes of a runsc container, found independently of the lab's own sweep: runsc
 * processes (sandbox, gofer, runsc itself, the runtime wrapper) and the containerd shim whose
 * command line names the container id.
 */
function runscProcessesOf(containerId: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const base = (arg: string | undefined) => (arg ?? "").split("/").pop() ?? "";
    const runscLike =
      base(argv[0]).startsWith("runsc") ||
      base(argv[1]).startsWith("runsc") ||
      base(argv[0]) === "containerd-shim-runc-v2";
    if (runscLike && argv.some((arg) => arg.includes(containerId))) found.push(Number(entry));
  }
  return found;
}

async function containerExists(name: string): Promise<boolean> {
  return run("docker", ["inspect", name]).then(
    () => true,
    () => false,
  );
}

function context(
  runtime: Runtime,
  memoryMB: number,
  knobs: Record<string, string>,
  label: string,
  port: number,
): Promise<InstanceContext> {
  return adHocContext({
    platform: gvisorPlatform,
    runtime,
    artifact: images.get(runtime) ?? "",
    hostPort: port,
    workDir: join(workRoot, label),
    resources: { cpus: 1, memoryMB },
    knobs: { cpuMode: "quota", ...knobs },
    runId,
  });
}

async function launch(ctx: InstanceContext): Promise<LaunchedInstance> {
  const instance = await launchInstance(gvisorPlatform, ctx);
  launched.push(instance);
  return instance;
}

const containerId = (ctx: InstanceContext) => readFileSync(join(ctx.workDir, "container.cid"), "utf8").trim();
const limitsOf = (ctx: InstanceContext) =>
  JSON.parse(readFileSync(join(ctx.workDir, "limits.json"), "utf8")) as EnforcedLimits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("gvisor, for real", { timeout: 900_000 }, () => {
  before(async () => {
    skipReason =
      (await dockerSkip()) ||
      (await skipUnlessTool("runsc", ["--version"], "apt-get install -t bookworm-backports runsc"));
    if (skipReason) return;
    availability = await gvisorPlatform.checkAvailability({ allowEmulation: false });
    process.stdout.write(`# gvisor availability: ${JSON.stringify(availability)}\n`);
    if (!availability.ok) {
      if (process.env.CI === "true") throw new Error(`CI must provide gVisor: ${availability.reason}`);
      skipReason = availability.reason ?? "gvisor unavailable";
      return;
    }
    const manifest = await buildArtifacts({ revision, runtimes: ["go", "node"], recipes: [gvisorPlatform.artifact] });
    for (const a of manifest.artifacts) if (a.kind === "docker-offline") images.set(a.runtime, a.ref);
  });

  after(async () => {
    for (const instance of launched) await instance.cleanup();
    if (!skipReason) await cleanupLeftovers({ runId });
  });

  it("records the runsc version and which network modes run here", (t) => {
    if (skipReason) return t.skip(skipReason);
    assert.match(String(availability.facts.runscVersion), /^\d+\.\d+~?\d*/);
    assert.ok(String(availability.facts.gvisorNetworksWorking).length > 0, "some network mode works");
    assert.match(String(availability.facts.gvisorPlatformsWorking), /systrap/);
  });

  // 256 MB asks for host networking; 128 MB for netstack, which runs as host (recorded) where it fails.
  const cases: Array<[Runtime, number, string]> = [
    ["go", 256, "host"],
    ["go", 128, "netstack"],
    ["node", 256, "host"],
    ["node", 128, "netstack"],
  ];
  for (const [runtime, memoryMB, network] of cases) {
    it(`${runtime} at ${memoryMB} MB (${network} asked): right digests, sees the limit as total memory`, async (t) => {
      if (skipReason) return t.skip(skipReason);
      const ctx = await context(
        runtime,
        memoryMB,
        { gvisorNetwork: network },
        `${runtime}-${memoryMB}`,
        await freePort(),
      );
      const instance = await launch(ctx);
      let info: AppInfo | undefined;
      let exit: Awaited<ReturnType<LaunchedInstance["stop"]>> | undefined;
      let id = "";
      try {
        await waitForInstance(instance, "/io", 60_000);
        id = containerId(ctx);
        const check = await quickVerify(instance.baseUrl, runtime);
        assert.deepEqual(check.problems, [], instance.output());
        info = check.info;
        process.stdout.write(`# gvisor ${runtime} ${memoryMB} MB /info: ${JSON.stringify(info)}\n`);
      } finally {
        exit = await instance.stop();
      }
      assert.equal(info?.memory.totalBytes, memoryMB * MiB, "the memory limit is the total memory the app sees");
      assert.equal(info?.memory.cgroupLimitBytes, null, "no cgroup limit inside the sandbox");
      if (runtime === "node") assert.ok(Number(info?.v8HeapLimitBytes) > 0);
      assert.deepEqual(exit, { exitCode: 0, signal: null, oomKilled: false });
      const limits = limitsOf(ctx);
      assert.equal(limits.memoryMB.requested, memoryMB);
      assert.match(limits.memoryMB.how, new RegExp(`--memory=${memoryMB}m --memory-swap=${memoryMB}m`));
      assert.match(limits.cpu.how, /--cpus=1 \(CFS quota\)/);
      const works = String(availability.facts.gvisorNetworksWorking).split(",");
      if (network === "netstack" && !works.includes("netstack")) {
        assert.match(limits.network, /^runsc --network=host.*netstack asked but it fails on this host/);
      } else {
        assert.match(limits.network, network === "host" ? /^runsc --network=host/ : /^gVisor netstack/);
      }
      assert.deepEqual(runscProcessesOf(id), [], "no runsc process of the container is left");
      assert.equal(await containerExists(ctx.instanceName), false);
    });
  }

  it("node at 24 MB cannot hold its memory: the kernel OOM-kills in its sandbox and the lab says oom", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const ctx = await context("node", 24, { gvisorNetwork: "host" }, "node-24", await freePort());
    const instance = await launch(ctx);
    let failure = "";
    try {
      // It either dies at once or, killed in part, collapses and never answers: 20 s tell both.
      await waitForInstance(instance, "/io", 20_000);
    } catch (error) {
      failure = (error as Error).message;
    }
    const diedOnItsOwn = !instance.isAlive();
    const id = containerId(ctx);
    const exit = await instance.stop();
    const end = classifyEnd(exit, diedOnItsOwn, "before it was ready");
    process.stdout.write(`# gvisor node 24 MB: ${failure}; exit ${JSON.stringify(exit)}; ${JSON.stringify(end)}\n`);
    assert.notEqual(failure, "", "it never answered");
    assert.equal(exit.oomKilled, true, "Docker or the kernel recorded an OOM kill");
    assert.equal(end.status, "oom");
    assert.deepEqual(runscProcessesOf(id), []);
  });

  it("go at 32 MB under /compute load with 1 MiB bodies: the sandbox dies and the lab says oom", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const ctx = await context("go", 32, { gvisorNetwork: "host" }, "go-32", await freePort());
    const instance = await launch(ctx);
    await waitForInstance(instance, "/io", 60_000);
    const id = containerId(ctx);
    const body = patternBytes(MiB);
    let answered = 0;
    let failed = 0;
    const until = performance.now() + 20_000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < until && instance.isAlive()) {
          const ok = await request(instance.baseUrl, "POST", "/compute", body).then(
            (reply) => reply.status === 200,
            () => false,
          );
          if (ok) answered++;
          else failed++;
        }
      }),
    );
    const diedOnItsOwn = !instance.isAlive();
    const exit = await instance.stop();
    const end = classifyEnd(exit, diedOnItsOwn, "during the load");
    process.stdout.write(
      `# gvisor go 32 MB under load: ${answered} answered, ${failed} failed; exit ${JSON.stringify(exit)}; ${JSON.stringify(end)}\n`,
    );
    assert.equal(diedOnItsOwn, true, "the sandbox did not survive the load");
    assert.equal(end.status, "oom");
    assert.deepEqual(runscProcessesOf(id), []);
  });

  it("a failed runsc start leaves runsc processes that docker rm -f does not end; the lab's stop does", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const failing = availability.facts.gvisorNetworkFailure_netstack;
    if (!failing) return t.skip("netstack works on this host: no failing start to provoke");
    const detection = currentDetection();
    resetDetection(); // run netstack as asked, so that the start fails as it does here
    try {
      const ctx = await context("go", 128, { gvisorNetwork: "netstack" }, "failed-start", await freePort());
      const instance = await launch(ctx);
      await assert.rejects(instance.started, /cannot run with network enabled/);
      const id = containerId(ctx);
      await sleep(1_000);
      assert.ok(runscProcessesOf(id).length > 0, "the failed start left runsc processes");
      await run("docker", ["rm", "-f", ctx.instanceName]);
      await sleep(1_000);
      assert.ok(runscProcessesOf(id).length > 0, "docker rm -f did not end them");
      const exit = await instance.stop();
      assert.equal(exit.oomKilled, false);
      assert.match(instance.output(), /cannot run with network enabled/, "the reason is in the app log");
      assert.deepEqual(runscProcessesOf(id), [], "no runsc process survives the failed start");
    } finally {
      resetDetection(detection);
    }
  });

  it("an interrupted cell: the cleanup script, run while the container is up, leaves no runsc process", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const ctx = await context("go", 128, { gvisorNetwork: "host" }, "interrupted", await freePort());
    const instance = await launch(ctx);
    await waitForInstance(instance, "/io", 60_000);
    const id = containerId(ctx);
    assert.ok(runscProcessesOf(id).length >= 2, "sandbox and gofer run");
    await instance.cleanup();
    assert.deepEqual(runscProcessesOf(id), []);
    assert.equal(await containerExists(ctx.instanceName), false);
  });

  it("a SIGKILLed runner: cleanupLeftovers ends its container and runsc processes, and no one else's", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const childRunId = `${runId}-killed`;
    const workDir = join(workRoot, "killed-runner");
    const child = join(workRoot, "runner.ts");
    writeFileSync(
      child,
      `import { adHocContext } from ${JSON.stringify(join(__dirname, "context"))};
import { gvisorPlatform } from ${JSON.stringify(join(__dirname, "gvisor"))};
import { launchInstance } from ${JSON.stringify(join(__dirname, "instance"))};
import { waitForInstance } from ${JSON.stringify(join(__dirname, "..", "ready"))};
(async () => {
  const ctx = await adHocContext({ platform: gvisorPlatform, runtime: "go", artifact: ${JSON.stringify(images.get("go"))},
    hostPort: ${await freePort()}, workDir: ${JSON.stringify(workDir)}, resources: { cpus: 1, memoryMB: 128 },
    knobs: { gvisorNetwork: "host" }, runId: ${JSON.stringify(childRunId)} });
  const instance = await launchInstance(gvisorPlatform, ctx);
  await waitForInstance(instance, "/io", 60_000);
  process.stdout.write("ready\\n");
  setInterval(() => undefined, 1_000);
})();
`,
    );
    // Someone else's gVisor container (no lab label, no lab marker) must outlive the sweep.
    const foreign = `gvisor-foreign-${randomBytes(3).toString("hex")}`;
    const foreignId = (
      await run("docker", [
        "run",
        "--detach",
        "--name",
        foreign,
        "--runtime=runsc-host-systrap",
        PROBE_IMAGE,
        "sleep",
        "120",
      ])
    ).stdout.trim();
    try {
      const runner = spawn(process.execPath, ["--import", "tsx", child], {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "inherit"],
      });
      let printed = "";
      runner.stdout.on("data", (chunk: Buffer) => {
        printed += chunk.toString();
      });
      const deadline = Date.now() + 120_000;
      while (!printed.includes("ready") && Date.now() < deadline && runner.exitCode === null) await sleep(200);
      assert.match(printed, /ready/, "the runner started its instance");
      runner.kill("SIGKILL");
      await once(runner, "exit");
      const id = readFileSync(join(workDir, "container.cid"), "utf8").trim();
      assert.ok(runscProcessesOf(id).length >= 2, "the instance outlived its runner");

      const removed = await cleanupLeftovers();
      process.stdout.write(`# cleanupLeftovers: ${JSON.stringify(removed)}\n`);
      assert.ok(
        removed.some((line) => line.includes(childRunId)),
        "it names the container it removed",
      );
      assert.deepEqual(runscProcessesOf(id), [], "no runsc process of the killed runner's instance is left");
      assert.equal(existsSync(join(workDir, "container.cid")), true);
      assert.ok(runscProcessesOf(foreignId).length >= 2, "someone else's gVisor sandbox still runs");
      assert.equal(await containerExists(foreign), true);
    } finally {
      await run("docker", ["rm", "-f", foreign]).catch(() => undefined);
    }
  });
});
