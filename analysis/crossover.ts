import { FAILED_STATUSES } from "../core/results/schema";
import { describeInterference } from "../lab/runner/interference";
import { failedCount, platformRank, REPETITION_METRICS, type Scenario } from "./scenarios";
import { intervalsSeparate, type Summary } from "./stats";

/** The two metrics the paper's crossover is about (Figs. 5-8, 10-13). */
export const CROSSOVER_METRICS = ["throughputRps", "latencyMeanMs"] as const;
export type CrossoverMetric = (typeof CROSSOVER_METRICS)[number];

/**
 * At one memory level: which of the two series is better. `a`/`b` only when the 95% confidence
 * intervals do not overlap (or one side failed outright while the other ran); `tie` when they
 * overlap; `unknown` when an interval cannot be formed (fewer than two ok repetitions, or no
 * data on one side); `both-failed` when neither produced an ok repetition.
 */
export type Outcome = "a" | "b" | "tie" | "unknown" | "both-failed";

export interface LevelComparison {
  memoryMB: number;
  a: Summary | null;
  b: Summary | null;
  outcome: Outcome;
  /** Relative difference (a / b - 1) of the means, when both exist. */
  relative: number | null;
  note: string;
}

export interface Crossover {
  /** The series that was better at the higher memory levels. */
  from: string;
  /** The series that is better from `belowMB` down. */
  to: string;
  /** The adjacent pair of levels the flip happens between. */
  aboveMB: number;
  belowMB: number;
  /** The lowest level where `from` was still significantly better (== aboveMB when the flip is direct). */
  lastFromMB: number;
  /** Levels between lastFromMB and belowMB where the platforms could not be told apart. */
  levelAtMB: number[];
  text: string;
}

export interface PairComparison {
  runtime: string;
  workload: string;
  cpus: number;
  metric: CrossoverMetric;
  a: string;
  b: string;
  /** Ordered from the most memory to the least. */
  levels: LevelComparison[];
  crossovers: Crossover[];
  summary: string;
}

const fmtMB = (levels: readonly number[]) => `${levels.join(", ")} MB`;

