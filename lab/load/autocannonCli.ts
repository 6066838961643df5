/**
 * The autocannon generator as a program, so runLoad can treat it like k6 and wrk: a child process
 * it can time, sample and kill, which writes the same summary file.
 *
 *   tsx lab/load/autocannonCli.ts --url http://127.0.0.1:8080 --workload io --executor constant-vus \
 *       --vus 32 [--rate N] --warmup 1 --duration 3 --timeout 10 --summary out.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { runMain, UsageError } from "../../core/cli/args";
import type { LoadSpec } from "../../core/load/types";
import { runAutocannonLoad } from "./autocannon";
import { LoadSpecError, validateLoadSpec } from "./k6";

/** The flag each LoadSpec field comes from, so a bad value is reported as the user typed it. */
const FLAG_OF: Record<keyof LoadSpec, string> = {
  baseUrl: "url",
  workload: "workload",
  executor: "executor",
  vus: "vus",
  // Not a flag: autocannon has no threads; the spec built here never sets it.
  threads: "threads",
  rate: "rate",
  warmupS: "warmup",
  durationS: "duration",
  requestTimeoutS: "timeout",
};
const REQUIRED = ["url", "workload", "executor", "vus", "warmup", "duration", "timeout", "summary"] as const;

function parseCommandLine(argv: string[]): { spec: LoadSpec; summaryPath: string } {
  let values: Record<string, string | undefined>;
  try {
    const options = Object.fromEntries(
      [...REQUIRED, "rate"].map((name) => [name, { type: "string" as const }]),
    ) as Record<(typeof REQUIRED)[number] | "rate", { type: "string" }>;
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; use ${REQUIRED.map((f) => `--${f}`).join(" ")} [--rate]`);
  }
  for (const flag of REQUIRED) {
    if (values[flag] === undefined) throw new UsageError(`--${flag} is missing; it is required`);
  }
  const raw = (flag: string) => values[flag] ?? "";
  // Non-numbers become NaN here and are rejected by validateLoadSpec with the allowed range.
  const num = (flag: string) => (raw(flag).trim() === "" ? Number.NaN : Number(raw(flag)));
  const spec: LoadSpec = {
    baseUrl: raw("url"),
    workload: raw("workload") as LoadSpec["workload"],
    executor: raw("executor") as LoadSpec["executor"],
    vus: num("vus"),
    warmupS: num("warmup"),
    durationS: num("duration"),
    requestTimeoutS: num("timeout"),
  };
  if (values.rate !== undefined) spec.rate = num("rate");
  try {
    validateLoadSpec(spec);
  } catch (error) {
    if (!(error instanceof LoadSpecError)) throw error;
    const flag = FLAG_OF[error.field];
    const given = values[flag];
    const shown = given === undefined ? "is missing" : `${JSON.stringify(given)} is not allowed`;
    throw new UsageError(`--${flag} ${shown}: use ${error.allowed}`);
  }
  return { spec, summaryPath: raw("summary") };
}

async function main(): Promise<void> {
  const { spec, summaryPath } = parseCommandLine(process.argv.slice(2));
  // SIGTERM from runLoad's abort: stop autocannon so its sockets close, then exit as killed.
  const controller = new AbortController();
  const signals = { SIGTERM: 15, SIGINT: 2 } as const;
  for (const [name, number] of Object.entries(signals)) {
    process.once(name, () => {
      controller.abort();
      process.exitCode = 128 + number;
    });
  }
  let summary: Awaited<ReturnType<typeof runAutocannonLoad>>;
  try {
    summary = await runAutocannonLoad(spec, { signal: controller.signal });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    process.stderr.write("autocannonCli: aborted by a signal; no summary written\n");
    return;
  }
  mkdirSync(dirname(summaryPath), { recursive: true });
  writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  // One line like k6/load.js's handleSummary prints, for load.log.
  const { requests, throughputRps, failedRequests } = summary;
  process.stdout.write(`${JSON.stringify({ requests, throughputRps, failed: failedRequests })}\n`);
}

runMain(main);
