/**
 * The load generator where k6 is not installed (this machine, CI): autocannon driven through its
 * programmatic API, reporting the same LoadSummary as k6/load.js so results line up.
 *
 * Differences from k6 worth knowing when reading its figures:
 * - autocannon runs on one event loop, so it saturates one core long before k6 does; runLoad
 *   flags such runs as generator-bound.
 * - constant-arrival-rate maps to autocannon's overallRate, which paces each connection
 *   (rate / connections per second) rather than starting requests on a clock the way k6 does:
 *   a slow reply delays that connection's next request instead of being counted as a dropped
 *   iteration. autocannon has no such count, so droppedIterations is always 0 here.
 * - throughput divides by the measured run's real elapsed time, not the nominal duration, since
 *   autocannon only notices its end on the next one-second sample tick.
 */
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import * as hdr from "hdr-histogram-js";
import { validateLoadSpec } from "./k6";
import type { LoadSpec, LoadSummary } from "./types";

type Latency = LoadSummary["latencyMs"];

/**
 * Every response latency of a run. autocannon's own result has no p95, so percentiles come from an
 * HDR histogram of microseconds (sub-millisecond /io replies would otherwise all land on 0 or 1);
 * mean, stddev, min and max are kept exactly, as k6/load.js does with its sums.
 */
class LatencyRecorder {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  private count = 0;
  private mean = 0;
  /** Welford's sum of squared deviations: no cancellation, unlike a sum of squares. */
  private m2 = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  record(ms: number): void {
    this.histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
    this.count++;
    const delta = ms - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (ms - this.mean);
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
  }

  summary(): Latency {
    if (this.count === 0) {
      return { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
    }
    // A histogram bucket's value can sit a little outside the exact extremes: clamp so p99 <= max.
    const at = (p: number) => Math.min(this.max, Math.max(this.min, this.histogram.getValueAtPercentile(p) / 1000));
    return {
      mean: this.mean,
      stddev: Math.sqrt(Math.max(0, this.m2 / this.count)),
      min: this.min,
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max: this.max,
    };
  }
}

interface PhaseResult {
  elapsedS: number;
  responses: number;
  ok: number;
  /** Connection errors, timeouts included (autocannon counts a timeout in both). */
  errors: number;
  timeouts: number;
}

/** One autocannon run of `seconds`; latencies go to `recorder` when given. */
function runPhase(
  spec: LoadSpec,
  seconds: number,
  recorder: LatencyRecorder | null,
  signal: AbortSignal | undefined,
): Promise<PhaseResult> {
  const options: autocannon.Options = {
    url: `${spec.baseUrl}/${spec.workload}`,
    method: "GET",
    connections: spec.vus,
    duration: seconds,
    timeout: spec.requestTimeoutS,
  };
  if (spec.executor === "constant-arrival-rate") options.overallRate = spec.rate;
  return new Promise((resolve, reject) => {
    let responses = 0;
    let ok = 0;
    let aborted = false;
    const startedAt = performance.now();
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => {
      signal?.removeEventListener("abort", onAbort);
      if (aborted) return reject(signal?.reason);
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({
        elapsedS: (performance.now() - startedAt) / 1000,
        responses,
        ok,
        errors: result.errors,
        timeouts: result.timeouts,
      });
    });
    instance.on("response", (_client: autocannon.Client, statusCode: number, _bytes: number, ms: number) => {
      responses++;
      if (statusCode >= 200 && statusCode < 300) ok++;
      recorder?.record(ms);
    });
    // stop() takes effect on autocannon's next sample tick (up to 1 s); the callback then rejects.
    function onAbort(): void {
      aborted = true;
      instance.stop();
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

let cachedVersion: string | undefined;

/** The installed autocannon's version, as recorded in the summary. */
export function autocannonVersion(): string {
  cachedVersion ??= (
    JSON.parse(readFileSync(require.resolve("autocannon/package.json"), "utf8")) as { version: string }
  ).version;
  return cachedVersion;
}

/** Warm up (not counted), then measure; rejects with the signal's reason when aborted. */
export async function runFallbackLoad(spec: LoadSpec, opts: { signal?: AbortSignal } = {}): Promise<LoadSummary> {
  validateLoadSpec(spec);
  const { signal } = opts;
  signal?.throwIfAborted();
  if (spec.warmupS > 0) await runPhase(spec, spec.warmupS, null, signal);
  signal?.throwIfAborted();
  const recorder = new LatencyRecorder();
  const measured = await runPhase(spec, spec.durationS, recorder, signal);
  const requests = measured.responses + measured.errors;
  // errors already include timeouts, so they are not added a second time.
  const failedRequests = measured.responses - measured.ok + measured.errors;
  return {
    generator: "autocannon",
    generatorVersion: autocannonVersion(),
    url: `${spec.baseUrl}/${spec.workload}`,
    workload: spec.workload,
    executor: spec.executor,
    vus: spec.vus,
    rate: spec.executor === "constant-arrival-rate" ? (spec.rate ?? null) : null,
    warmupS: spec.warmupS,
    durationS: spec.durationS,
    requests,
    failedRequests,
    timeouts: measured.timeouts,
    droppedIterations: 0,
    throughputRps: requests / measured.elapsedS,
    okThroughputRps: measured.ok / measured.elapsedS,
    latencyMs: recorder.summary(),
  };
}
