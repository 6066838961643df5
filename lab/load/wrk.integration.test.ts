/**
 * Real wrk (Debian's package) through runLoad against the real Node app; the ceiling measured
 * against the lab's responder; a sweep cell's load with the generator-bound check, with a k6
 * stand-in that behaves like the captured real k6 (fills its core, writes its real summary).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../../core/exec";
import { CeilingSchema } from "../../core/load/ceiling";
import { type LoadSpec, LoadSummarySchema } from "../../core/load/types";
import { repoRoot } from "../../core/paths";
import { freePort } from "../ports";
import { type RunningApp, startNodeApp } from "../testing/nodeApp";
import { measureCeilings } from "./calibrate";
import { coresBesideApp } from "./cores";
import { COMMAND_FILE, GENERATOR_SUMMARY_FILE, LOG_FILE, runLoad, SUMMARY_FILE } from "./generator";
import { runCellLoad } from "./sweep";

const outRoot = mkdtempSync(join(os.tmpdir(), "load-wrk-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

describe("runLoad with wrk", () => {
  let app: RunningApp;
  const spec = (workload: LoadSpec["workload"]): LoadSpec => ({
    baseUrl: app.baseUrl,
    workload,
    executor: "constant-vus",
    vus: 8,
    warmupS: 1,
    durationS: 2,
    requestTimeoutS: 5,
  });

  before(async () => {
    app = await startNodeApp();
  });
  after(async () => {
    await app?.stop();
  });

  for (const workload of ["io", "compute"] as const) {
    it(`measures /${workload} on the core beside the app, warm-up not counted, the command kept`, async () => {
      const outDir = join(outRoot, workload);
      const result = await runLoad(spec(workload), outDir, { generator: "wrk", cores: coresBesideApp(1) });
      const { summary, generatorCpu } = result;
      assert.deepEqual(LoadSummarySchema.parse(summary), summary);
      assert.equal(summary.generator, "wrk");
      assert.equal(summary.generatorVersion, "4.1.0");
      assert.ok(summary.okThroughputRps > 100, JSON.stringify(summary));
      assert.equal(summary.failedRequests, 0, "the app answers POST /compute with the built-in payload");
      const { p50, p99, max } = summary.latencyMs;
      assert.ok(p50 !== null && p99 !== null && max !== null && p50 <= p99 && p99 <= max);
      assert.ok(generatorCpu.cores > 0 && generatorCpu.coresAvailable === coresBesideApp(1).count);
      assert.deepEqual(result.rawFiles, [SUMMARY_FILE, GENERATOR_SUMMARY_FILE, LOG_FILE, COMMAND_FILE]);
      const log = readFileSync(join(outDir, LOG_FILE), "utf8");
      assert.match(
        log,
        /\[lab\] warm-up run \(not counted\)\n[\s\S]*Running 1s test[\s\S]*\[lab\] measured run\n[\s\S]*Running 2s test/,
      );
      const lines = result.commandLine.split("\n");
      assert.equal(lines.length, 2, "warm-up and measured run");
      assert.ok(lines[1]?.startsWith(`taskset -c ${coresBesideApp(1).cpuList} env LAB_WRK_SUMMARY=`), lines[1]);
    });
  }

  it("replays from load-command.sh alone", async () => {
    const outDir = join(outRoot, "io");
    rmSync(join(outDir, GENERATOR_SUMMARY_FILE));
    await run("bash", [join(outDir, COMMAND_FILE)], { cwd: repoRoot, timeoutMs: 30_000 });
    const replayed = JSON.parse(readFileSync(join(outDir, GENERATOR_SUMMARY_FILE), "utf8"));
    assert.ok(replayed.requests > 0, JSON.stringify(replayed));
  });

  it("records a port with nothing listening as no ok reply, not as an error", async () => {
    const summary = (
      await runLoad({ ...spec("io"), baseUrl: `http://127.0.0.1:${await freePort()}` }, join(outRoot, "refused"), {
        generator: "wrk",
      })
    ).summary;
    assert.equal(summary.okThroughputRps, 0);
    assert.equal(summary.latencyMs.mean, null);
    assert.equal(summary.errors?.connect, 1);
  });

  it("stops wrk when aborted", async () => {
    const controller = new AbortController();
    let pid: number | undefined;
    setTimeout(() => controller.abort(), 1_500);
    await assert.rejects(
      runLoad({ ...spec("io"), durationS: 30 }, join(outRoot, "aborted"), {
        generator: "wrk",
        signal: controller.signal,
        onSpawn: (p) => {
          pid = p;
        },
      }),
      (e: unknown) => e instanceof Error && e.name === "AbortError",
    );
    assert.ok(pid !== undefined);
    assert.throws(() => process.kill(pid as number, 0), { code: "ESRCH" }, "no wrk is left");
  });
});

describe("ceilings and the generator-bound flag", () => {
  it("measures wrk's ceiling against the responder on the core beside the app's", async () => {
    const ceilings = await measureCeilings({
      generators: ["wrk"],
      workloads: ["io"],
      appCpus: [1],
      vus: 8,
      warmupS: 0,
      durationS: 1,
      requestTimeoutS: 5,
      runs: 2,
      outDir: join(outRoot, "calibration"),
    });
    assert.equal(ceilings.length, 1);
    const [ceiling] = ceilings;
    assert.deepEqual(CeilingSchema.parse(ceiling), ceiling);
    assert.equal(ceiling?.cores, coresBesideApp(1).count);
    assert.equal(ceiling?.samplesRps.length, 2);
    assert.ok((ceiling?.okRps ?? 0) > 1000, JSON.stringify(ceiling));
  });

  /**
   * A k6 stand-in that reports what the real k6 v1.3.0 reported in a Go /io cell
   * (fixtures/k6-1.3.0/ok-go-io): its ceiling is measured first, as before a sweep, and the cell
   * reaches it. (The CPU half of the check is not asserted: on a shared machine a busy loop does
   * not reliably get 80% of a core.)
   */
  it("flags a Go /io cell at the ceiling k6 was measured at", async () => {
    const k6 = join(outRoot, "k6");
    const captured = join(__dirname, "fixtures", "k6-1.3.0", "ok-go-io", "load-summary.json");
    writeFileSync(
      k6,
      `#!${process.execPath}
const args = process.argv.slice(2);
if (args[0] === "version") { console.log("k6 v1.3.0 (commit/devel, go1.23.5, linux/amd64)"); process.exit(0); }
const env = {};
args.forEach((a, i) => { if (args[i - 1] === "-e") { const at = a.indexOf("="); env[a.slice(0, at)] = a.slice(at + 1); } });
setTimeout(() => require("node:fs").copyFileSync(${JSON.stringify(captured)}, env.SUMMARY_PATH), 200);
`,
      { mode: 0o755 },
    );
    const saved = process.env.PATH;
    process.env.PATH = `${outRoot}:${saved}`;
    try {
      const ceilings = await measureCeilings({
        generators: ["k6"],
        workloads: ["io"],
        appCpus: [1],
        vus: 16,
        warmupS: 0,
        durationS: 1,
        requestTimeoutS: 5,
        runs: 1,
        outDir: join(outRoot, "k6-calibration"),
      });
      assert.equal(ceilings[0]?.okRps, 11580.666666666666);
      const rawDir = join(outRoot, "cell");
      const output = await runCellLoad({
        spec: {
          baseUrl: "http://127.0.0.1:9",
          workload: "io",
          executor: "constant-vus",
          vus: 16,
          warmupS: 0,
          durationS: 2,
          requestTimeoutS: 5,
        },
        cell: { runtime: "go", platform: "native", workload: "io", memoryMB: 256, cpus: 1 },
        rawDir,
        runDir: outRoot,
        generators: { choice: "k6", primary: "k6", crossCheck: null, ceilings, note: null },
        signal: new AbortController().signal,
        isAlive: () => true,
      });
      assert.deepEqual(output.flags, ["generator-bound"]);
      assert.equal(output.generator.name, "k6");
      assert.equal(output.generator.ceilingRps, 11580.666666666666);
      assert.match(
        output.generator.boundReasons?.join("\n") ?? "",
        /^11581 ok req\/s is 100% of the generator's ceiling of 11581/m,
      );
      assert.equal(output.load.okThroughputRps, 11580.666666666666);
      assert.ok(existsSync(join(rawDir, COMMAND_FILE)));
    } finally {
      process.env.PATH = saved;
    }
  });
});
