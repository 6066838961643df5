/**
 * A generator's ceiling: the most ok requests per second it reached against a responder that is
 * never the bottleneck, on the cores it has in the cells. A cell at 80% of it measured the
 * generator as much as the app. Kept in the run's manifest.
 */
import { z } from "zod";
import { WorkloadNameSchema } from "../model";
import { GENERATORS, type GeneratorName } from "./types";

export const CeilingSchema = z
  .object({
    generator: z.enum(GENERATORS),
    version: z.string().nullable(),
    workload: WorkloadNameSchema,
    /** The cores the generator had (those beside the app in the cells), as a taskset list. */
    cpuList: z.string().nullable(),
    cores: z.number().int().positive(),
    vus: z.number().int().positive(),
    /** ok req/s of each run; the ceiling is their median. */
    samplesRps: z.array(z.number().nonnegative()),
    okRps: z.number().nonnegative(),
    /** Median cores the generator used. */
    coresUsed: z.number().nonnegative(),
    /** False when the generator stayed under 80% of its cores: then the ceiling is only a lower bound. */
    saturated: z.boolean(),
    commandLine: z.string(),
  })
  .strict();
export type Ceiling = z.output<typeof CeilingSchema>;

/**
 * The ceiling for a generator on `cores` cores against `workload`, or null when not measured.
 * `cores` null: the generator runs on another host, on all of its cores (one ceiling per workload).
 */
export function ceilingFor(
  ceilings: readonly Ceiling[],
  generator: GeneratorName,
  workload: string,
  cores: number | null,
): Ceiling | null {
  return (
    ceilings.find(
      (c) => c.generator === generator && c.workload === workload && (cores === null || c.cores === cores),
    ) ?? null
  );
}

/**
 * `auto`: the generator with the highest ceiling here, taken as its lowest over the measured
 * workloads and core counts (a generator must be fast enough for every cell it loads).
 */
export function highestCeiling(ceilings: readonly Ceiling[]): GeneratorName | null {
  const worst = new Map<GeneratorName, number>();
  for (const c of ceilings)
    worst.set(c.generator, Math.min(worst.get(c.generator) ?? Number.POSITIVE_INFINITY, c.okRps));
  let best: GeneratorName | null = null;
  for (const [name, rps] of worst) if (best === null || rps > (worst.get(best) ?? 0)) best = name;
  return best;
}
