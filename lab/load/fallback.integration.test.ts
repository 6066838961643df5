/**
 * The fallback generator end to end: the real Node app on this machine, loaded through runLoad as
 * a child process, exactly as a sweep cell on a machine without k6.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../paths";
import { freePort } from "../ports";
import { waitForReady } from "../ready";
import { LOG_FILE, runLoad, SUMMARY_FILE } from "./generator";
import { type LoadSpec, LoadSummarySchema } from "./types";

describe("runLoad with the autocannon fallback", () => {
  // Started directly rather than through lab/platforms, which this test does not exercise.
  let app: { baseUrl: string; child: ChildProcess };
  const outRoot = mkdtempSync(join(os.tmpdir(), "load-fallback-"));
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
    const port = await freePort();
    const launchedAt = performance.now();
    const child = spawn(process.execPath, [join(repoRoot, "workloads/node/app.js")], {
      env: { ...process.env, PORT: String(port) },
      stdio: "ignore",
    });
    app = { baseUrl: `http://127.0.0.1:${port}`, child };
    await waitForReady(`${app.baseUrl}/io`, launchedAt, { isAlive: () => child.exitCode === null });
  });
  after(async () => {
    if (app && app.child.exitCode === null) {
      const exited = once(app.child, "exit");
      app.child.kill("SIGTERM");
      await exited;
    }
    rmSync(outRoot, { recursive: true, force: true });
  });

  for (const workload of ["io", "compute"] as const) {
    it(`measures /${workload}`, async () => {
      const outDir = join(outRoot, workload);
      const result = await runLoad(spec(workload), outDir, { prefer: "autocannon" });
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
      assert.deepEqual(result.rawFiles, [SUMMARY_FILE, LOG_FILE]);
      for (const file of result.rawFiles) assert.ok(existsSync(join(outDir, file)), `${file} exists`);
    });
  }

  it("stops the generator and rejects when aborted", async () => {
    const controller = new AbortController();
    let pid: number | undefined;
    const startedAt = performance.now();
    setTimeout(() => controller.abort(), 500);
    const longRun = { ...spec("io"), durationS: 30 };
    await assert.rejects(
      runLoad(longRun, join(outRoot, "aborted"), {
        prefer: "autocannon",
        signal: controller.signal,
        onSpawn: (p) => {
          pid = p;
        },
      }),
      (e: unknown) => e instanceof Error && e.name === "AbortError",
    );
    const elapsedMs = performance.now() - startedAt;
    assert.ok(elapsedMs < 3_500, `rejected after ${Math.round(elapsedMs)} ms`);
    assert.ok(pid !== undefined, "the generator was started");
    assert.throws(() => process.kill(pid as number, 0), { code: "ESRCH" }, "no generator process is left");
  });
});
