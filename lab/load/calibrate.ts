/**
 * Measuring ceilings before a sweep: each generator to be used, on the cores it will have in the
 * cells, against the responder on the app's cores, the profile's connections, medians of repeated
 * runs. bench/generators.ts uses the same function.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { median } from "simple-statistics";
import type { Ceiling } from "../../core/load/ceiling";
import { GENERATOR_BOUND_FRACTION, GENERATORS, type GeneratorName, type LoadSpec } from "../../core/load/types";
import type { Workload } from "../../core/model";
import { cpuListFor } from "../platforms/context";
import { coresBesideApp, type GeneratorCores } from "./cores";
import { probeVersion, runLoad } from "./generator";
import { generatorRegistry } from "./registry";
import { type RemoteLoadHost, runRemoteLoad } from "./remote";
import { startResponder } from "./responder";

export interface CalibrationPlan {
  generators: readonly GeneratorName[];
  workloads: readonly Workload[];
  /** The CPUs the apps get in the cells (one ceiling per distinct value). */
  appCpus: readonly number[];
  vus: number;
  warmupS: number;
  durationS: number;
  requestTimeoutS: number;
  /** Runs per ceiling; the median is kept. */
  runs: number;
  outDir: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Programs other than those on PATH, by generator (tests use stand-ins). */
  binaries?: Partial<Record<GeneratorName, string>>;
  /**
   * The two-host lab: the generator runs on the load host over ssh (on all its cores), the
   * responder here on the address that host reaches (the SUT's on the lab link).
   */
  remote?: { loadHost: RemoteLoadHost; bindAddress: string };
}

/** The generators that answer their version probe here, with their versions. */
export async function installedGenerators(
  names: readonly GeneratorName[] = GENERATORS,
  binaries: Partial<Record<GeneratorName, string>> = {},
): Promise<Map<GeneratorName, string>> {
  const found = new Map<GeneratorName, string>();
  for (const name of names) {
    const version = await probeVersion(generatorRegistry[name], binaries[name]);
    if (version !== null) found.set(name, version);
  }
  return found;
}

async function measureOne(
  generator: GeneratorName,
  workload: Workload,
  cores: GeneratorCores,
  baseUrl: string,
  plan: CalibrationPlan,
): Promise<Ceiling> {
  const spec: LoadSpec = {
    baseUrl,
    workload,
    executor: "constant-vus",
    vus: plan.vus,
    warmupS: plan.warmupS,
    durationS: plan.durationS,
    requestTimeoutS: plan.requestTimeoutS,
  };
  const samples: number[] = [];
  const used: number[] = [];
  let commandLine = "";
  let version: string | null = null;
  let usable = 1;
  for (let i = 1; i <= plan.runs; i++) {
    const binary = plan.binaries?.[generator];
    const outDir = join(plan.outDir, `${generator}-${workload}-${plan.remote ? "remote" : `${cores.count}c`}-${i}`);
    const result = plan.remote
      ? await runRemoteLoad(spec, outDir, plan.remote.loadHost, {
          generator,
          ...(plan.signal ? { signal: plan.signal } : {}),
        })
      : await runLoad(spec, outDir, {
          generator,
          cores,
          ...(binary ? { binary } : {}),
          ...(plan.signal ? { signal: plan.signal } : {}),
        });
    samples.push(result.summary.okThroughputRps);
    used.push(result.generatorCpu.cores);
    usable = result.generatorCpu.coresAvailable;
    commandLine = result.commandLine;
    version = result.summary.generatorVersion;
  }
  const coresUsed = median(used);
  return {
    generator,
    version,
    workload,
    cpuList: plan.remote ? null : cores.cpuList,
    cores: plan.remote ? usable : cores.count,
    vus: plan.vus,
    samplesRps: samples,
    okRps: median(samples),
    coresUsed,
    saturated: coresUsed / usable > GENERATOR_BOUND_FRACTION,
    commandLine,
  };
}

/** Every generator's ceiling for every workload and app size of the plan. */
export async function measureCeilings(plan: CalibrationPlan): Promise<Ceiling[]> {
  mkdirSync(plan.outDir, { recursive: true });
  const ceilings: Ceiling[] = [];
  for (const appCpus of [...new Set(plan.appCpus)]) {
    const cores = coresBesideApp(appCpus);
    // The responder takes the app's cores; where the generator shares them, it shares too.
    const responderCores = cores.sharedWithApp ? cores.count : Math.max(1, appCpus);
    const responder = plan.remote
      ? await startResponder(cpuListFor(appCpus), appCpus, plan.remote.bindAddress)
      : await startResponder(cpuListFor(responderCores), responderCores);
    try {
      for (const generator of plan.generators) {
        for (const workload of plan.workloads) {
          plan.signal?.throwIfAborted();
          const ceiling = await measureOne(generator, workload, cores, responder.baseUrl, plan);
          plan.log?.(
            `  ceiling ${generator} /${workload} on ${cores.count} core(s) [${cores.cpuList}]: ` +
              `${Math.round(ceiling.okRps)} ok req/s (median of ${ceiling.samplesRps.length}), ` +
              `generator at ${ceiling.coresUsed.toFixed(2)} core${ceiling.saturated ? "" : " (not saturated: a lower bound)"}`,
          );
          ceilings.push(ceiling);
        }
      }
    } finally {
      await responder.stop();
    }
  }
  return ceilings;
}
