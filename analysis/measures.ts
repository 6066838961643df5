import type { PaperMeasurement, PaperMetric, PaperReference } from "../core/paper/reference";
import { knobsAtDefaults } from "../lab/platforms/registry";
import type { ArtifactSize } from "./artifactSizes";
import { type RepetitionMetric, type Scenario, scenarioNote } from "./scenarios";
import { distribution } from "./stats";

/** One value of the paper's notation M(metric, runtime, platform, workload, cpus, memoryMB). */
export interface MeasureQuery {
  metric: PaperMetric;
  runtime: string;
  /** `raw` is the bare artifact (binarySizeMB). */
  platform: string;
  workload?: string;
  cpus?: number;
  memoryMB?: number;
}

export interface MeasuredValue {
  value: number;
  ciLow: number | null;
  ciHigh: number | null;
  /** Repetitions (or launches, for time to ready) behind the value. */
  n: number;
  /** Computed from flagged cells (see scenarios.ts). */
  flagged: boolean;
  note: string;
}

/** The accessor the claim checks and the paper comparison use; undefined = not measured. */
export type Measures = ((q: MeasureQuery) => MeasuredValue | undefined) & {
  /** Why a query has no value (not run, skipped, every repetition failed), for "not measured" notes. */
  explain?: (q: MeasureQuery) => string;
};

export function describeQuery(q: MeasureQuery): string {
  const parts = [q.metric, q.runtime, q.platform];
  if (q.workload && q.workload !== "none") parts.push(q.workload);
  if (q.cpus !== undefined) parts.push(String(q.cpus));
  if (q.memoryMB !== undefined) parts.push(String(q.memoryMB));
  return `M(${parts.join(", ")})`;
}

const PER_REPETITION: Partial<Record<PaperMetric, RepetitionMetric>> = {
  throughputRps: "throughputRps",
  latencyMeanMs: "latencyMeanMs",
  latencyStddevMs: "jitterMs",
  timeouts: "timeouts",
};

/** Every knob at its default (the paper's setting, where the paper had one): preferred when a run has variants. */
function paperLike(s: Scenario): boolean {
  return knobsAtDefaults(s.spec.knobs);
}

function pick(candidates: Scenario[]): Scenario | undefined {
  const usable = candidates.filter((s) => s.basis !== "none");
  return usable.find(paperLike) ?? usable[0];
}

