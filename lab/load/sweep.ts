/**
 * The generators of one sweep: which one loads the cells (a profile's or the command line's
 * choice, `auto` = the highest ceiling here), their ceilings measured before the first cell, and
 * each load cell's run(s) with the generator-bound check against them. The runner only calls
 * prepareGenerators once and runCellLoad per cell.
 */
import { join, relative } from "node:path";
import { ConfigError } from "../../core/config/errors";
import { ceilingFor, highestCeiling } from "../../core/load/ceiling";
import { type CrossCheckSelection, compareThroughputs, selectsCell } from "../../core/load/crossCheck";
import type { CrossCheckRecord, GeneratorRecord, SweepGenerators } from "../../core/load/record";
import type { GeneratorChoice, GeneratorName, LoadRun, LoadSpec, LoadSummary } from "../../core/load/types";
import type { Workload } from "../../core/model";
import { installedGenerators, measureCeilings } from "./calibrate";
import { coresBesideApp, generatorBoundReasons } from "./cores";
import { runLoad } from "./generator";
import { generatorRegistry } from "./registry";
import { type RemoteLoadHost, runRemoteLoad } from "./remote";

/** Runs per ceiling before a sweep (the median is kept). */
const CALIBRATION_RUNS = 3;
/** Calibration runs are short: the ceiling is a rate, and a few seconds measure it. */
const CALIBRATION_MAX_S = 5;

