/**
 * wrk as a load generator: Debian/Ubuntu's `wrk` 4.1.0, the tool the paper's own repository used
 * (`wrk -t4 -c100 -d30s` with a Lua script for the POST). The lab's Lua script
 * (lab/load/wrk/summary.lua) writes wrk's figures as JSON in done(); parseWrkOutput turns them into
 * the lab's LoadSummary.
 *
 * What wrk can and cannot do, as the summary reports it:
 * - closed model only: constant-arrival-rate needs wrk2, so such specs are refused;
 * - the warm-up is a separate wrk run whose figures are never read;
 * - wrk keeps one latency histogram for every reply, error statuses included (it has no per-status
 *   histogram without a Lua response() hook, which would cost most of its speed); failed
 *   connections and timeouts are not in it. With no ok reply the latency is null.
 */
import { z } from "zod";
import { ConfigError, parseOrThrow } from "../../core/config/errors";
import type { LoadSpec, LoadSummary } from "../../core/load/types";
import { getWorkload } from "../../workloads/endpoints";
import { LoadSpecError, validateLoadSpec } from "./k6";
import type { CapturedOutput, CommandTarget, GeneratorCommands, LoadGenerator } from "./plugin";

/** The paper's exact wrk setting (its repository's `wrk -t4 -c100 -d30s`), as a named option. */
export const WRK_PAPER_SETTING = { threads: 4, vus: 100, durationS: 30 } as const;

/** The spec with the paper's exact wrk setting: 4 threads, 100 connections, 30 s. */
export function paperWrkSpec(spec: LoadSpec): LoadSpec {
  return { ...spec, ...WRK_PAPER_SETTING, executor: "constant-vus" };
}

const count = z.number().int().nonnegative();
const micros = z.number().nonnegative();

/** What summary.lua's done() writes (wrk's names and units). */
export const WrkRawSchema = z
  .object({
    durationUs: z.number().positive(),
    requests: count,
    bytes: count,
    errors: z.object({ connect: count, read: count, write: count, status: count, timeout: count }).strict(),
    latencyUs: z
      .object({
        min: micros,
        max: micros,
        mean: micros,
        stdev: micros,
        p50: micros,
        p90: micros,
        p95: micros,
        p99: micros,
      })
      .strict(),
  })
  .strict();
export type WrkRaw = z.output<typeof WrkRawSchema>;

/** wrk's version from `wrk -v`: "wrk debian/4.1.0-3+b2 [epoll] ..." or "wrk 4.2.0 [epoll] ...". */
export function parseWrkVersion(output: string): string | null {
  const match = /^wrk (?:[a-z]+\/)?(\d+\.\d+\.\d+)[^\s]*/m.exec(output);
  return match?.[1] ?? null;
}

/** The threads wrk runs: the spec's, else one per given core; never more than its connections. */
export function wrkThreads(spec: LoadSpec, cores: number): number {
  return Math.max(1, Math.min(spec.threads ?? cores, spec.vus));
}

function wrkRun(spec: LoadSpec, target: CommandTarget, seconds: number, summaryPath: string | null): string[] {
  const env = [`LAB_WRK_SUMMARY=${summaryPath ?? ""}`];
  // A workload the paper's Lua script sent otherwise than as a GET (compute: a POST of the payload
  // the apps' GET hashes, the same work) is sent so here too.
  const request = getWorkload(spec.workload).wrkRequest;
  if (request) env.push(`LAB_WRK_METHOD=${request.method}`, `LAB_WRK_BODY=${request.body}`);
  return [
    "env",
    ...env,
    target.binary ?? "wrk",
    `--threads=${wrkThreads(spec, target.cores)}`,
    `--connections=${spec.vus}`,
    `--duration=${seconds}s`,
    `--timeout=${spec.requestTimeoutS}s`,
    `--script=${target.labDir}/lab/load/wrk/summary.lua`,
    `${spec.baseUrl}/${spec.workload}`,
  ];
}

