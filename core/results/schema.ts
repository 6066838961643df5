import { z } from "zod";
import { LoadSettingsSchema, ProfileSchema } from "../config/profile";
import { RevisionSchema } from "../config/revision";
import { CrossCheckRecordSchema, GeneratorRecordSchema, SweepGeneratorsSchema } from "../load/record";
import { GENERATOR_CHOICES, LoadSummarySchema } from "../load/types";
import { RuntimeNameSchema, WorkloadNameSchema } from "../model";

export const RESULTS_SCHEMA_VERSION = 1;

/**
 * How a cell ended. An experiment that OOMs, crashes or times out is a result, not an error.
 * `lab-error`: the lab failed, not the app (its load generator died, its platform went away
 * mid-cell); the cell measured nothing and counts for no platform.
 */
export const CELL_STATUSES = ["ok", "oom", "crashed", "timeout", "failed-start", "skipped", "lab-error"] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];
/** The statuses of a cell that was attempted and did not end ok (a skipped cell never ran). */
export const FAILED_STATUSES = ["oom", "crashed", "timeout", "failed-start"] as const satisfies readonly CellStatus[];

/** Marks that keep a cell out of silent averages: the report shows them. */
export const CELL_FLAGS = [
  "generator-bound",
  /** A cross-check's two generators differ by more than 10% and neither was generator-bound. */
  "generators-disagree",
  "emulated",
  "cpu-limit-not-enforced",
  "memory-limit-not-enforced",
  /** Others used the machine while the cell measured, beyond the threshold (see `interference`). */
  "disturbed",
] as const;

export const CellSpecSchema = z
  .object({
    revision: z.string(),
    runtime: RuntimeNameSchema,
    /** A platform's name; a results folder stays readable after a platform leaves the registry. */
    platform: z.string().regex(/^[a-z][a-z0-9-]*$/),
    /** A workload, or "startup" (time to ready). */
    workload: WorkloadNameSchema,
    cpus: z.number().int().positive(),
    memoryMB: z.number().int().positive(),
    knobs: z.record(z.string(), z.string()),
    load: LoadSettingsSchema.nullable(),
    ttr: z
      .object({ launches: z.number().int().nonnegative(), timeoutS: z.number().int().positive() })
      .strict()
      .nullable(),
    allowEmulation: z.boolean(),
    repetition: z.number().int().positive(),
  })
  .strict();

const LimitRecord = z.object({ requested: z.number(), enforced: z.boolean(), how: z.string() }).strict();

export const AppInfoSchema = z.object({
  runtime: RuntimeNameSchema,
  version: z.string(),
  pid: z.number(),
  uptimeMs: z.number(),
  cpu: z.object({ seen: z.number(), cgroupQuotaCpus: z.number().nullable() }),
  gomaxprocs: z.number().nullable(),
  v8HeapLimitBytes: z.number().nullable(),
  memory: z.object({
    totalBytes: z.number(),
    cgroupVersion: z.number().nullable(),
    cgroupLimitBytes: z.number().nullable(),
  }),
});

export const TtrSchema = z
  .object({
    /** Where each sample's clock started: the launch command's own stamp, or the harness (older runs). */
    clock: z.enum(["launch-command", "harness"]).optional(),
    launches: z.number().int().nonnegative(),
    samplesMs: z.array(z.number().nonnegative()),
    medianMs: z.number().nonnegative().nullable(),
    minMs: z.number().nonnegative().nullable(),
    maxMs: z.number().nonnegative().nullable(),
  })
  .strict();

/**
 * The phases of a cell the runner times, in order: making the instance's context and folder,
 * its prepare script, the launch to the first HTTP 200 (TTR included), the contract check, the
 * load (warm-up and duration included), ending the footprint sampler, and stopping and removing
 * the instance, and reading /proc for interference. What they hold beyond TTR, warm-up and load
 * is the runner's own cost.
 */
export const CELL_PHASES = [
  "setup",
  "prepare",
  "launch",
  "check",
  "load",
  "footprint",
  "stop",
  "interference",
] as const;
export type CellPhase = (typeof CELL_PHASES)[number];