export interface SweepLoadPlan {
  choice: GeneratorChoice;
  crossCheck: CrossCheckSelection | null;
  /** The load settings of the profile and what its load cells hold. */
  load: { vus: number; warmupS: number; durationS: number; requestTimeoutS: number };
  workloads: readonly Workload[];
  appCpus: readonly number[];
  /** Load runs on another host (the two-host lab): the ceilings are measured from there. */
  remote?: { loadHost: RemoteLoadHost; bindAddress: string };
  outDir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** How ceilings are measured for a sweep: short runs at the profile's connections, medians. */
function calibrationSettings(plan: SweepLoadPlan) {
  return {
    workloads: plan.workloads,
    appCpus: plan.appCpus,
    vus: plan.load.vus,
    warmupS: Math.min(1, plan.load.warmupS),
    durationS: Math.min(CALIBRATION_MAX_S, plan.load.durationS),
    requestTimeoutS: plan.load.requestTimeoutS,
    runs: CALIBRATION_RUNS,
    outDir: plan.outDir,
    log: plan.log,
    ...(plan.signal ? { signal: plan.signal } : {}),
  };
}

/**
 * The generators whose ceilings a sweep measures: the chosen one (every installed one for `auto`)
 * and the cross-check's. Throws a ConfigError when a named one is missing here. A two-host lab's
 * load host has what its bootstrap installed (k6 by default): no probe from here.
 */
export async function generatorsToMeasure(plan: SweepLoadPlan): Promise<GeneratorName[]> {
  const crossWith = plan.crossCheck?.generator ?? null;
  if (plan.remote) {
    const primary: GeneratorName = plan.choice === "auto" ? "k6" : plan.choice;
    return crossWith !== null && crossWith !== primary ? [primary, crossWith] : [primary];
  }
  const installed = await installedGenerators();
  const missing = [...new Set([plan.choice, crossWith])].filter(
    (name): name is GeneratorName => name !== null && name !== "auto" && !installed.has(name),
  );
  if (missing.length > 0) {
    throw new ConfigError(
      "generator",
      missing.map(
        (name) => `${name} is not installed here: ${generatorRegistry[name].install.howTo}; or use --generator auto`,
      ),
    );
  }
  if (installed.size === 0) throw new ConfigError("generator", ["no load generator is installed here"]);
  const toMeasure = plan.choice === "auto" ? [...installed.keys()] : [plan.choice];
  if (crossWith !== null && !toMeasure.includes(crossWith)) toMeasure.push(crossWith);
  return toMeasure;
}

/** Seconds a generator's run adds besides its warm-up and duration (its start, the summary), measured here. */
const CALIBRATION_RUN_FIXED_S = 0.2;

/** About how long measuring these generators' ceilings takes: every ceiling's runs at the calibration's settings. */
export function calibrationSeconds(plan: SweepLoadPlan, generators: readonly GeneratorName[]): number {
  const settings = calibrationSettings(plan);
  const ceilings = generators.length * plan.workloads.length * new Set(plan.appCpus).size;
  return ceilings * settings.runs * (settings.warmupS + settings.durationS + CALIBRATION_RUN_FIXED_S);
}

/** Measure the ceilings of `toMeasure` (generatorsToMeasure's) and decide the sweep's generator. */
export async function prepareGenerators(
  plan: SweepLoadPlan,
  toMeasure?: readonly GeneratorName[],
): Promise<SweepGenerators> {
  const generators = [...(toMeasure ?? (await generatorsToMeasure(plan)))];
  const where = plan.remote ? `on ${plan.remote.loadHost.sshTarget}` : "against the responder";
  plan.log(`measuring generator ceilings (${generators.join(", ")}) ${where} ...`);
  const ceilings = await measureCeilings({
    ...calibrationSettings(plan),
    generators,
    ...(plan.remote ? { remote: plan.remote } : {}),
  });
  // The two-host lab's generator is the chosen one, k6 for auto (what the load host's bootstrap builds).
  const highest = plan.remote ? undefined : highestCeiling(ceilings);
  const primary = plan.choice !== "auto" ? plan.choice : plan.remote ? "k6" : (highest ?? generators[0]);
  if (primary === undefined) throw new ConfigError("generator", ["no generator could be measured"]);
  if (!plan.remote) {
    plan.log(`load generator: ${primary}${plan.choice === "auto" ? " (auto: the highest ceiling here)" : ""}`);
  }
  return { choice: plan.choice, primary, crossCheck: plan.crossCheck, ceilings, note: null };
}

export interface CellLoadInput {
  spec: LoadSpec;
  /** The cell's settings, for the cross-check selection and the generator's cores. */
  cell: { runtime: string; platform: string; workload: string; memoryMB: number; cpus: number };
  rawDir: string;
  runDir: string;
  generators: SweepGenerators;
  loadHost?: RemoteLoadHost;
  signal: AbortSignal;
  /** Whether the instance still serves: a dead one is not cross-checked. */
  isAlive: () => boolean;
}

export interface CellLoadOutput {
  load: LoadSummary;
  generator: GeneratorRecord;
  crossCheck: CrossCheckRecord | null;
  flags: ("generator-bound" | "generators-disagree")[];
}

async function oneRun(
  input: CellLoadInput,
  name: GeneratorName,
  outDir: string,
): Promise<{ run: LoadRun; record: GeneratorRecord }> {
  const cores = coresBesideApp(input.cell.cpus);
  const run = input.loadHost
    ? await runRemoteLoad(input.spec, outDir, input.loadHost, { signal: input.signal, generator: name })
    : await runLoad(input.spec, outDir, { signal: input.signal, generator: name, cores });
  const ceiling = ceilingFor(input.generators.ceilings, name, input.spec.workload, input.loadHost ? null : cores.count);
  const boundReasons = generatorBoundReasons(
    run.summary.okThroughputRps,
    run.generatorCpu,
    ceiling?.okRps ?? null,
    ceiling?.saturated ?? true,
  );
  return {
    run,
    record: {
      ...run.generatorCpu,
      bound: boundReasons.length > 0,
      name,
      cpuList: input.loadHost ? null : cores.cpuList,
      ceilingRps: ceiling?.okRps ?? null,
      boundReasons,
      commandLine: run.commandLine,
      suppressedLogLines: run.suppressedLogLines,
    },
  };
}

/** The cell's load by the sweep's generator, then by the cross-check's when the cell is selected. */
export async function runCellLoad(input: CellLoadInput): Promise<CellLoadOutput> {
  const primary = await oneRun(input, input.generators.primary, input.rawDir);
  const flags: CellLoadOutput["flags"] = primary.record.bound ? ["generator-bound"] : [];
  let crossCheck: CrossCheckRecord | null = null;
  const selection = input.generators.crossCheck;
  if (selection && selectsCell(selection, input.cell) && input.isAlive()) {
    const dir = join(input.rawDir, `cross-check-${selection.generator}`);
    const second = await oneRun(input, selection.generator, dir);
    const agreement = compareThroughputs(
      { okThroughputRps: primary.run.summary.okThroughputRps, generatorBound: primary.record.bound },
      { okThroughputRps: second.run.summary.okThroughputRps, generatorBound: second.record.bound },
    );
    crossCheck = {
      load: second.run.summary,
      generator: second.record,
      gap: agreement.gap,
      disagrees: agreement.disagrees,
      rawDir: relative(input.runDir, dir),
    };
    if (agreement.disagrees) flags.push("generators-disagree");
  }
  return { load: primary.run.summary, generator: primary.record, crossCheck, flags };
}
