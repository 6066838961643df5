/** wrk's command line and the parser, against output captured from a real wrk 4.1.0 (fixtures/wrk-4.1.0). */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type LoadSpec, LoadSummarySchema } from "../../core/load/types";
import { LoadSpecError } from "./k6";
import type { CommandTarget } from "./plugin";
import { paperWrkSpec, parseWrkOutput, parseWrkVersion, wrkGenerator, wrkThreads } from "./wrk";

const fixtures = join(__dirname, "fixtures", "wrk-4.1.0");
const captured = (name: string) => {
  const summary = join(fixtures, name, "wrk-summary.json");
  return {
    summaryText: existsSync(summary) ? readFileSync(summary, "utf8") : null,
    log: readFileSync(join(fixtures, name, "wrk-output.txt"), "utf8"),
  };
};
// The settings the fixtures were captured with (see fixtures/wrk-4.1.0/README.md).
const spec = (workload: LoadSpec["workload"]): LoadSpec => ({
  baseUrl: "http://127.0.0.1:18091",
  workload,
  executor: "constant-vus",
  vus: 16,
  warmupS: 0,
  durationS: 3,
  requestTimeoutS: 5,
});
const target: CommandTarget = {
  labDir: "/opt/edge lab",
  summaryPath: "generator-summary.json",
  version: "4.1.0",
  cores: 2,
  tsNode: ["tsx"],
};

describe("wrk's version", () => {
  it("reads Debian's `wrk -v` and an upstream build's", () => {
    assert.equal(parseWrkVersion(readFileSync(join(fixtures, "wrk-version.txt"), "utf8")), "4.1.0");
    assert.equal(parseWrkVersion("wrk 4.2.0 [epoll] Copyright (C) 2012 Will Glozer\n"), "4.2.0");
    assert.equal(parseWrkVersion("bash: wrk: command not found"), null);
  });
});

describe("wrk's command line", () => {
  it("warms up in a run of its own that writes no summary, then measures", () => {
    const { warmup, measure } = wrkGenerator.commands({ ...spec("io"), warmupS: 2 }, target);
    assert.deepEqual(warmup, [
      "env",
      "LAB_WRK_SUMMARY=",
      "wrk",
      "--threads=2",
      "--connections=16",
      "--duration=2s",
      "--timeout=5s",
      "--script=/opt/edge lab/lab/load/wrk/summary.lua",
      "http://127.0.0.1:18091/io",
    ]);
    assert.deepEqual(measure.slice(0, 3), ["env", "LAB_WRK_SUMMARY=generator-summary.json", "wrk"]);
    assert.ok(measure.includes("--duration=3s"));
  });

  it("POSTs the apps' built-in payload to /compute", () => {
    const { warmup, measure } = wrkGenerator.commands(spec("compute"), target);
    assert.equal(warmup, null, "no warm-up run when warmupS is 0");
    assert.deepEqual(measure.slice(0, 4), [
      "env",
      "LAB_WRK_SUMMARY=generator-summary.json",
      "LAB_WRK_METHOD=POST",
      "LAB_WRK_BODY=unikernels-vs-containers:compute",
    ]);
    assert.equal(measure.at(-1), "http://127.0.0.1:18091/compute");
  });

  it("takes its threads from the spec, else one per core, never more than its connections", () => {
    assert.equal(wrkThreads(spec("io"), 2), 2);
    assert.equal(wrkThreads({ ...spec("io"), threads: 4 }, 2), 4);
    assert.equal(wrkThreads({ ...spec("io"), vus: 3 }, 8), 3);
    assert.equal(wrkGenerator.usableCores(1, { ...spec("io"), threads: 4 }), 1);
    assert.equal(wrkGenerator.usableCores(8, { ...spec("io"), threads: 4 }), 4);
  });

  it("has the paper's exact setting as a named option: 4 threads, 100 connections, 30 s", () => {
    const { measure } = wrkGenerator.commands(paperWrkSpec(spec("io")), target);
    assert.deepEqual(measure.slice(3, 6), ["--threads=4", "--connections=100", "--duration=30s"]);
  });

  it("refuses an arrival rate (that is wrk2), naming the field", () => {
    assert.throws(
      () => wrkGenerator.commands({ ...spec("io"), executor: "constant-arrival-rate", rate: 100 }, target),
      (e: unknown) =>
        e instanceof LoadSpecError &&
        /executor = "constant-arrival-rate" is not allowed: use constant-vus with wrk/.test(e.message),
    );
  });
});