function wrkCommands(spec: LoadSpec, target: CommandTarget): GeneratorCommands {
  validateLoadSpec(spec);
  if (spec.executor !== "constant-vus") {
    throw new LoadSpecError("executor", spec.executor, "constant-vus with wrk (an arrival rate needs wrk2)");
  }
  return {
    warmup: spec.warmupS > 0 ? wrkRun(spec, target, spec.warmupS, null) : null,
    measure: wrkRun(spec, target, spec.durationS, target.summaryPath),
  };
}

const UNABLE_TO_CONNECT = /^unable to connect to \S+ /m;
const REFUSED_RUN = (spec: LoadSpec): WrkRaw => ({
  durationUs: spec.durationS * 1e6,
  requests: 0,
  bytes: 0,
  errors: { connect: 1, read: 0, write: 0, status: 0, timeout: 0 },
  latencyUs: { min: 0, max: 0, mean: 0, stdev: 0, p50: 0, p90: 0, p95: 0, p99: 0 },
});

/** The lab's LoadSummary from summary.lua's JSON (or wrk's refusal to start). */
export function parseWrkOutput(output: CapturedOutput, spec: LoadSpec, version: string | null): LoadSummary {
  if (output.summaryText === null) {
    // wrk tries the address before it starts and exits 1 without calling done() when nothing
    // listens (an app that died before the measured run): one refused connection, no reply.
    if (UNABLE_TO_CONNECT.test(output.log)) return wrkSummary(REFUSED_RUN(spec), spec, version);
    throw new ConfigError("wrk summary", ["summary.lua wrote no file: see load.log"]);
  }
  let data: unknown;
  try {
    data = JSON.parse(output.summaryText);
  } catch (error) {
    throw new ConfigError("wrk summary", [`not JSON: ${(error as Error).message}`]);
  }
  const raw = parseOrThrow(WrkRawSchema, data, "wrk summary");
  return wrkSummary(raw, spec, version);
}

/**
 * Counting: wrk's `requests` are completed replies; connect, read and write errors are attempts
 * that got none, so they are requests too. A reply with status 400 or more, or one that came after
 * the timeout, is not ok (wrk counts late replies both as completed and as timeouts).
 */
export function wrkSummary(raw: WrkRaw, spec: LoadSpec, version: string | null): LoadSummary {
  const { connect, read, write, status, timeout } = raw.errors;
  const requests = raw.requests + connect + read + write;
  const ok = Math.max(0, raw.requests - status - timeout);
  const seconds = raw.durationUs / 1e6;
  const ms = (us: number) => us / 1000;
  const l = raw.latencyUs;
  const latencyMs =
    ok > 0
      ? {
          mean: ms(l.mean),
          stddev: ms(l.stdev),
          min: ms(l.min),
          p50: ms(l.p50),
          p90: ms(l.p90),
          p95: ms(l.p95),
          p99: ms(l.p99),
          max: ms(l.max),
        }
      : { mean: null, stddev: null, min: null, p50: null, p90: null, p95: null, p99: null, max: null };
  return {
    generator: "wrk",
    generatorVersion: version,
    url: `${spec.baseUrl}/${spec.workload}`,
    workload: spec.workload,
    executor: spec.executor,
    vus: spec.vus,
    rate: null,
    warmupS: spec.warmupS,
    durationS: spec.durationS,
    requests,
    failedRequests: requests - ok,
    timeouts: timeout,
    droppedIterations: 0,
    throughputRps: requests / seconds,
    okThroughputRps: ok / seconds,
    errors: { connect, read, write, timeout, status },
    latencyMs,
  };
}

export const wrkGenerator: LoadGenerator = {
  name: "wrk",
  referenceOkRpsPerCore: 26_994, // wrk 4.1.0, one core, /io against a native Go app (docs/design.md, load generators)
  install: {
    aptPackage: "wrk",
    pulumiHost: "apt",
    howTo: "install Debian/Ubuntu's package: apt-get install wrk (scripts/install-system.sh does)",
  },
  versionCommand: (binary) => [binary ?? "wrk", "-v"],
  parseVersion: parseWrkVersion,
  commands: wrkCommands,
  parseOutput: parseWrkOutput,
  // One event loop per thread.
  usableCores: (given, spec) => Math.min(given, wrkThreads(spec, given)),
};