/** Measures from this analysis: scenario statistics and the manifests' artifact sizes. */
export function measuresFromRun(scenarios: readonly Scenario[], sizes: readonly ArtifactSize[]): Measures {
  const loadScenario = (q: MeasureQuery) =>
    pick(
      scenarios.filter(
        (s) =>
          s.spec.runtime === q.runtime &&
          s.spec.platform === q.platform &&
          s.spec.workload === q.workload &&
          s.spec.cpus === q.cpus &&
          s.spec.memoryMB === q.memoryMB,
      ),
    );
  const measure: Measures = (q) => {
    switch (q.metric) {
      case "binarySizeMB": {
        const a = sizes.find((s) => s.runtime === q.runtime && s.kind === "binary");
        return a && { value: a.apparentMB, ciLow: null, ciHigh: null, n: 1, flagged: false, note: a.ref };
      }
      case "imageSizeMB": {
        const kinds = q.platform === "docker" ? ["docker-paper", "docker-offline"] : [q.platform];
        for (const kind of kinds) {
          const a = sizes.find((s) => s.runtime === q.runtime && s.kind === kind);
          if (a)
            return { value: a.apparentMB, ciLow: null, ciHigh: null, n: 1, flagged: false, note: `${kind} ${a.ref}` };
        }
        return undefined;
      }
      case "ttrMedianMs": {
        // The paper gives one TTR per runtime and platform: pool every launch at every level.
        const startup = scenarios.filter(
          (s) =>
            s.spec.runtime === q.runtime && s.spec.platform === q.platform && s.spec.workload === "startup" && s.ttr,
        );
        const chosen = startup.some(paperLike) ? startup.filter(paperLike) : startup;
        const d = distribution(chosen.flatMap((s) => s.used.flatMap((c) => c.cell.ttr?.samplesMs ?? [])));
        if (!d) return undefined;
        const levels = [...new Set(chosen.map((s) => s.spec.memoryMB))].join("/");
        return {
          value: d.median,
          ciLow: null,
          ciHigh: null,
          n: d.n,
          flagged: chosen.some((s) => s.basis === "flagged"),
          note: `median of ${d.n} launches at ${levels} MB`,
        };
      }
      case "dropPercent": {
        // As the paper: the drop at a level is from the next level up (41.53% = 256 -> 128 MB).
        const levels = [
          ...new Set(
            scenarios
              .filter(
                (s) =>
                  s.spec.runtime === q.runtime &&
                  s.spec.platform === q.platform &&
                  s.spec.workload === q.workload &&
                  s.spec.cpus === q.cpus,
              )
              .map((s) => s.spec.memoryMB),
          ),
        ].sort((a, b) => a - b);
        const above = levels.find((m) => q.memoryMB !== undefined && m > q.memoryMB);
        if (above === undefined) return undefined;
        const t = measure({ ...q, metric: "throughputRps" });
        const base = measure({ ...q, metric: "throughputRps", memoryMB: above });
        if (!t || !base || base.value === 0) return undefined;
        return {
          value: (100 * (base.value - t.value)) / base.value,
          ciLow: null,
          ciHigh: null,
          n: Math.min(t.n, base.n),
          flagged: t.flagged || base.flagged,
          note: `from ${above} MB to ${q.memoryMB} MB`,
        };
      }
      default: {
        const metric = PER_REPETITION[q.metric];
        const s = metric && loadScenario(q);
        const summary = metric && s?.metrics[metric];
        if (!s || !summary) return undefined;
        return {
          value: summary.mean,
          ciLow: summary.ciLow,
          ciHigh: summary.ciHigh,
          n: summary.n,
          flagged: s.basis === "flagged",
          note: s.series,
        };
      }
    }
  };
  measure.explain = (q) => {
    if (q.metric === "binarySizeMB" || q.metric === "imageSizeMB") return "no such sized artifact in the manifest";
    const workload = q.metric === "ttrMedianMs" ? "startup" : q.workload;
    const matching = scenarios.filter(
      (s) =>
        s.spec.runtime === q.runtime &&
        s.spec.platform === q.platform &&
        s.spec.workload === workload &&
        (q.cpus === undefined || s.spec.cpus === q.cpus) &&
        (q.memoryMB === undefined || s.spec.memoryMB === q.memoryMB),
    );
    if (matching.length === 0) return "not in this run";
    const notes = matching.map(scenarioNote).filter((n) => n !== "");
    return notes.length > 0 ? [...new Set(notes)].join("; ") : "no value recorded";
  };
  return measure;
}

export function matchesQuery(m: PaperMeasurement, q: MeasureQuery): boolean {
  return (
    m.metric === q.metric &&
    m.runtime === q.runtime &&
    m.platform === q.platform &&
    (q.workload ?? "none") === m.workload &&
    m.cpus === q.cpus &&
    m.memoryMB === q.memoryMB
  );
}

/** The paper's own published numbers as measures ("checking the paper against itself"). */
export function measuresFromPaper(reference: PaperReference): Measures {
  return (q) => {
    const m = reference.measurements.find((x) => matchesQuery(x, q));
    return m && { value: m.value, ciLow: null, ciHigh: null, n: 1, flagged: false, note: m.id };
  };
}

export const paperQuery = (m: PaperMeasurement): MeasureQuery => ({
  metric: m.metric,
  runtime: m.runtime,
  platform: m.platform,
  workload: m.workload,
  cpus: m.cpus,
  memoryMB: m.memoryMB,
});
