import { z } from "zod";
import { type Workload, WorkloadNameSchema } from "../model";

/** How the generator applies load: closed (fixed connections) or open (fixed arrival rate). */
export const EXECUTORS = ["constant-vus", "constant-arrival-rate"] as const;
export type Executor = (typeof EXECUTORS)[number];

export const GENERATORS = ["k6", "wrk", "autocannon"] as const;
export type GeneratorName = (typeof GENERATORS)[number];
/** What a profile or the command line may ask for: a generator, or `auto` (the highest ceiling here). */
export const GENERATOR_CHOICES = [...GENERATORS, "auto"] as const;
export type GeneratorChoice = (typeof GENERATOR_CHOICES)[number];

/** What one load run must do; the same for every generator. */
export interface LoadSpec {
  /** Base URL of the instance, e.g. http://127.0.0.1:41234 (the workload path is appended). */
  baseUrl: string;
  workload: Workload;
  executor: Executor;
  /** Connections (k6: VUs). */
  vus: number;
  /** wrk's threads (default one per core the generator has); the other generators ignore it. */
  threads?: number;
  /** Requests per second for constant-arrival-rate; ignored otherwise. */
  rate?: number;
  /** Run but never counted. */
  warmupS: number;
  durationS: number;
  /** A request slower than this counts as a timeout. */
  requestTimeoutS: number;
}

const nullableMs = z.number().nonnegative().nullable();

/** Failed requests by kind, where the generator tells them apart (wrk does; k6/load.js and autocannon do not). */
export const LoadErrorsSchema = z
  .object({
    connect: z.number().int().nonnegative(),
    read: z.number().int().nonnegative(),
    write: z.number().int().nonnegative(),
    timeout: z.number().int().nonnegative(),
    /** Replies that came back with an error status (wrk: status 400 or more). */
    status: z.number().int().nonnegative(),
  })
  .strict();

/**
 * One load run's figures, in the field names of k6/load.js's handleSummary. Every generator's
 * output is parsed into exactly this, so results from k6, wrk and autocannon line up.
 */
export const LoadSummarySchema = z
  .object({
    generator: z.enum(GENERATORS),
    generatorVersion: z.string().nullable(),
    url: z.string(),
    workload: WorkloadNameSchema,
    executor: z.enum(EXECUTORS),
    vus: z.number().int().positive(),
    rate: z.number().positive().nullable(),
    warmupS: z.number().nonnegative(),
    durationS: z.number().positive(),
    requests: z.number().int().nonnegative(),
    failedRequests: z.number().int().nonnegative(),
    timeouts: z.number().int().nonnegative(),
    droppedIterations: z.number().int().nonnegative(),
    throughputRps: z.number().nonnegative(),
    okThroughputRps: z.number().nonnegative(),
    errors: LoadErrorsSchema.optional(),
    /** Latency of ok responses only: null when there was none. */
    latencyMs: z.object({
      mean: nullableMs,
      stddev: nullableMs,
      min: nullableMs,
      p50: nullableMs,
      p90: nullableMs,
      p95: nullableMs,
      p99: nullableMs,
      max: nullableMs,
    }),
  })
  .strict();
export type LoadSummary = z.output<typeof LoadSummarySchema>;

/** The generator's own CPU use over the run, so a generator-bound cell can be flagged. */
export interface GeneratorCpu {
  cpuSeconds: number;
  wallSeconds: number;
  /** cpuSeconds / wallSeconds: 1.0 = one core fully busy. */
  cores: number;
  /**
   * Cores the generator could actually use: those it was given (not the ones the app holds),
   * capped by what the generator itself can drive (autocannon one event loop, wrk its threads).
   */
  coresAvailable: number;
}

export interface LoadRun {
  summary: LoadSummary;
  generatorCpu: GeneratorCpu;
  /** True when the generator used more than GENERATOR_BOUND_FRACTION of what it can use. */
  generatorBound: boolean;
  /** Files the run left in its output folder (raw summaries, logs), relative to it. */
  rawFiles: string[];
  /** The exact shell command(s) that ran, warm-up first: replayable from the repository root. */
  commandLine: string;
  /** Per-request log lines (k6's "Request Failed") counted and left out of load.log. */
  suppressedLogLines: number;
}

/** Above this share of its usable CPU the generator, not the app, may be the bottleneck. */
export const GENERATOR_BOUND_FRACTION = 0.8;