function failureNote(s: Scenario | undefined): string {
  if (!s) return "no data";
  const parts = FAILED_STATUSES.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`);
  return parts.length > 0 ? parts.join(", ") : s.counts.skipped > 0 ? "skipped" : "no ok repetition";
}

const hasFailed = (s: Scenario | undefined) => s !== undefined && s.basis === "none" && failedCount(s) > 0;

export function compareLevel(
  memoryMB: number,
  metric: CrossoverMetric,
  names: { a: string; b: string },
  sa: Scenario | undefined,
  sb: Scenario | undefined,
): LevelComparison {
  const a = sa?.basis !== "none" ? (sa?.metrics[metric] ?? null) : null;
  const b = sb?.basis !== "none" ? (sb?.metrics[metric] ?? null) : null;
  const relative = a && b && b.mean !== 0 ? a.mean / b.mean - 1 : null;
  const base = { memoryMB, a, b, relative };
  if (!a && !b) {
    if (hasFailed(sa) && hasFailed(sb)) return { ...base, outcome: "both-failed", note: "both failed" };
    return { ...base, outcome: "unknown", note: `${names.a}: ${failureNote(sa)}; ${names.b}: ${failureNote(sb)}` };
  }
  if (!a || !b) {
    // A failure is worse than any measurement; a platform that was not run says nothing.
    const missing = a ? sb : sa;
    const present = a ? "a" : "b";
    if (hasFailed(missing)) {
      return {
        ...base,
        outcome: present,
        note: `${present === "a" ? names.b : names.a} failed (${failureNote(missing)})`,
      };
    }
    return { ...base, outcome: "unknown", note: `${present === "a" ? names.b : names.a}: ${failureNote(missing)}` };
  }
  if (a.ciLow === null || b.ciLow === null) {
    return {
      ...base,
      outcome: "unknown",
      note: `n = ${a.n} and ${b.n}: a confidence interval needs two ok repetitions`,
    };
  }
  if (!intervalsSeparate(a, b)) {
    // Overlap where a repetition was set aside is no evidence of no difference: it is undetermined.
    const marked = markedRepetition(sa, names.a) ?? markedRepetition(sb, names.b);
    if (marked) return { ...base, outcome: "unknown", note: marked };
    return { ...base, outcome: "tie", note: "95% confidence intervals overlap" };
  }
  const aHigher = a.mean > b.mean;
  const aBetter = REPETITION_METRICS[metric].higherIsBetter ? aHigher : !aHigher;
  return { ...base, outcome: aBetter ? "a" : "b", note: "95% confidence intervals separate" };
}

/** A repetition of the scenario left out as disturbed or set aside as an outlier, with its figure; null when none. */
export function markedRepetition(s: Scenario | undefined, series: string): string | null {
  if (!s) return null;
  const disturbed = s.disturbed.find((c) => !s.used.includes(c));
  if (disturbed) {
    const i = disturbed.cell.interference;
    return `repetition r${disturbed.cell.spec.repetition} of ${series} disturbed (${i ? describeInterference(i) : "flagged"})`;
  }
  const outlier = s.outliers[0];
  return outlier ? `repetition r${outlier.cell.cell.spec.repetition} of ${series} set aside (${outlier.rule})` : null;
}

/**
 * Crossovers along the memory levels (most memory first). A crossover is stated only between
 * levels where each side was significantly better: when levels where the platforms are
 * indistinguishable lie between, the flip is placed just above the first level where the new
 * winner is significantly better, and those levels are named as where the two are level.
 */
export function findCrossovers(levels: readonly LevelComparison[], names: { a: string; b: string }): Crossover[] {
  const crossovers: Crossover[] = [];
  let last: { winner: "a" | "b"; index: number } | null = null;
  levels.forEach((level, index) => {
    if (level.outcome !== "a" && level.outcome !== "b") return;
    if (last && last.winner !== level.outcome) {
      const from = names[last.winner];
      const to = names[level.outcome];
      const lastFromMB = levels[last.index]?.memoryMB ?? level.memoryMB;
      const between = levels.slice(last.index + 1, index);
      const aboveMB = levels[index - 1]?.memoryMB ?? lastFromMB;
      const levelAt = between.filter((l) => l.outcome === "tie").map((l) => l.memoryMB);
      const unknownAt = between.filter((l) => l.outcome !== "tie").map((l) => l.memoryMB);
      let text = `${from} better down to ${lastFromMB} MB, ${to} better from ${level.memoryMB} MB: crossover between ${aboveMB} and ${level.memoryMB} MB`;
      if (levelAt.length > 0) text += ` (no significant difference at ${fmtMB(levelAt)})`;
      if (unknownAt.length > 0) text += ` (undetermined at ${fmtMB(unknownAt)})`;
      crossovers.push({ from, to, aboveMB, belowMB: level.memoryMB, lastFromMB, levelAtMB: levelAt, text });
    }
    last = { winner: level.outcome, index };
  });
  return crossovers;
}

export function summarizePair(
  levels: readonly LevelComparison[],
  crossovers: readonly Crossover[],
  names: { a: string; b: string },
): string {
  if (crossovers.length > 0) return crossovers.map((c) => c.text).join("; ");
  const at = (o: Outcome) => levels.filter((l) => l.outcome === o).map((l) => l.memoryMB);
  const parts: string[] = [];
  const [aWins, bWins, ties, unknown, failed] = [at("a"), at("b"), at("tie"), at("unknown"), at("both-failed")];
  const all = levels.length;
  if (aWins.length === all) return `${names.a} better at every level (${fmtMB(aWins)})`;
  if (bWins.length === all) return `${names.b} better at every level (${fmtMB(bWins)})`;
  if (ties.length === all) return `no significant difference at any level (${fmtMB(ties)})`;
  if (aWins.length > 0) parts.push(`${names.a} better at ${fmtMB(aWins)}`);
  if (bWins.length > 0) parts.push(`${names.b} better at ${fmtMB(bWins)}`);
  if (ties.length > 0) parts.push(`no significant difference at ${fmtMB(ties)}`);
  if (failed.length > 0) parts.push(`both failed at ${fmtMB(failed)}`);
  if (unknown.length > 0)
    parts.push(`undetermined at ${fmtMB(unknown)} (${levels.find((l) => l.outcome === "unknown")?.note})`);
  return `no crossover: ${parts.join("; ")}`;
}

/** Every pair of series, per runtime, workload, CPU count and metric, across the memory levels. */
export function comparePlatforms(scenarios: readonly Scenario[]): PairComparison[] {
  const groups = new Map<string, Scenario[]>();
  for (const s of scenarios) {
    if (s.spec.workload === "startup") continue;
    const k = `${s.spec.runtime}|${s.spec.workload}|${s.spec.cpus}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const pairs: PairComparison[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    // A platform that never ran here (every cell skipped, e.g. no KVM) has nothing to compare.
    const attempted = group.filter((s) => s.counts.skipped < s.cells.length);
    const seriesNames = [...new Set(attempted.map((s) => s.series))].sort(
      (x, y) => platformRank(x.split(" ")[0] ?? x) - platformRank(y.split(" ")[0] ?? y) || x.localeCompare(y),
    );
    const memory = [...new Set(group.map((s) => s.spec.memoryMB))].sort((x, y) => y - x);
    for (let i = 0; i < seriesNames.length; i++) {
      for (let j = i + 1; j < seriesNames.length; j++) {
        const names = { a: seriesNames[i] ?? "", b: seriesNames[j] ?? "" };
        for (const metric of CROSSOVER_METRICS) {
          const levels = memory.map((m) =>
            compareLevel(
              m,
              metric,
              names,
              group.find((s) => s.series === names.a && s.spec.memoryMB === m),
              group.find((s) => s.series === names.b && s.spec.memoryMB === m),
            ),
          );
          const crossovers = findCrossovers(levels, names);
          pairs.push({
            runtime: first.spec.runtime,
            workload: first.spec.workload,
            cpus: first.spec.cpus,
            metric,
            ...names,
            levels,
            crossovers,
            summary: summarizePair(levels, crossovers, names),
          });
        }
      }
    }
  }
  return pairs;
}
