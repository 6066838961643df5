/**
 * The k6 script's own logic (parameters, scenarios, the summary it writes), run under Node with
 * stand-ins for the two k6 modules it imports. k6 itself is not installable here; what k6 does
 * with `options` is its documented behaviour, and the summary fields are what the lab reads.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

interface K6Script {
  options: { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, string[]> };
  summarize: (data: unknown) => Record<string, unknown> & { latencyMs: Record<string, number | null> };
  handleSummary: (data: unknown) => Record<string, string>;
  main: () => void;
}

/** What the stand-in Counters were given, by metric name. */
type Added = Record<string, number[]>;

const source = readFileSync(join(__dirname, "load.js"), "utf8");

function loadScript(
  env: Record<string, string>,
  replies: Array<{ status: number; duration: number; error_code?: number }> = [],
  added: Added = {},
): K6Script {
  const body = source
    .replace(/^import .*$/gm, "")
    .replace(/^export default function/m, "function main")
    .replace(/^export (const|function)/gm, "$1");
  let next = 0;
  const http = {
    get: () => {
      const reply = replies[next++ % Math.max(1, replies.length)] ?? { status: 200, duration: 1 };
      return { status: reply.status, timings: { duration: reply.duration }, error_code: reply.error_code ?? 0 };
    },
  };
  class Counter {
    constructor(readonly name: string) {}
    add(value: number): void {
      added[this.name] = [...(added[this.name] ?? []), value];
    }
  }
  const factory = new Function(
    "__ENV",
    "http",
    "Counter",
    `${body}\nreturn { options, summarize, handleSummary, main };`,
  );
  return factory(env, http, Counter) as K6Script;
}

const measured = (values: Record<string, number>) => ({ values });

describe("k6/load.js", () => {
  it("runs the paper's defaults: 100 VUs for 30 s after a 10 s warm-up", () => {
    const { options } = loadScript({});
    assert.deepEqual(options.scenarios.warmup, {
      startTime: "0s",
      tags: { phase: "warmup" },
      gracefulStop: "0s",
      executor: "constant-vus",
      vus: 100,
      duration: "10s",
    });
    assert.equal(options.scenarios.measure?.startTime, "10s");
    assert.equal(options.scenarios.measure?.duration, "30s");
    assert.ok(options.thresholds["http_req_duration{phase:measure,expected_response:true}"]);
  });

  it("offers an open model with a fixed arrival rate", () => {
    const { options } = loadScript({ EXECUTOR: "constant-arrival-rate", RATE: "5000", VUS: "200", WARMUP_S: "0" });
    assert.equal(options.scenarios.warmup, undefined, "no warm-up scenario when WARMUP_S=0");
    assert.deepEqual(
      { ...options.scenarios.measure },
      {
        startTime: "0s",
        tags: { phase: "measure" },
        gracefulStop: "0s",
        executor: "constant-arrival-rate",
        rate: 5000,
        timeUnit: "1s",
        duration: "30s",
        preAllocatedVUs: 200,
        maxVUs: 200,
      },
    );
  });

  it("rejects bad parameters by name", () => {
    assert.throws(() => loadScript({ WORKLOAD: "../disk" }), /WORKLOAD=\.\.\/disk is not allowed: use a workload name/);
    assert.throws(() => loadScript({ VUS: "-3" }), /VUS=-3 is not allowed/);
    assert.throws(() => loadScript({ EXECUTOR: "ramping-vus" }), /EXECUTOR=ramping-vus is not allowed/);
  });

  it("summarises only the measured phase, with jitter from the two sums", () => {
    const script = loadScript({ DURATION_S: "10", K6_VERSION: "1.3.0" });
    // Three measured requests of 1, 2 and 3 ms: mean 2, population stddev sqrt(2/3).
    const data = {
      metrics: {
        "http_req_duration{phase:measure,expected_response:true}": measured({
          min: 1,
          med: 2,
          max: 3,
          "p(90)": 2.8,
          "p(95)": 2.9,
          "p(99)": 2.98,
        }),
        // Four requests, one failed: the three ok ones are the latency samples.
        "http_reqs{phase:measure}": measured({ count: 4, rate: 0.1 }),
        "http_req_failed{phase:measure}": measured({ rate: 1 / 4 }),
        "http_req_duration{phase:measure}": measured({ min: 0, med: 1.5, max: 3 }),
        "lab_samples{phase:measure}": measured({ count: 3 }),
        "lab_duration_sum_ms{phase:measure}": measured({ count: 6 }),
        "lab_duration_squares_ms2{phase:measure}": measured({ count: 14 }),
        "lab_timeouts{phase:measure}": measured({ count: 1 }),
        http_reqs: measured({ count: 999 }),
      },
    };
    const summary = script.summarize(data);
    assert.equal(summary.requests, 4, "warm-up requests are not counted");
    assert.equal(summary.failedRequests, 1);
    assert.equal(summary.timeouts, 1);
    assert.equal(summary.droppedIterations, 0);
    assert.equal(summary.throughputRps, 0.4);
    assert.equal(summary.okThroughputRps, 0.3);
    assert.equal(summary.latencyMs.min, 1, "the failed request's ~0 ms is not the minimum");
    assert.equal(summary.generatorVersion, "1.3.0");
    assert.equal(summary.latencyMs.mean, 2);
    assert.ok(Math.abs((summary.latencyMs.stddev ?? 0) - Math.sqrt(2 / 3)) < 1e-12);
    assert.equal(summary.latencyMs.p99, 2.98);
    const files = script.handleSummary(data);
    assert.deepEqual(JSON.parse(files["k6-summary.json"] ?? "{}"), JSON.parse(JSON.stringify(summary)));
  });

  it("adds only ok replies to the latency sums, and counts timeouts", () => {
    const added: Added = {};
    const script = loadScript(
      {},
      [
        { status: 200, duration: 2 },
        { status: 0, duration: 0.01 }, // refused connection
        { status: 0, duration: 5000, error_code: 1050 }, // timeout
        { status: 503, duration: 1 },
        { status: 204, duration: 4 },
      ],
      added,
    );
    for (let i = 0; i < 5; i++) script.main();
    assert.deepEqual(added.lab_duration_sum_ms, [2, 4]);
    assert.deepEqual(added.lab_duration_squares_ms2, [4, 16]);
    assert.deepEqual(added.lab_samples, [1, 1]);
    assert.deepEqual(added.lab_timeouts, [1]);
  });

  it("reports null latency and ok throughput 0 when every request failed (an OOM-killed app)", () => {
    const script = loadScript({ DURATION_S: "3" });
    const summary = script.summarize({
      metrics: {
        // What k6 keeps when all 47,588 requests were refused: durations of about 0 ms.
        "http_req_duration{phase:measure}": measured({ min: 0, med: 0, max: 0.2, "p(99)": 0 }),
        "http_reqs{phase:measure}": measured({ count: 47588 }),
        "http_req_failed{phase:measure}": measured({ rate: 1 }),
      },
    });
    assert.equal(summary.okThroughputRps, 0);
    assert.equal(summary.failedRequests, 47588);
    assert.deepEqual(Object.values(summary.latencyMs), [null, null, null, null, null, null, null, null]);
  });
});
