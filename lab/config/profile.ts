import { z } from "zod";
import { EXECUTORS } from "../load/types";
import { RUNTIMES, WORKLOADS } from "../model";
import { CPU_MODES, DOCKER_NETWORKS, MICROVM_NETWORKS, NANOS_NETWORKS, PLATFORMS } from "../platforms/types";

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

export const ResourcesSchema = z
  .object({
    cpus: int(1, 256, "CPUs"),
    memoryMB: int(8, 1_048_576, "MB"),
  })
  .strict();

export const LoadSettingsSchema = z
  .object({
    executor: z.enum(EXECUTORS),
    /** Connections (k6 VUs): the paper used 100. */
    vus: int(1, 100_000, "connections"),
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

export const KnobsSchema = z
  .object({
    cpuMode: z.enum(CPU_MODES),
    dockerNetwork: z.enum(DOCKER_NETWORKS),
    nanosNetwork: z.enum(NANOS_NETWORKS),
    microvmNetwork: z.enum(MICROVM_NETWORKS).optional(),
  })
  .strict();

/** One named sweep: what the matrix spans and how each cell is measured. */
export const ProfileSchema = z
  .object({
    description: z.string().min(1),
    runtimes: uniqueList(z.enum(RUNTIMES)),
    platforms: uniqueList(z.enum(PLATFORMS)),
    workloads: uniqueList(z.enum(WORKLOADS)),
    resources: uniqueList(ResourcesSchema),
    repetitions: int(1, 100, "repetitions"),
    load: LoadSettingsSchema,
    ttr: z
      .object({
        /** Launches per startup cell; 0 leaves time-to-ready out. */
        launches: int(0, 1000, "launches"),
        timeoutS: int(1, 600, "seconds"),
      })
      .strict(),
    knobs: KnobsSchema,
    /** Run Nanos under TCG where KVM is unusable; such results are marked emulated. */
    allowEmulation: z.boolean(),
  })
  .strict();

export type Profile = z.output<typeof ProfileSchema>;
export type LoadSettings = z.output<typeof LoadSettingsSchema>;
