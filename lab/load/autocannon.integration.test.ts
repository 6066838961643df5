/**
 * runLoad end to end with real child processes: autocannon against the real Node app, its CLI's
 * usage errors, and the k6 plugin with a stand-in binary (k6 is not installable here).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type LoadSpec, LoadSummarySchema } from "../../core/load/types";
import { repoRoot } from "../../core/paths";
import { type RunningApp, startNodeApp } from "../testing/nodeApp";
import { coresBesideApp } from "./cores";
import { COMMAND_FILE, GENERATOR_SUMMARY_FILE, LOG_FILE, runLoad, SUMMARY_FILE } from "./generator";

describe("runLoad with autocannon", () => {
  // Started directly rather than through lab/platforms, which this test does not exercise.
  let app: RunningApp;
  const outRoot = mkdtempSync(join(os.tmpdir(), "load-autocannon-"));
  const spec = (workload: LoadSpec["workload"]): LoadSpec => ({
    baseUrl: app.baseUrl,
    workload,
    executor: "constant-vus",
    vus: 8,
    warmupS: 1,
    durationS: 2,
    requestTimeoutS: 10,
  });

  before(async () => {
    app = await startNodeApp();
  });
  after(async () => {
    await app?.stop();
    rmSync(outRoot, { recursive: true, force: true });
  });

  for (const workload of ["io", "compute"] as const) {
    it(`measures /${workload}`, async () => {
      const outDir = join(outRoot, workload);
      const result = await runLoad(spec(workload), outDir, { generator: "autocannon" });
      const { summary, generatorCpu } = result;
      assert.deepEqual(LoadSummarySchema.parse(summary), summary);
      assert.equal(summary.generator, "autocannon");
      assert.equal(summary.url, `${app.baseUrl}/${workload}`);
      assert.ok(summary.requests > 0, "some requests were made");
      assert.equal(summary.failedRequests, 0);
      const { p50, p95, p99, max } = summary.latencyMs;
      assert.ok(p50 !== null && p95 !== null && p99 !== null && max !== null, "latencies are reported");
      assert.ok(p50 <= p95 && p95 <= p99 && p99 <= max, JSON.stringify(summary.latencyMs));
      // Divided by the real elapsed time, which is the nominal 2 s give or take a tick.
      const nominal = summary.requests / summary.durationS;
      assert.ok(Math.abs(summary.throughputRps - nominal) / nominal < 0.15, `${summary.throughputRps} vs ${nominal}`);
      assert.ok(generatorCpu.cores > 0, JSON.stringify(generatorCpu));
      assert.equal(generatorCpu.coresAvailable, 1);
      assert.deepEqual(result.rawFiles, [SUMMARY_FILE, GENERATOR_SUMMARY_FILE, LOG_FILE, COMMAND_FILE]);
      assert.ok(result.commandLine.includes("autocannonCli.ts"), result.commandLine);
      for (const file of result.rawFiles) assert.ok(existsSync(join(outDir, file)), `${file} exists`);
    });
  }

  // 500 ms lands while the CLI is still starting; 1500 ms in the warm-up, where it stops autocannon.
  for (const abortAfterMs of [500, 1_500]) {
    it(`stops the generator and rejects when aborted after ${abortAfterMs} ms`, async () => {
      const controller = new AbortController();
      let pid: number | undefined;
      const startedAt = performance.now();
      setTimeout(() => controller.abort(), abortAfterMs);
      const longRun = { ...spec("io"), durationS: 30 };
      await assert.rejects(
        runLoad(longRun, join(outRoot, `aborted-${abortAfterMs}`), {
          generator: "autocannon",
          signal: controller.signal,
          onSpawn: (p) => {
            pid = p;
          },
        }),
        (e: unknown) => e instanceof Error && e.name === "AbortError",
      );
      const afterAbortMs = performance.now() - startedAt - abortAfterMs;
      assert.ok(afterAbortMs < 3_000, `rejected ${Math.round(afterAbortMs)} ms after the abort`);
      assert.ok(pid !== undefined, "the generator was started");
      assert.throws(() => process.kill(pid as number, 0), { code: "ESRCH" }, "no generator process is left");
    });
  }

  it("exits 2 naming the flag, the value and what is allowed", () => {
    const cli = join(repoRoot, "lab", "load", "autocannonCli.ts");
    const args = ["--url", app.baseUrl, "--workload", "io", "--executor", "constant-vus", "--vus", "many"];
    args.push("--warmup", "0", "--duration", "1", "--timeout", "1", "--summary", join(outRoot, "never.json"));
    const result = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { cwd: repoRoot, encoding: "utf8" });
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim(), '--vus "many" is not allowed: use a whole number of 1 or more');
  });
});

/**
 * runLoad's k6 branch, with a stand-in for the k6 binary (k6 is not installable here): it answers
 * `k6 version` like k6 v1 and, for `run`, writes a summary from the -e parameters it was given.
 */
