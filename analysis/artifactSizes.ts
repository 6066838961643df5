import { z } from "zod";
import type { LoadedRun } from "./read";

/**
 * The manifest keeps artifact records loosely typed (each builder adds its own fields); the
 * report needs only these, and reads them leniently so an unusual record never stops a report.
 */
const ArtifactRecordSchema = z.object({
  runtime: z.string(),
  kind: z.string(),
  ref: z.string().optional(),
  status: z.string().optional(),
  size: z.object({ apparentBytes: z.number(), allocatedBytes: z.number().nullable() }).nullable().optional(),
  notes: z.array(z.string()).optional(),
});

export interface ArtifactSize {
  runId: string;
  runtime: string;
  kind: string;
  ref: string;
  /** MB as Docker and the paper count them (10^6 bytes). */
  apparentMB: number;
  allocatedMB: number | null;
  notes: string[];
}

/** What each artifact kind stands for in the paper's Fig. 2. */
export const ARTIFACT_KIND_LABELS: Record<string, string> = {
  binary: "raw binary",
  "docker-paper": "Docker image",
  "docker-offline": "Docker image (offline build)",
  nanos: "Nanos image",
};

/** Sized artifacts of every run; a kind already seen for a runtime (a merged run) is kept once. */
export function artifactSizes(runs: readonly LoadedRun[]): { sizes: ArtifactSize[]; warnings: string[] } {
  const sizes: ArtifactSize[] = [];
  const warnings: string[] = [];
  for (const run of runs) {
    run.manifest.artifacts.forEach((raw, i) => {
      const parsed = ArtifactRecordSchema.safeParse(raw);
      if (!parsed.success) {
        warnings.push(`run ${run.manifest.runId}: artifact record ${i} is not readable, left out`);
        return;
      }
      const a = parsed.data;
      if (!a.size) return; // inputs only (e.g. a Nanos image where ops is missing): nothing to size
      if (sizes.some((s) => s.runtime === a.runtime && s.kind === a.kind)) return;
      sizes.push({
        runId: run.manifest.runId,
        runtime: a.runtime,
        kind: a.kind,
        ref: a.ref ?? "",
        apparentMB: a.size.apparentBytes / 1e6,
        allocatedMB: a.size.allocatedBytes === null ? null : a.size.allocatedBytes / 1e6,
        notes: a.notes ?? [],
      });
    });
  }
  return { sizes, warnings };
}
