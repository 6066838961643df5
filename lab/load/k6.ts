/**
 * k6 as the lab's load generator: the command line for k6/load.js, the version it reports, and the
 * summary file its handleSummary writes. The spec checks live here too because k6/load.js has the
 * strictest limits (whole numbers only); wrk and autocannon apply the same ones so every generator
 * accepts the same specs.
 */
import { readFileSync } from "node:fs";
import { ConfigError, parseOrThrow } from "../../core/config/errors";
import { EXECUTORS, type LoadSpec, type LoadSummary, LoadSummarySchema } from "../../core/load/types";
import { MODEL_NAME } from "../../core/model";
import { sh } from "../../core/shell";
import { workloadNames } from "../../workloads/endpoints";
import type { CapturedOutput, LoadGenerator } from "./plugin";

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  // String() keeps NaN and Infinity readable; JSON.stringify would print null.
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

/** A LoadSpec field with a value the generators cannot run; names the field, value and what is allowed. */
export class LoadSpecError extends Error {
  constructor(
    readonly field: keyof LoadSpec,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`load spec ${field} = ${describeValue(value)} is not allowed: use ${allowed}`);
    this.name = "LoadSpecError";
  }
}

function wholeNumber(spec: LoadSpec, field: "vus" | "rate" | "durationS" | "warmupS" | "threads", min: 0 | 1): void {
  const value = spec[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new LoadSpecError(field, value, `a whole number of ${min} or more`);
  }
}

/** Throws a LoadSpecError for the first field the generators cannot run. */
export function validateLoadSpec(spec: LoadSpec): void {
  let url: URL | null = null;
  try {
    url = new URL(spec.baseUrl);
  } catch {
    url = null;
  }
  // The workload path is appended as `${baseUrl}/${workload}`: a trailing slash, query or hash would break it.
  if (!url || !["http:", "https:"].includes(url.protocol) || spec.baseUrl.endsWith("/") || url.search || url.hash) {
    throw new LoadSpecError(
      "baseUrl",
      spec.baseUrl,
      "an http(s) URL with no trailing slash, e.g. http://127.0.0.1:8080",
    );
  }
  // Which workloads exist is checked with the profile (workloads/endpoints.ts); a generator's own
  // process (autocannon's CLI, k6 on the load host) knows only that the name is a path segment.
  if (typeof spec.workload !== "string" || !MODEL_NAME.test(spec.workload)) {
    throw new LoadSpecError("workload", spec.workload, `a workload name such as ${workloadNames().join(" or ")}`);
  }
  if (!(EXECUTORS as readonly string[]).includes(spec.executor)) {
    throw new LoadSpecError("executor", spec.executor, EXECUTORS.join(" or "));
  }
  wholeNumber(spec, "vus", 1);
  if (spec.threads !== undefined) wholeNumber(spec, "threads", 1);
  // rate is ignored by constant-vus, so it is only checked where it matters.
  if (spec.executor === "constant-arrival-rate") wholeNumber(spec, "rate", 1);
  wholeNumber(spec, "warmupS", 0);
  wholeNumber(spec, "durationS", 1);
  const timeout = spec.requestTimeoutS;
  if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 1) {
    // autocannon rejects timeouts under 1 s.
    throw new LoadSpecError("requestTimeoutS", timeout, "a number of seconds of 1 or more");
  }
}

export interface K6ArgvOptions {
  /** k6/load.js, as the machine running k6 sees it. */
  scriptPath: string;
  /** Where handleSummary writes the LoadSummary JSON. */
  summaryPath: string;
  /** From parseK6Version; recorded in the summary when known. */
  k6Version: string | null;
}