describe("runLoad with k6 (a stand-in binary)", () => {
  const dir = mkdtempSync(join(os.tmpdir(), "load-k6-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const spec: LoadSpec = {
    baseUrl: "http://127.0.0.1:9",
    workload: "compute",
    executor: "constant-arrival-rate",
    rate: 50,
    vus: 4,
    warmupS: 0,
    durationS: 1,
    requestTimeoutS: 5,
  };
  const stub = (name: string, onRun: string) => {
    const path = join(dir, name);
    const body = `#!${process.execPath}
const args = process.argv.slice(2);
if (args[0] === "version") {
  console.log("k6 v1.3.0 (commit/5870e99ae8, go1.24.6, linux/amd64)");
  process.exit(0);
}
const env = {};
args.forEach((a, i) => { if (args[i - 1] === "-e") { const at = a.indexOf("="); env[a.slice(0, at)] = a.slice(at + 1); } });
${onRun}
`;
    writeFileSync(path, body, { mode: 0o755 });
    return path;
  };
  const writesSummary = stub(
    "k6-ok",
    `const end = Date.now() + 300; while (Date.now() < end) {} // some CPU to measure
const latencyMs = { mean: 1, stddev: 0, min: 1, p50: 1, p90: 1, p95: 1, p99: 1, max: 1 };
require("node:fs").writeFileSync(env.SUMMARY_PATH, JSON.stringify({
  generator: "k6", generatorVersion: env.K6_VERSION, url: env.TARGET_URL + "/" + env.WORKLOAD,
  workload: env.WORKLOAD, executor: env.EXECUTOR, vus: +env.VUS, rate: +env.RATE, warmupS: +env.WARMUP_S,
  durationS: +env.DURATION_S, requests: 50, failedRequests: 0, timeouts: 0, droppedIterations: 0,
  throughputRps: 50, okThroughputRps: 50, latencyMs }));
console.log(JSON.stringify(args));`,
  );

  it("runs k6 with k6Argv and reads its summary", async () => {
    const outDir = join(dir, "ok");
    const result = await runLoad(spec, outDir, { binary: writesSummary });
    assert.equal(result.summary.generator, "k6");
    assert.equal(result.summary.generatorVersion, "1.3.0");
    assert.equal(result.summary.rate, 50);
    assert.equal(result.summary.url, "http://127.0.0.1:9/compute");
    // Its cores are those beside a 1-CPU app, not the whole machine's (bug 1 of issue 9).
    assert.equal(result.generatorCpu.coresAvailable, coresBesideApp(1).count);
    assert.ok(result.generatorCpu.cpuSeconds > 0, JSON.stringify(result.generatorCpu));
    const log = readFileSync(join(outDir, LOG_FILE), "utf8");
    assert.ok(log.includes(join(repoRoot, "k6", "load.js")), log);
  });

  it("keeps k6's per-request warnings out of load.log, counted, and the command in load-command.sh", async () => {
    const noisy = stub(
      "k6-noisy",
      `const line = 'time="2026-11-30T02:19:16Z" level=warning msg="Request Failed" error="dial tcp 127.0.0.1:9: connect: connection refused"';
for (let i = 0; i < 5000; i++) console.error(line);
const latencyMs = { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
require("node:fs").writeFileSync(env.SUMMARY_PATH, JSON.stringify({
  generator: "k6", generatorVersion: env.K6_VERSION, url: env.TARGET_URL + "/" + env.WORKLOAD,
  workload: env.WORKLOAD, executor: env.EXECUTOR, vus: +env.VUS, rate: +env.RATE, warmupS: +env.WARMUP_S,
  durationS: +env.DURATION_S, requests: 5000, failedRequests: 5000, timeouts: 0, droppedIterations: 0,
  throughputRps: 5000, okThroughputRps: 0, latencyMs }));
console.log(JSON.stringify({ requests: 5000, failed: 5000 }));`,
    );
    const outDir = join(dir, "noisy");
    const result = await runLoad(spec, outDir, { binary: noisy });
    assert.equal(result.suppressedLogLines, 5000);
    const log = readFileSync(join(outDir, LOG_FILE), "utf8").trimEnd().split("\n");
    assert.deepEqual(log.slice(0, 2), [
      '{"requests":5000,"failed":5000}',
      "[lab] 5000 per-request line(s) left out of this log; the first was:",
    ]);
    assert.equal(log.length, 3);
    const command = readFileSync(join(outDir, COMMAND_FILE), "utf8");
    assert.ok(
      command.includes(`${noisy} run --quiet --no-color --no-usage-report -e TARGET_URL=http://127.0.0.1:9`),
      command,
    );
  });

  it("names the generator, the exit code and the end of load.log when k6 fails", async () => {
    const fails = stub("k6-fails", `console.error("script error: boom"); process.exit(107);`);
    await assert.rejects(runLoad(spec, join(dir, "fails"), { binary: fails }), (e: unknown) => {
      const message = e instanceof Error ? e.message : "";
      return /^k6 failed \(exit 107\)/.test(message) && message.includes("script error: boom");
    });
    const silent = stub("k6-silent", "process.exit(0);");
    await assert.rejects(runLoad(spec, join(dir, "silent"), { binary: silent }), /k6 wrote no load-summary\.json/);
  });
});
