/**
 * autocannon as a load generator (an npm dependency, so it is everywhere the lab is): driven
 * through its programmatic API by autocannonCli.ts, reporting the same LoadSummary as k6/load.js.
 *
 * Differences from k6 worth knowing when reading its figures:
 * - autocannon runs on one event loop, so it saturates one core long before k6 does; runLoad
 *   flags such runs as generator-bound.
 * - constant-arrival-rate maps to autocannon's overallRate, which gives each connection a quota
 *   (rate / connections per second) rather than starting requests on a clock the way k6 does:
 *   a slow reply delays that connection's next request instead of being counted as a dropped
 *   iteration. autocannon has no such count, so droppedIterations is always 0 here.
 * - the pacing is bursty: each connection sends its share of the second's requests as fast as it
 *   can, then waits for the next second.
 * - throughput divides by the measured window's real elapsed time (the nominal duration plus
 *   timer lateness, normally a millisecond or two), not the nominal duration.
 */
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import * as hdr from "hdr-histogram-js";
import type { LoadSpec, LoadSummary } from "../../core/load/types";
import { parseSummaryText, validateLoadSpec } from "./k6";
import type { LoadGenerator } from "./plugin";

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
  /** Connection errors, timeouts included (autocannon reports a timeout as an error too). */
  errors: number;
  timeouts: number;
}

/** autocannon 9's reqError for a request that hit `timeout` (lib/run.js onTimeout). */
const TIMEOUT_MESSAGE = "request timed out";
/** How often autocannon checks whether it should stop: also the longest stop() takes. */
const SAMPLE_INTERVAL_MS = 100;

/**
 * One autocannon run of `seconds`; latencies go to `recorder` when given.
 *
 * The window is closed by our own timer, not autocannon's: autocannon only notices its end on a
 * sample tick, and when that tick wins the race with its stop timer (as it does when the loop is
 * idle, e.g. under a rate limit) a 3 s run lasts 4 s. Responses after the window are ignored, like
 * k6's gracefulStop: 0s, so `seconds` is the window the figures describe.
 */
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
    // A backstop only: the timer below ends the run first.
    duration: seconds + 1,
    timeout: spec.requestTimeoutS,
    sampleInt: SAMPLE_INTERVAL_MS,
  };
  if (spec.executor === "constant-arrival-rate") options.overallRate = spec.rate;
  return new Promise((resolve, reject) => {
    const counts = { responses: 0, ok: 0, errors: 0, timeouts: 0 };
    let open = true;
    let aborted = false;
    let settled = false;
    let elapsedS: number | null = null;
    // Declared first: autocannon calls back synchronously when it rejects its options.
    let windowTimer: NodeJS.Timeout | undefined;
    const startedAt = performance.now();
    const close = () => {
      if (!open) return;
      open = false;
      elapsedS = (performance.now() - startedAt) / 1000;
    };
    const instance = autocannon(options, (error: unknown) => {
      settled = true;
      clearTimeout(windowTimer);
      signal?.removeEventListener("abort", onAbort);
      close();
      if (aborted) return reject(signal?.reason);
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({ elapsedS: elapsedS ?? seconds, ...counts });
    });
    instance.on("response", (_client: autocannon.Client, statusCode: number, _bytes: number, ms: number) => {
      if (!open) return;
      counts.responses++;
      if (statusCode >= 200 && statusCode < 300) counts.ok++;
      recorder?.record(ms);
    });
    instance.on("reqError", (error: unknown) => {
      if (!open) return;
      counts.errors++;
      if (error instanceof Error && error.message === TIMEOUT_MESSAGE) counts.timeouts++;
    });
    // stop() takes effect on autocannon's next sample tick; its callback then settles.
    function onAbort(): void {
      aborted = true;
      instance.stop();
    }
    if (settled) return;
    windowTimer = setTimeout(() => {
      close();
      instance.stop();
    }, seconds * 1000);
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
export async function runAutocannonLoad(spec: LoadSpec, opts: { signal?: AbortSignal } = {}): Promise<LoadSummary> {
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

/** The CLI's flags for one run (autocannonCli.ts parses them back). */
export function autocannonCliFlags(spec: LoadSpec, summaryPath: string): string[] {
  const flags = [
    ...["--url", spec.baseUrl, "--workload", spec.workload, "--executor", spec.executor],
    ...["--vus", String(spec.vus), "--warmup", String(spec.warmupS), "--duration", String(spec.durationS)],
    ...["--timeout", String(spec.requestTimeoutS), "--summary", summaryPath],
  ];
  if (spec.executor === "constant-arrival-rate") flags.push("--rate", String(spec.rate));
  return flags;
}

export const autocannonGenerator: LoadGenerator = {
  name: "autocannon",
  referenceOkRpsPerCore: 23_788, // autocannon 9.0.0, one core, /io against a native Go app (docs/design.md, load generators)
  install: { npmPackage: "autocannon", howTo: "run npm ci in the lab's folder (autocannon is a dependency)" },
  // The version is the installed package's; asking Node keeps the probe a command like the others'.
  versionCommand: () => [
    process.execPath,
    "-p",
    `require(${JSON.stringify(require.resolve("autocannon/package.json"))}).version`,
  ],
  parseVersion: (output) => /^(\d+\.\d+\.\d+\S*)\s*$/m.exec(output)?.[1] ?? null,
  commands: (spec, target) => {
    validateLoadSpec(spec);
    return {
      // The CLI warms up itself and counts only the measured window.
      warmup: null,
      measure: [
        ...target.tsNode,
        `${target.labDir}/lab/load/autocannonCli.ts`,
        ...autocannonCliFlags(spec, target.summaryPath),
      ],
    };
  },
  parseOutput: (output) => {
    if (output.summaryText === null) throw new Error("autocannonCli wrote no summary: see load.log");
    return parseSummaryText(output.summaryText, "autocannon summary");
  },
  // One event loop: one core, whatever it is given.
  usableCores: () => 1,
};