/** The arguments after the `k6` binary for one run of k6/load.js. */
export function k6Argv(spec: LoadSpec, opts: K6ArgvOptions): string[] {
  validateLoadSpec(spec);
  if (opts.scriptPath === "") throw new Error("k6Argv: scriptPath is empty; give the path of k6/load.js");
  if (opts.summaryPath === "") throw new Error("k6Argv: summaryPath is empty; give where the summary goes");
  const env: [string, string][] = [
    ["TARGET_URL", spec.baseUrl],
    ["WORKLOAD", spec.workload],
    ["EXECUTOR", spec.executor],
    ["VUS", String(spec.vus)],
  ];
  // The script reads RATE only for the open model; passing it otherwise would suggest it matters.
  if (spec.executor === "constant-arrival-rate") env.push(["RATE", String(spec.rate)]);
  env.push(
    ["DURATION_S", String(spec.durationS)],
    ["WARMUP_S", String(spec.warmupS)],
    ["REQUEST_TIMEOUT", `${spec.requestTimeoutS}s`],
    ["SUMMARY_PATH", opts.summaryPath],
  );
  if (opts.k6Version !== null) env.push(["K6_VERSION", opts.k6Version]);
  // --quiet drops the progress bar (it would flood load.log); the summary file is the result.
  const argv = ["run", "--quiet", "--no-color", "--no-usage-report"];
  for (const [name, value] of env) argv.push("-e", `${name}=${value}`);
  argv.push(opts.scriptPath);
  return argv;
}

/** The same run as one shell line, for the scripts the Pulumi lab runs on a remote load generator. */
export function k6CommandLine(spec: LoadSpec, opts: K6ArgvOptions, k6Binary = "k6"): string {
  return sh`${[k6Binary, ...k6Argv(spec, opts)]}`.text;
}

/**
 * The version in `k6 version` output, without the leading v ("1.3.0"), or null when the output is
 * not k6's. The first line is `k6 v1.3.0 (commit/..., go1.24.6, linux/amd64)` (v0.x: a build date
 * instead of the commit); lines listing extensions may follow.
 */
export function parseK6Version(output: string): string | null {
  const match = /^\s*k6 v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?=[\s(]|$)/m.exec(output);
  return match?.[1] ?? null;
}

/** Read and check a summary file (k6/load.js's format, which the autocannon CLI writes too). */
export function readK6Summary(path: string): LoadSummary {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [`cannot read the load summary: ${(error as Error).message}`]);
  }
  return parseSummaryText(text, `load summary ${path}`);
}

/** Check a summary in k6/load.js's format; `what` names it in errors. */
export function parseSummaryText(text: string, what: string): LoadSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(what, [`not JSON: ${(error as Error).message}`]);
  }
  return parseOrThrow(LoadSummarySchema, data, what);
}

/**
 * k6/load.js's summary as the lab keeps it. Latency describes ok replies only: a summary with no
 * ok reply has none, whatever it says (a load.js before that rule summed refused connections as
 * ~0 ms durations and reported a mean of 0).
 */
export function parseK6Output(output: CapturedOutput, _spec: LoadSpec, version: string | null): LoadSummary {
  if (output.summaryText === null) throw new ConfigError("k6 summary", ["k6/load.js wrote no summary: see load.log"]);
  const summary = parseSummaryText(output.summaryText, "k6 summary");
  const ok = summary.requests - summary.failedRequests;
  const latencyMs =
    ok > 0
      ? summary.latencyMs
      : { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
  return { ...summary, generatorVersion: summary.generatorVersion ?? version, latencyMs };
}

/** k6 prints this once per failed request, whatever --quiet says. */
export const K6_REQUEST_FAILED_LINE = /level=warning msg="Request Failed"/;

export const k6Generator: LoadGenerator = {
  name: "k6",
  referenceOkRpsPerCore: 7_240, // k6 v1.3.0 with k6/load.js, one core, /io against a native Go app (docs/design.md, load generators)
  install: {
    pulumiHost: "bootstrap",
    howTo: "build the pinned k6 with xk6 (the Pulumi lab's bootstrap does; see the revision's downloads)",
  },
  versionCommand: (binary) => [binary ?? "k6", "version"],
  parseVersion: parseK6Version,
  commands: (spec, target) => ({
    // load.js runs the warm-up as its own scenario and reports only the measured one.
    warmup: null,
    measure: [
      target.binary ?? "k6",
      ...k6Argv(spec, {
        scriptPath: `${target.labDir}/k6/load.js`,
        summaryPath: target.summaryPath,
        k6Version: target.version,
      }),
    ],
  }),
  parseOutput: parseK6Output,
  // Go schedules VUs over every core it is given.
  usableCores: (given) => given,
  perRequestLogLine: K6_REQUEST_FAILED_LINE,
};
