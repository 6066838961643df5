// Load for one cell of the sweep: k6 against /<workload> (/io, /compute, ...), warm-up excluded, one JSON summary.
//
//   k6 run -e TARGET_URL=http://10.0.0.2:8080 -e WORKLOAD=io -e VUS=100 -e DURATION_S=30 \
//          -e WARMUP_S=10 -e SUMMARY_PATH=/tmp/cell.json k6/load.js
//
// Parameters come from __ENV with the paper's defaults: 100 connections (constant VUs, a closed
// model) for 30 s after a warm-up that is run but never counted. EXECUTOR=constant-arrival-rate
// with RATE=<req/s> gives an open model instead; k6 then counts dropped iterations when VUs run out.
//
// Why the extra metrics: k6's summaryTrendStats cannot give a standard deviation, so the script
// sums durations and their squares in Counters and computes the jitter in handleSummary. Every
// metric carries the scenario's `phase` tag, and only phase:measure is reported.
//
// Latency describes ok responses only: a refused connection "lasts" about 0 ms, so counting failed
// requests made OOM cells report a mean of 0 ms. The percentiles come from the
// expected_response:true sub-metric and the sums only add 2xx replies; with no ok reply every
// latency figure is null.
import http from "k6/http";
import { Counter } from "k6/metrics";

function intFromEnv(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} is not allowed: use a whole number`);
  return value;
}

const TARGET_URL = __ENV.TARGET_URL || "http://127.0.0.1:8080";
const WORKLOAD = __ENV.WORKLOAD || "io";
const EXECUTOR = __ENV.EXECUTOR || "constant-vus";
const VUS = intFromEnv("VUS", 100);
const RATE = intFromEnv("RATE", 1000);
const DURATION_S = intFromEnv("DURATION_S", 30);
const WARMUP_S = intFromEnv("WARMUP_S", 10);
const REQUEST_TIMEOUT = __ENV.REQUEST_TIMEOUT || "10s";
const SUMMARY_PATH = __ENV.SUMMARY_PATH || "k6-summary.json";

// Which workloads exist is the lab's to say (workloads/endpoints.ts checks it before k6 runs); here
// only that the name is one that fits in a URL path.
if (!/^[a-z][a-z0-9]*$/.test(WORKLOAD)) {
  throw new Error(`WORKLOAD=${WORKLOAD} is not allowed: use a workload name such as io or compute`);
}
if (EXECUTOR !== "constant-vus" && EXECUTOR !== "constant-arrival-rate") {
  throw new Error(`EXECUTOR=${EXECUTOR} is not allowed: use constant-vus or constant-arrival-rate`);
}
if (DURATION_S < 1 || VUS < 1) throw new Error("DURATION_S and VUS must be 1 or more");

const URL = `${TARGET_URL}/${WORKLOAD}`;
// k6 marks a request that hit REQUEST_TIMEOUT with this error code.
const K6_TIMEOUT_ERROR_CODE = 1050;

const durationSum = new Counter("lab_duration_sum_ms");
const durationSquares = new Counter("lab_duration_squares_ms2");
const samples = new Counter("lab_samples");
const timeouts = new Counter("lab_timeouts");

function scenario(phase, startSeconds, seconds) {
  // gracefulStop 0s: a warm-up iteration must not spill into the measured window.
  const common = { startTime: `${startSeconds}s`, tags: { phase }, gracefulStop: "0s" };
  if (EXECUTOR === "constant-arrival-rate") {
    return {
      ...common,
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: `${seconds}s`,
      preAllocatedVUs: VUS,
      maxVUs: VUS,
    };
  }
  return { ...common, executor: "constant-vus", vus: VUS, duration: `${seconds}s` };
}

const scenarios = { measure: scenario("measure", WARMUP_S, DURATION_S) };
if (WARMUP_S > 0) scenarios.warmup = scenario("warmup", 0, WARMUP_S);

export const options = {
  scenarios,
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "count"],
  // Thresholds that always pass: they only make k6 keep the phase:measure sub-metrics.
  thresholds: {
    "http_req_duration{phase:measure,expected_response:true}": ["max>=0"],
    "http_reqs{phase:measure}": ["count>=0"],
    "http_req_failed{phase:measure}": ["rate>=0"],
    "lab_duration_sum_ms{phase:measure}": ["count>=0"],
    "lab_duration_squares_ms2{phase:measure}": ["count>=0"],
    "lab_samples{phase:measure}": ["count>=0"],
    "lab_timeouts{phase:measure}": ["count>=0"],
    "dropped_iterations{phase:measure}": ["count>=0"],
  },
};

/** A reply the app meant: 2xx. Failed connections have status 0 and are left out of the latency. */
export function isOk(res) {
  return res.status >= 200 && res.status < 300;
}

export default function () {
  const res = http.get(URL, { timeout: REQUEST_TIMEOUT });
  if (res.error_code === K6_TIMEOUT_ERROR_CODE) timeouts.add(1);
  if (!isOk(res)) return;
  const ms = res.timings.duration;
  durationSum.add(ms);
  durationSquares.add(ms * ms);
  samples.add(1);
}

function metricValues(data, name, extraTag) {
  const metric = data.metrics[`${name}{phase:measure${extraTag ? `,${extraTag}` : ""}}`];
  return metric ? metric.values : {};
}

/** The summary in the field names of the lab's cell results (camelCase, milliseconds). */
export function summarize(data) {
  const requests = metricValues(data, "http_reqs").count || 0;
  const failedRate = metricValues(data, "http_req_failed").rate || 0;
  const n = metricValues(data, "lab_samples").count || 0;
  const duration = n > 0 ? metricValues(data, "http_req_duration", "expected_response:true") : {};
  const sum = metricValues(data, "lab_duration_sum_ms").count || 0;
  const squares = metricValues(data, "lab_duration_squares_ms2").count || 0;
  const mean = n > 0 ? sum / n : null;
  // Population variance from the two sums; clamp rounding noise below zero.
  const stddev = n > 0 ? Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2)) : null;
  const failedRequests = Math.round(failedRate * requests);
  return {
    generator: "k6",
    generatorVersion: __ENV.K6_VERSION || null,
    url: URL,
    workload: WORKLOAD,
    executor: EXECUTOR,
    vus: VUS,
    rate: EXECUTOR === "constant-arrival-rate" ? RATE : null,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
    requests,
    failedRequests,
    timeouts: metricValues(data, "lab_timeouts").count || 0,
    droppedIterations: metricValues(data, "dropped_iterations").count || 0,
    throughputRps: requests / DURATION_S,
    okThroughputRps: (requests - failedRequests) / DURATION_S,
    latencyMs: {
      mean,
      stddev,
      min: duration.min ?? null,
      p50: duration.med ?? null,
      p90: duration["p(90)"] ?? null,
      p95: duration["p(95)"] ?? null,
      p99: duration["p(99)"] ?? null,
      max: duration.max ?? null,
    },
  };
}

export function handleSummary(data) {
  const summary = summarize(data);
  return {
    [SUMMARY_PATH]: `${JSON.stringify(summary, null, 2)}\n`,
    stdout: `${JSON.stringify({ requests: summary.requests, throughputRps: summary.throughputRps, failed: summary.failedRequests })}\n`,
  };
}
