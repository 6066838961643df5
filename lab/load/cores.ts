/**
 * Which cores a load generator has, and how busy it was on them. The platforms give an instance
 * the first cores (lab/platforms/context.ts cpuListFor), so a generator beside it gets the rest:
 * on a 2-core machine with a 1-CPU app that is one core, not two. Counting the app's cores as the
 * generator's hid generator-bound cells (a k6 at 0.9 of its only core read as 45% of "2 cores").
 */
import { availableParallelism } from "node:os";
import { GENERATOR_BOUND_FRACTION, type GeneratorCpu } from "../../core/load/types";

export interface GeneratorCores {
  /** A taskset list ("1", "2-7"), or null when the generator is not pinned (a host of its own). */
  cpuList: string | null;
  /** How many cores that is. */
  count: number;
  /** True when no core was left over and the generator shares the app's. */
  sharedWithApp: boolean;
}

/** The cores left to a generator beside an instance of `appCpus` on a host of `hostCores`. */
export function coresBesideApp(appCpus: number, hostCores = availableParallelism()): GeneratorCores {
  if (hostCores > appCpus) {
    const first = Math.max(0, appCpus);
    const cpuList = first === hostCores - 1 ? String(first) : `${first}-${hostCores - 1}`;
    return { cpuList, count: hostCores - first, sharedWithApp: false };
  }
  return { cpuList: hostCores === 1 ? "0" : `0-${hostCores - 1}`, count: hostCores, sharedWithApp: true };
}

/** A whole host for the generator (the two-host lab's load generator). */
export function wholeHost(hostCores: number): GeneratorCores {
  return { cpuList: null, count: Math.max(1, hostCores), sharedWithApp: false };
}

/** The argv prefix that keeps a command on its cores (taskset execs it: the pid stays the generator's). */
export function pinnedArgv(cores: GeneratorCores, argv: readonly string[]): string[] {
  return cores.cpuList === null ? [...argv] : ["taskset", "-c", cores.cpuList, ...argv];
}

/**
 * The one accounting of a generator's CPU, local or remote: `usable` is what it could keep busy
 * (the cores it had, capped by what it can drive), and it is bound above GENERATOR_BOUND_FRACTION
 * of that.
 */
export function accountCpu(cpuSeconds: number, wallSeconds: number, usable: number): GeneratorCpu & { bound: boolean } {
  const cores = wallSeconds > 0 ? cpuSeconds / wallSeconds : 0;
  const coresAvailable = Math.max(1, usable);
  return { cpuSeconds, wallSeconds, cores, coresAvailable, bound: cores / coresAvailable > GENERATOR_BOUND_FRACTION };
}

/** Why a cell measured its generator rather than its app, or [] when it did not. */
export function generatorBoundReasons(
  okThroughputRps: number,
  cpu: Pick<GeneratorCpu, "cores" | "coresAvailable">,
  ceilingRps: number | null,
  /** False when the generator did not saturate while its ceiling was measured (the ceiling is a lower bound). */
  ceilingSaturated = true,
): string[] {
  const reasons: string[] = [];
  if (cpu.cores / cpu.coresAvailable > GENERATOR_BOUND_FRACTION) {
    reasons.push(
      `the generator used ${cpu.cores.toFixed(2)} of the ${cpu.coresAvailable} core(s) it had (over ${GENERATOR_BOUND_FRACTION * 100}%)`,
    );
  }
  if (ceilingRps !== null && ceilingRps > 0 && okThroughputRps >= GENERATOR_BOUND_FRACTION * ceilingRps) {
    reasons.push(
      `${Math.round(okThroughputRps)} ok req/s is ${Math.round((100 * okThroughputRps) / ceilingRps)}% of the generator's ceiling of ${Math.round(ceilingRps)}` +
        (ceilingSaturated ? "" : " (a lower bound: the generator did not saturate while it was measured)"),
    );
  }
  return reasons;
}
