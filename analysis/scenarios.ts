import { createHash } from "node:crypto";
import { type CellSpec, canonicalJson } from "../core/matrix";
import { CELL_STATUSES, type CellResult, type CellStatus, FAILED_STATUSES } from "../core/results/schema";
import { OUTLIER_RULE, outlierIndexes } from "../core/robust";
import { platformNames } from "../lab/platforms/registry";
import { workloadNames } from "../workloads/endpoints";
import type { LoadedCell } from "./read";
import { type Distribution, distribution, type Summary, summarize } from "./stats";

/** A scenario is a cell spec without its repetition: its repetitions are the samples. */
export type ScenarioSpec = Omit<CellSpec, "repetition">;

/** Per-repetition metrics that get a mean and a confidence interval. */
export const REPETITION_METRICS = {
  throughputRps: { label: "Ok throughput", unit: "req/s", higherIsBetter: true },
  latencyMeanMs: { label: "Mean latency", unit: "ms", higherIsBetter: false },
  jitterMs: { label: "Jitter (latency std dev)", unit: "ms", higherIsBetter: false },
  p99Ms: { label: "p99 latency", unit: "ms", higherIsBetter: false },
  timeouts: { label: "Timed-out requests", unit: "requests", higherIsBetter: false },
  failedRequests: { label: "Failed requests", unit: "requests", higherIsBetter: false },
  rssPeakMiB: { label: "Peak RSS", unit: "MiB", higherIsBetter: false },
  cgroupPeakMiB: { label: "Peak cgroup memory", unit: "MiB", higherIsBetter: false },
} as const;
export type RepetitionMetric = keyof typeof REPETITION_METRICS;

const MIB = 1024 * 1024;

function metricValue(cell: CellResult, metric: RepetitionMetric): number | null {
  const load = cell.load;
  switch (metric) {
    case "throughputRps":
      // Ok replies only: a refused request is not throughput (the failures are their own metric).
      return load?.okThroughputRps ?? null;
    case "latencyMeanMs":
      return load?.latencyMs.mean ?? null;
    case "jitterMs":
      return load?.latencyMs.stddev ?? null;
    case "p99Ms":
      return load?.latencyMs.p99 ?? null;
    case "timeouts":
      return load?.timeouts ?? null;
    case "failedRequests":
      return load?.failedRequests ?? null;
    case "rssPeakMiB":
      return cell.footprint ? cell.footprint.rssPeakBytes / MIB : null;
    case "cgroupPeakMiB":
      return cell.footprint?.cgroupPeakBytes != null ? cell.footprint.cgroupPeakBytes / MIB : null;
  }
}

/**
 * Which repetitions the statistics use. Only `ok` cells ever count (an OOM-killed run's partial
 * throughput is not a throughput). Flagged ok cells (generator-bound, emulated, a limit not
 * enforced) are left out when clean ones exist; when all ok cells are flagged they are used and
 * the scenario is marked `flagged` everywhere it appears, never averaged in silently.
 */
export type Basis = "clean" | "flagged" | "none";

export interface Scenario {
  /** Short hash of the spec without repetition. */
  key: string;
  spec: ScenarioSpec;
  /** Legend label: the platform, plus the settings that tell it apart from other scenarios of that platform. */
  series: string;
  cells: LoadedCell[];
  counts: Record<CellStatus, number>;
  /** ok repetitions that carry a flag. */
  flaggedOk: number;
  /** Every flag seen on any repetition. */
  flags: string[];
  basis: Basis;
  used: LoadedCell[];
  /** Repetitions the outlier rule set aside (core/robust.ts), by their ok throughput: marked, not used. */
  outliers: { cell: LoadedCell; rule: string }[];
  /** ok repetitions flagged `disturbed` (others used the machine while they measured): left out when clean ones exist. */
  disturbed: LoadedCell[];
  metrics: Partial<Record<RepetitionMetric, Summary>>;
  /** Startup cells: every launch of every used repetition, pooled. */
  ttr: Distribution | null;
}

export function scenarioSpec(spec: CellSpec): ScenarioSpec {
  const { repetition: _repetition, ...rest } = spec;
  return rest;
}

function hashKey(spec: ScenarioSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 12);
}

/** The platforms in the order the report shows them: the paper's two first. */
/** Platforms in registry order; one the registry does not know (an old results folder) comes last. */
export const platformRank = (p: string) => {
  const names = platformNames();
  const i = names.indexOf(p);
  return i === -1 ? names.length : i;
};

/** The settings that may tell two scenarios of one platform apart, flattened for labels. */
function variantFields(spec: ScenarioSpec): Record<string, string> {
  const fields: Record<string, string> = { revision: spec.revision, emulation: String(spec.allowEmulation) };
  for (const [k, v] of Object.entries(spec.knobs)) if (v !== undefined) fields[k] = String(v);
  for (const [k, v] of Object.entries(spec.load ?? {})) if (v !== undefined) fields[`load.${k}`] = String(v);
  for (const [k, v] of Object.entries(spec.ttr ?? {})) if (v !== undefined) fields[`ttr.${k}`] = String(v);
  return fields;
}

function seriesLabels(scenarios: readonly Scenario[]): void {
  const byPlatformWorkload = new Map<string, Scenario[]>();
  for (const s of scenarios) {
    const k = `${s.spec.platform}|${s.spec.workload}`;
    byPlatformWorkload.set(k, [...(byPlatformWorkload.get(k) ?? []), s]);
  }
  for (const group of byPlatformWorkload.values()) {
    const fields = group.map((s) => variantFields(s.spec));
    const keys = [...new Set(fields.flatMap((f) => Object.keys(f)))];
    // A knob only some scenarios have (a runtime's own: goMaxProcs, nodeHeap) differs only where it is set.
    const differing = keys.filter((k) => new Set(fields.map((f) => f[k]).filter((v) => v !== undefined)).size > 1);
    group.forEach((s, i) => {
      const f = fields[i] ?? {};
      const own = differing.filter((k) => f[k] !== undefined);
      s.series =
        own.length === 0 ? s.spec.platform : `${s.spec.platform} (${own.map((k) => `${k}=${f[k]}`).join(", ")})`;
    });
  }
}