const PhaseSeconds = z
  .object(
    Object.fromEntries(CELL_PHASES.map((phase) => [phase, z.number().nonnegative().optional()])) as {
      [P in CellPhase]: z.ZodOptional<z.ZodNumber>;
    },
  )
  .strict();

/**
 * What else used the machine while the cell measured (lab/runner/interference.ts): CPU seconds of
 * processes that are not the run's, the hypervisor's steal, over the measured window.
 */
export const InterferenceSchema = z
  .object({
    /** Seconds between the two /proc snapshots (the load, or every launch of a startup cell). */
    windowS: z.number().nonnegative(),
    /** CPU seconds used by processes that are not the run's (nor kernel threads). */
    foreignCpuS: z.number().nonnegative(),
    /** foreignCpuS / windowS: how many cores others kept busy on average. */
    foreignCores: z.number().nonnegative(),
    /** Of foreignCpuS, what processes last seen on a core the instance may use ran. */
    foreignOnSutCoresS: z.number().nonnegative(),
    /** The cores the instance may use; null: not known (the instance was gone) or every core. */
    sutCores: z.array(z.number().int().nonnegative()).nullable(),
    /** CPU seconds the hypervisor took from this host's vCPUs (all cores). */
    stealS: z.number().nonnegative(),
    /** stealS over all CPU time of the window (0-1). */
    stealShare: z.number().nonnegative(),
    ownCpuS: z.number().nonnegative(),
    kernelCpuS: z.number().nonnegative(),
    /** Busy CPU seconds of the whole host by /proc/stat (everything above, interrupts and processes that came and went). */
    hostBusyS: z.number().nonnegative(),
    /** The foreign processes that used most CPU, most first. */
    top: z.array(z.object({ pid: z.number().int(), comm: z.string(), cpuS: z.number().nonnegative() }).strict()),
    /** Over the threshold: the cell carries the `disturbed` flag. */
    disturbed: z.boolean(),
  })
  .strict();
export type Interference = z.output<typeof InterferenceSchema>;

export const CellResultSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    id: z.string().regex(/^[0-9a-f]{16}$/),
    name: z.string(),
    spec: CellSpecSchema,
    status: z.enum(CELL_STATUSES),
    reason: z.string().nullable(),
    flags: z.array(z.enum(CELL_FLAGS)),
    startedAt: z.string().datetime(),
    finishedAt: z.string().datetime(),
    wallS: z.number().nonnegative(),
    ttr: TtrSchema.nullable(),
    load: LoadSummarySchema.nullable(),
    generator: GeneratorRecordSchema.nullable(),
    /** The same load by a second generator, right after the first (cross-checked cells only). */
    crossCheck: CrossCheckRecordSchema.nullable().optional(),
    footprint: z
      .object({
        samples: z.number().int().positive(),
        rssPeakBytes: z.number().nonnegative(),
        rssMeanBytes: z.number().nonnegative(),
        cgroupPeakBytes: z.number().nonnegative().nullable(),
        cgroupMeanBytes: z.number().nonnegative().nullable(),
        /** The cgroup's own peak counter (memory.peak; v1 memory.max_usage_in_bytes); results before it have none. */
        cgroupMaxBytes: z.number().nonnegative().nullable().optional(),
        /** The host process's proportional set size, peak (smaps_rollup). */
        pssPeakBytes: z.number().nonnegative().nullable().optional(),
        /**
         * The summed PSS of the cgroup's other processes (gVisor's gofer and stubs beside its sandbox), the
         * median of the samples: a sample taken while the stubs change reads them apart, once each.
         */
        othersPssMedianBytes: z.number().nonnegative().nullable().optional(),
      })
      .strict()
      .nullable(),
    appInfo: AppInfoSchema.nullable(),
    limits: z
      .object({ cpu: LimitRecord, memoryMB: LimitRecord, network: z.string(), accelerator: z.string().nullable() })
      .strict()
      .nullable(),
    exit: z
      .object({ exitCode: z.number().nullable(), signal: z.string().nullable(), oomKilled: z.boolean() })
      .strict()
      .nullable(),
    /**
     * What a VM guest reported of its own memory (the microVM's init: MemTotal, the app's peak RSS),
     * from the instance's guest.json; absent where the platform reports nothing (results before it too).
     */
    guest: z
      .object({ memTotalKb: z.number().nonnegative().nullable(), appPeakRssKb: z.number().nonnegative().nullable() })
      .strict()
      .nullable()
      .optional(),
    /** Others' use of the machine while the cell measured; results before it have none. */
    interference: InterferenceSchema.nullable().optional(),
    /** Wall seconds per phase of the cell (a startup cell sums its launches); results before it have none. */
    phasesS: PhaseSeconds.optional(),
    /** Where the cell's raw files are, relative to the run folder. */
    rawDir: z.string(),
    /** The host pair that measured the cell (the Pulumi lab with edge-lab:pairs > 1; 1-based). */
    pair: z.number().int().positive().optional(),
  })
  .strict();
