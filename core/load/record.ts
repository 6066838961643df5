/** How a cell and a run record their generators (core/results/schema.ts uses these). */
import { z } from "zod";
import { CeilingSchema } from "./ceiling";
import { CrossCheckSelectionSchema } from "./crossCheck";
import { GENERATOR_CHOICES, GENERATORS, LoadSummarySchema } from "./types";

/** The generator of one load run: its CPU, the cores it had, its ceiling and the exact command. */
export const GeneratorRecordSchema = z
  .object({
    cpuSeconds: z.number().nonnegative(),
    wallSeconds: z.number().nonnegative(),
    cores: z.number().nonnegative(),
    /** The cores it could use: those it was given beside the app, capped by what it can drive. */
    coresAvailable: z.number().positive(),
    bound: z.boolean(),
    // Optional: results written before generators were plugins have none of these.
    name: z.enum(GENERATORS).optional(),
    /** The taskset list it was pinned to (null: a host of its own). */
    cpuList: z.string().nullable().optional(),
    /** Its ceiling on those cores for this workload (ok req/s), null when not measured. */
    ceilingRps: z.number().nonnegative().nullable().optional(),
    /** Why the cell is generator-bound; empty when it is not. */
    boundReasons: z.array(z.string()).optional(),
    /** The commands as run (warm-up first); also in the raw folder as load-command.sh. */
    commandLine: z.string().optional(),
    /** Per-request log lines counted and left out of load.log. */
    suppressedLogLines: z.number().int().nonnegative().optional(),
  })
  .strict();
export type GeneratorRecord = z.output<typeof GeneratorRecordSchema>;

/** The second generator's run of a cross-checked cell, kept beside the first's. */
export const CrossCheckRecordSchema = z
  .object({
    load: LoadSummarySchema,
    generator: GeneratorRecordSchema,
    /** |a - b| / max(a, b) of the two ok throughputs. */
    gap: z.number().nonnegative().nullable(),
    disagrees: z.boolean(),
    /** Its raw files, relative to the run folder. */
    rawDir: z.string(),
  })
  .strict();
export type CrossCheckRecord = z.output<typeof CrossCheckRecordSchema>;

/** The run's generators: what was asked, what was used, and the ceilings measured before the sweep. */
export const SweepGeneratorsSchema = z
  .object({
    choice: z.enum(GENERATOR_CHOICES),
    primary: z.enum(GENERATORS),
    crossCheck: CrossCheckSelectionSchema.nullable(),
    ceilings: z.array(CeilingSchema),
    /** Why ceilings are missing, when they are (e.g. the load runs on another host). */
    note: z.string().nullable(),
  })
  .strict();
export type SweepGenerators = z.output<typeof SweepGeneratorsSchema>;