function emptyCounts(): Record<CellStatus, number> {
  return Object.fromEntries(CELL_STATUSES.map((s) => [s, 0])) as Record<CellStatus, number>;
}

export function buildScenarios(cells: readonly LoadedCell[]): Scenario[] {
  const groups = new Map<string, { spec: ScenarioSpec; cells: LoadedCell[] }>();
  for (const loaded of cells) {
    const spec = scenarioSpec(loaded.cell.spec);
    const key = hashKey(spec);
    const group = groups.get(key) ?? { spec, cells: [] };
    group.cells.push(loaded);
    groups.set(key, group);
  }
  const scenarios: Scenario[] = [];
  for (const [key, group] of groups) {
    const sorted = [...group.cells].sort((a, b) => a.cell.spec.repetition - b.cell.spec.repetition);
    const counts = emptyCounts();
    for (const c of sorted) counts[c.cell.status]++;
    const ok = sorted.filter((c) => c.cell.status === "ok");
    const clean = ok.filter((c) => c.cell.flags.length === 0);
    const basis: Basis = clean.length > 0 ? "clean" : ok.length > 0 ? "flagged" : "none";
    const candidates = basis === "clean" ? clean : ok;
    const outliers = repetitionOutliers(candidates);
    const used = candidates.filter((c) => !outliers.some((o) => o.cell === c));
    const metrics: Partial<Record<RepetitionMetric, Summary>> = {};
    for (const metric of Object.keys(REPETITION_METRICS) as RepetitionMetric[]) {
      const values = used.map((c) => metricValue(c.cell, metric)).filter((v): v is number => v !== null);
      const summary = summarize(values);
      if (summary) metrics[metric] = summary;
    }
    const launches = group.spec.workload === "startup" ? used.flatMap((c) => c.cell.ttr?.samplesMs ?? []) : [];
    scenarios.push({
      key,
      spec: group.spec,
      series: group.spec.platform,
      cells: sorted,
      counts,
      flaggedOk: ok.length - clean.length,
      flags: [...new Set(sorted.flatMap((c) => c.cell.flags))].sort(),
      basis,
      used,
      outliers,
      disturbed: ok.filter((c) => c.cell.flags.includes("disturbed")),
      metrics,
      ttr: distribution(launches),
    });
  }
  seriesLabels(scenarios);
  return scenarios.sort(compareScenarios);
}

/** Load repetitions the outlier rule sets aside, judged by their ok throughput (startup cells pool launches instead). */
function repetitionOutliers(cells: readonly LoadedCell[]): { cell: LoadedCell; rule: string }[] {
  const measured = cells.filter((c) => c.cell.load?.okThroughputRps != null);
  const values = measured.map((c) => c.cell.load?.okThroughputRps ?? 0);
  return outlierIndexes(values).flatMap((i) => {
    const cell = measured[i];
    return cell ? [{ cell, rule: `outlier: ${Math.round(values[i] ?? 0)} req/s is ${OUTLIER_RULE}` }] : [];
  });
}

/** Startup first, then the workloads in the registry's order; one this checkout lacks comes last. */
export function workloadRank(workload: string): number {
  const order = ["startup", ...workloadNames()];
  const index = order.indexOf(workload);
  return index < 0 ? order.length : index;
}

/** Report order: runtime, workload, CPUs (rich first), memory (high to low), platform. */
export function compareScenarios(a: Scenario, b: Scenario): number {
  return (
    a.spec.runtime.localeCompare(b.spec.runtime) ||
    workloadRank(a.spec.workload) - workloadRank(b.spec.workload) ||
    b.spec.cpus - a.spec.cpus ||
    b.spec.memoryMB - a.spec.memoryMB ||
    platformRank(a.spec.platform) - platformRank(b.spec.platform) ||
    a.series.localeCompare(b.series)
  );
}

/** Repetitions that did not finish ok (skipped ones were never attempted, so they are not failures). */
export function failedCount(s: Scenario): number {
  return FAILED_STATUSES.reduce((sum, status) => sum + s.counts[status], 0);
}

/** Why the scenario has no statistics or why they need care, for tables and tooltips. */
export function scenarioNote(s: Scenario): string {
  const parts: string[] = [];
  const failed = FAILED_STATUSES.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`);
  if (failed.length > 0) parts.push(failed.join(", "));
  if (s.counts.skipped > 0) {
    const reason = s.cells.find((c) => c.cell.status === "skipped")?.cell.reason;
    parts.push(`${s.counts.skipped} skipped${reason ? ` (${reason})` : ""}`);
  }
  if (s.basis === "flagged") parts.push(`stats from flagged cells: ${s.flags.join(", ")}`);
  else if (s.flaggedOk > 0) parts.push(`${s.flaggedOk} flagged repetition(s) left out: ${s.flags.join(", ")}`);
  for (const o of s.outliers) parts.push(`r${o.cell.cell.spec.repetition} set aside (${o.rule})`);
  return parts.join("; ");
}

export const scenarioLabel = (spec: ScenarioSpec) =>
  `${spec.runtime}-${spec.platform}-${spec.workload}-${spec.cpus}cpu-${spec.memoryMB}mb`;