describe("parseWrkOutput (real wrk 4.1.0 output)", () => {
  it("reads the Go app's /io run: microseconds to milliseconds, no failure", () => {
    const summary = parseWrkOutput(captured("ok-go-io"), spec("io"), "4.1.0");
    assert.deepEqual(LoadSummarySchema.parse(summary), summary);
    assert.equal(summary.requests, 114473);
    assert.equal(summary.failedRequests, 0);
    assert.equal(summary.okThroughputRps, 114473 / 3.004204);
    assert.equal(summary.throughputRps, summary.okThroughputRps);
    assert.deepEqual(summary.latencyMs, {
      mean: 0.7883092161454746,
      stddev: 1.6129303456260473,
      min: 0.017,
      p50: 0.354,
      p90: 2.066,
      p95: 3.018,
      p99: 5.313,
      max: 27.357,
    });
    // The same figures wrk printed itself.
    assert.match(captured("ok-go-io").log, /114473 requests in 3\.00s/);
  });

  it("reads the POST /compute run", () => {
    const summary = parseWrkOutput(captured("ok-go-compute"), spec("compute"), "4.1.0");
    assert.equal(summary.url, "http://127.0.0.1:18091/compute");
    assert.equal(summary.requests, 36906);
    assert.equal(Math.round(summary.okThroughputRps), 12250); // wrk printed "Requests/sec: 12249.86"
    assert.equal(summary.latencyMs.stddev, 1918.3326594683442 / 1000); // wrk printed "Stdev 1.92ms"
  });

  it("counts a killed app's socket errors as failed requests, beside the replies it gave before", () => {
    const summary = parseWrkOutput(captured("killed-node-io"), spec("io"), "4.1.0");
    assert.deepEqual(summary.errors, { connect: 0, read: 16, write: 32776, timeout: 0, status: 0 });
    assert.equal(summary.requests, 7609 + 16 + 32776);
    assert.equal(summary.failedRequests, 16 + 32776);
    assert.equal(summary.okThroughputRps, 7609 / 3.088582);
    assert.ok(summary.throughputRps > 5 * summary.okThroughputRps, "the failures are not throughput");
    assert.equal(summary.latencyMs.p99, 86.616);
  });

  it("reads a refused start (nothing listening) as no ok reply: null latency, ok throughput 0", () => {
    const output = captured("refused");
    assert.equal(output.summaryText, null, "wrk exits before done()");
    const summary = parseWrkOutput(output, spec("io"), "4.1.0");
    assert.equal(summary.okThroughputRps, 0);
    assert.equal(summary.failedRequests, summary.requests);
    assert.equal(summary.errors?.connect, 1);
    assert.deepEqual(Object.values(summary.latencyMs), [null, null, null, null, null, null, null, null]);
  });

  it("names what is wrong with a summary it cannot read", () => {
    assert.throws(() => parseWrkOutput({ summaryText: null, log: "" }, spec("io"), null), /summary\.lua wrote no file/);
    assert.throws(() => parseWrkOutput({ summaryText: "{", log: "" }, spec("io"), null), /wrk summary.*not JSON/s);
    const broken = JSON.stringify({ ...JSON.parse(captured("ok-go-io").summaryText ?? "{}"), requests: -1 });
    assert.throws(() => parseWrkOutput({ summaryText: broken, log: "" }, spec("io"), null), /requests/);
  });
});