export type CellResult = z.output<typeof CellResultSchema>;

export const HostFactsSchema = z
  .object({
    hostname: z.string(),
    os: z.string(),
    kernel: z.string(),
    cpuModel: z.string(),
    cores: z.number().int().positive(),
    memoryBytes: z.number().positive(),
    cgroupVersion: z.number().int().nullable(),
    /**
     * Whether KVM ran a guest here: decided by a trial boot (lab/platforms/kvm.ts), whose facts
     * (CPU model, boot time, the console's last line) are in `detail` (runs before it have none).
     */
    kvm: z.object({
      usable: z.boolean(),
      reason: z.string().nullable(),
      detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    }),
  })
  .strict();
export type HostFacts = z.output<typeof HostFactsSchema>;

export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    runId: z.string(),
    createdAt: z.string().datetime(),
    /** Where the run was made: the local runner or a Pulumi stack. */
    origin: z.string(),
    revision: RevisionSchema,
    profileName: z.string(),
    profile: ProfileSchema,
    selection: z
      .object({
        runtimes: z.array(z.string()).optional(),
        platforms: z.array(z.string()).optional(),
        workloads: z.array(z.string()).optional(),
        memoryMB: z.array(z.number()).optional(),
      })
      .strict(),
    generatorPreference: z.enum(GENERATOR_CHOICES).nullable(),
    /** Generators used and their ceilings (runs before generators were plugins have none). */
    generators: SweepGeneratorsSchema.optional(),
    host: HostFactsSchema,
    versionsFound: z.record(z.string(), z.string().nullable()),
    platforms: z.record(
      z.string(),
      z.object({ ok: z.boolean(), reason: z.string().nullable(), facts: z.record(z.string(), z.unknown()) }),
    ),
    artifacts: z.array(z.record(z.string(), z.unknown())),
    git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }).strict(),
    cells: z.array(z.object({ id: z.string(), name: z.string() }).strict()),
    /** The time-to-ready harness's floor on this host (lab/runner/harnessFloor.ts): a TTR near it is at the limit of what the lab can see. */
    harness: z
      .object({
        ttrFloor: z.object({ medianMs: z.number().nonnegative(), samplesMs: z.array(z.number()) }).strict(),
      })
      .strict()
      .optional(),
    /**
     * The order the cells ran in: shuffled and interleaved from `seed` (lab/runner/schedules/interleaved.ts;
     * the same seed replays it), and, after the sweep, which rule ended each scenario's repetitions.
     * Runs before it have none: their cells ran in matrix order.
     */
    schedule: z
      .object({
        order: z.literal("interleaved"),
        seed: z.number().int().nonnegative(),
        stops: z
          .array(
            z
              .object({
                scenario: z.string(),
                repetitions: z.number().int().nonnegative(),
                rule: z.enum(["interval", "max", "budget", "no-ok", "fixed", "unfinished"]),
                relativeHalfWidth: z.number().nullable(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict()
      .optional(),
    resumes: z.array(
      z.object({ at: z.string().datetime(), host: z.string(), ttrFloorMs: z.number().optional() }).strict(),
    ),
  })
  .strict();
export type Manifest = z.output<typeof ManifestSchema>;
