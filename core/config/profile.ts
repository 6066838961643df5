import { z } from "zod";
import { CrossCheckSelectionSchema } from "../load/crossCheck";
import { EXECUTORS, GENERATOR_CHOICES } from "../load/types";
import { RuntimeNameSchema, WorkloadNameSchema } from "../model";

const int = (min: number, max: number, what: string) =>
  z
    .number()
    .int(`expected a whole number (${what})`)
    .min(min, `expected ${min} or more (${what})`)
    .max(max, `expected at most ${max} (${what})`);

const uniqueList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1, "expected at least one value")
    .refine((values) => new Set(values.map((v) => JSON.stringify(v))).size === values.length, "expected no repeats");

/**
 * One resource level. `runtimes` and `workloads` narrow it to the scenarios that matter there
 * (e.g. Node alone at 64 MB; "startup" for time to ready); absent, it applies to all.
 */
export const ResourcesSchema = z
  .object({
    cpus: int(1, 256, "CPUs"),
    memoryMB: int(8, 1_048_576, "MB"),
    runtimes: uniqueList(RuntimeNameSchema).optional(),
    /** The profile's workloads and "startup" (time to ready). */
    workloads: uniqueList(WorkloadNameSchema).optional(),
    /** Whether the profile's knob variants run at this level too (default true): where a knob cannot matter, save the time. */
    knobVariants: z.boolean().optional(),
  })
  .strict();

export const LoadSettingsSchema = z
  .object({
    executor: z.enum(EXECUTORS),
    /** Connections (k6 VUs): the paper used 100. */
    vus: int(1, 100_000, "connections"),
    /** wrk's threads (default one per core it has); the paper's wrk used 4. */
    threads: int(1, 1024, "threads").optional(),
    /** Requests per second, for constant-arrival-rate only. */
    rate: int(1, 10_000_000, "requests per second").optional(),
    warmupS: int(0, 3600, "seconds"),
    durationS: int(1, 36_000, "seconds"),
    requestTimeoutS: int(1, 600, "seconds"),
  })
  .strict()
  .refine((load) => load.executor !== "constant-arrival-rate" || load.rate !== undefined, {
    message: "constant-arrival-rate needs rate (requests per second)",
    path: ["rate"],
  });

/**
 * Knob values by name. Which knobs exist, and which platforms, is the platform registry's to say
 * (lab/config/profile.ts checks a profile against it before a run); here only their shape is
 * checked, so a results folder written with a platform this checkout lacks still reads.
 */
export const KnobsSchema = z.record(z.string(), z.string());

export const PLATFORM_NAME = /^[a-z][a-z0-9-]*$/;
const PlatformNameSchema = z
  .string()
  .regex(PLATFORM_NAME, "expected a platform name: lowercase letters, digits, dashes");

/**
 * A memory floor search (lab/runner/floor/): each scenario of the profile is bisected from its
 * level in `resources` (expected to serve) down towards `lowestMB`, to `resolutionMB`. Each probe is
 * an ordinary cell at the level the search picks.
 */
export const FloorSettingsSchema = z
  .object({
    /**
     * The lowest level the search tries: below it, the floor is only said to be under it. Lower than
     * a platform accepts (Docker refuses under 6 MB) is a boot failure, which brackets the floor too.
     */
    lowestMB: int(1, 1_048_576, "MB"),
    /** The search stops when the serving and the failing levels are this close (default 4). */
    resolutionMB: int(1, 1024, "MB").default(4),
    /**
     * A failure with no memory evidence (a timeout, a failed request, a crash without an OOM kill)
     * may be the busy host's: the level is probed this many more times before it counts as failing.
     */
    retries: int(0, 5, "retries").default(1),
  })
  .strict();

/**
 * Repetitions added until the answer is stable (lab/runner/schedules/interleaved.ts): `repetitions`
 * is then the least count; a load scenario gets more, interleaved, until its 95% interval is
 * narrower than `targetShare` of its estimate (each side), `maxRepetitions` is reached, or the
 * added repetitions have taken `budgetS` seconds.
 */
export const AdaptiveRepetitionsSchema = z
  .object({
    targetShare: z.number().positive().max(1),
    maxRepetitions: int(2, 100, "repetitions"),
    budgetS: int(1, 86_400, "seconds").optional(),
  })
  .strict();
