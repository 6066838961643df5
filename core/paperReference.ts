import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";

/** The metric names used by paper-reference.yaml; the analysis measures the same names. */
export const PAPER_METRICS = [
  "binarySizeMB",
  "imageSizeMB",
  "ttrMedianMs",
  "throughputRps",
  "latencyMeanMs",
  "latencyStddevMs",
  "timeouts",
  "dropPercent",
] as const;
export type PaperMetric = (typeof PAPER_METRICS)[number];

const MeasurementSchema = z
  .object({
    id: z.string(),
    metric: z.enum(PAPER_METRICS),
    runtime: z.enum(["go", "node"]),
    platform: z.enum(["raw", "docker", "nanos"]),
    workload: z.enum(["none", "io", "compute"]),
    cpus: z.number().int().positive().optional(),
    memoryMB: z.number().int().positive().optional(),
    value: z.number(),
    approximate: z.boolean(),
    ambiguous: z.string().optional(),
    section: z.string(),
    quote: z.string(),
  })
  .strict();
export type PaperMeasurement = z.output<typeof MeasurementSchema>;

const ClaimSchema = z
  .object({
    id: z.string(),
    statement: z.string(),
    section: z.string(),
    quote: z.string(),
    ambiguous: z.string().optional(),
    check: z.string(),
  })
  .strict();
export type PaperClaim = z.output<typeof ClaimSchema>;

const PaperReferenceSchema = z
  .object({ paper: z.string(), measurements: z.array(MeasurementSchema), claims: z.array(ClaimSchema) })
  .strict();
export type PaperReference = z.output<typeof PaperReferenceSchema>;

export const PAPER_REFERENCE_FILE = join(__dirname, "paper-reference.yaml");

/** Read and check the transcription; a typo in it is a bug to fix, so it throws with the path. */
export function loadPaperReference(path = PAPER_REFERENCE_FILE): PaperReference {
  const parsed = PaperReferenceSchema.safeParse(parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}