export type AdaptiveRepetitions = z.output<typeof AdaptiveRepetitionsSchema>;

/** One named sweep: what the matrix spans and how each cell is measured. */
export const ProfileSchema = z
  .object({
    description: z.string().min(1),
    runtimes: uniqueList(RuntimeNameSchema),
    platforms: uniqueList(PlatformNameSchema),
    /** The load cells' workloads; time to ready is `ttr` ("startup" is no workload here). */
    workloads: uniqueList(WorkloadNameSchema.refine((w) => w !== "startup", "startup is not a load: set ttr.launches")),
    resources: uniqueList(ResourcesSchema),
    repetitions: int(1, 100, "repetitions"),
    /**
     * The order the cells run in: `interleaved` shuffles them from a seed the manifest records, so a
     * disturbance spreads over platforms and repetitions (lab/runner/schedules/interleaved.ts);
     * `matrix` (the default) runs repetitions outermost and platforms innermost (lab/matrix.ts).
     */
    order: z.enum(["matrix", "interleaved"]).optional(),
    /** Add repetitions to a scenario until its interval is narrow (needs `order: interleaved`); absent: `repetitions` each. */
    adaptive: AdaptiveRepetitionsSchema.optional(),
    load: LoadSettingsSchema,
    ttr: z
      .object({
        /** Launches per startup cell; 0 leaves time-to-ready out. */
        launches: int(0, 1000, "launches"),
        timeoutS: int(1, 600, "seconds"),
      })
      .strict(),
    knobs: KnobsSchema,
    /**
     * Knob changes to run beside the profile's own knobs, one at a time (e.g. [{ goMaxProcs: cpus },
     * { nodeHeap: fit }]): each cell is repeated with each change that applies to its platform and
     * runtime, so a report can say what a difference is made of.
     */
    knobVariants: z
      .array(KnobsSchema.refine((k) => Object.keys(k).length > 0, "expected at least one knob"))
      .optional(),
    /** Run VM platforms under TCG where KVM is unusable; such results are marked emulated. */
    allowEmulation: z.boolean(),
    /** The load generator: k6, wrk, autocannon, or auto (the highest ceiling measured here). Default auto. */
    generator: z.enum(GENERATOR_CHOICES).optional(),
    /** Cells also loaded by a second generator, right after the first, to compare the two. */
    crossCheck: CrossCheckSelectionSchema.extend({ runtimes: uniqueList(RuntimeNameSchema).optional() }).optional(),
    /** A memory floor search instead of a fixed matrix: each resource level is where its search starts. */
    floor: FloorSettingsSchema.optional(),
  })
  .strict()
  .superRefine((profile, ctx) => {
    const floor = profile.floor;
    if (!floor) return;
    // A search picks its own probes and repeats them itself; what it bisects must leave room.
    if (profile.repetitions !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["repetitions"],
        message: `a floor search repeats its probes itself (floor.retries): expected 1, not ${profile.repetitions}`,
      });
    }
    if (profile.ttr.launches !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["ttr", "launches"],
        message: `a floor search loads each probe; time to ready has no floor: expected 0, not ${profile.ttr.launches}`,
      });
    }
    profile.resources.forEach((level, index) => {
      if (level.memoryMB - floor.lowestMB < floor.resolutionMB) {
        ctx.addIssue({
          code: "custom",
          path: ["resources", index, "memoryMB"],
          message:
            `a floor search starts here and bisects down to floor.lowestMB (${floor.lowestMB}): expected at least ` +
            `floor.lowestMB + floor.resolutionMB = ${floor.lowestMB + floor.resolutionMB}, not ${level.memoryMB}`,
        });
      }
      if (level.workloads?.includes("startup")) {
        ctx.addIssue({
          code: "custom",
          path: ["resources", index, "workloads"],
          message: "a floor search loads each probe: startup (time to ready) has no floor; use io or compute",
        });
      }
    });
  });

export type Profile = z.output<typeof ProfileSchema>;
export type LoadSettings = z.output<typeof LoadSettingsSchema>;
export type FloorSettings = z.output<typeof FloorSettingsSchema>;
