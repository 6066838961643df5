/**
 * The report's first screen: every significant finding in words, from the attribution (a knob
 * that moves a gap beyond its 95% interval), from failure outcomes a knob changes (counts), and
 * from platform differences the crossover/decision code calls significant at the paper's settings.
 */
import { knobsAtDefaults } from "../lab/platforms/registry";
import { type Attribution, significantBaseGaps, significantSentences } from "./attribution";
import type { PairComparison } from "./crossover";
import { type DecisionRow, decisionRows } from "./decision";
import type { Scenario } from "./scenarios";

export type FindingKind = "attribution" | "outcome" | "platform";

export interface Finding {
  kind: FindingKind;
  text: string;
}

export const NO_FINDING =
  "No significant finding: no knob change moved a gap beyond its 95% interval, no knob changed whether repetitions fail, and no platform was significantly better than another at the paper's settings.";

/** A decision row whose choice rests on separated intervals (or a failure), not a tie or too few repetitions. */
function decisive(d: DecisionRow): boolean {
  return !/^(undetermined|either|neither|both)/.test(d.choice);
}

const capitalised = (s: string) => `${s[0]?.toUpperCase() ?? ""}${s.slice(1)}`;

export function findings(
  attribution: Attribution,
  pairs: readonly PairComparison[],
  scenarios: readonly Scenario[],
): Finding[] {
  // Throughput changes first, then failures, then platform differences; latency (with a fixed number of
  // connections mostly the mirror of throughput) last, so a five-line summary shows the most.
  const out: Finding[] = significantSentences(attribution, ["throughput"]).map((text) => ({
    kind: "attribution",
    text,
  }));
  for (const o of attribution.outcomes) if (o.differs) out.push({ kind: "outcome", text: o.sentence });
  // The gaps the attribution starts from (Welch intervals: they can separate where the crossover's per-platform intervals overlap).
  for (const text of significantBaseGaps(attribution)) out.push({ kind: "platform", text });
  // Platform differences at the paper's settings only: the variants are the attribution's business.
  const baseSeries = new Set(scenarios.filter((s) => knobsAtDefaults(s.spec.knobs)).map((s) => s.series));
  const variantSeries = new Set(scenarios.filter((s) => !knobsAtDefaults(s.spec.knobs)).map((s) => s.series));
  const atPaperSettings = (series: string) => baseSeries.has(series) && !variantSeries.has(series);
  const basePairs = pairs.filter((p) => atPaperSettings(p.a) && atPaperSettings(p.b));
  // At the paper's settings the knob part of a series label ("docker (nodeHeap=default)") says nothing.
  const platformOf = new Map(scenarios.map((s) => [s.series, s.spec.platform]));
  const plain = (text: string, p: { a: string; b: string }) =>
    [p.a, p.b].reduce((t, series) => t.split(series).join(platformOf.get(series) ?? series), text);
  for (const p of basePairs.filter((x) => x.crossovers.length > 0)) {
    out.push({
      kind: "platform",
      text: plain(
        `${capitalised(p.runtime)} ${p.workload} at ${p.cpus} CPU${p.cpus > 1 ? "s" : ""}, ${p.metric === "throughputRps" ? "throughput" : "mean latency"}: ${p.summary}`,
        p,
      ),
    });
  }
  for (const d of decisionRows(basePairs).filter(decisive)) {
    const [a = "", b = ""] = d.platforms.split(" vs ");
    out.push({
      kind: "platform",
      text: plain(
        `${capitalised(d.runtime)} ${d.aspect} at ${d.resources}, ${d.platforms}: ${d.choice.startsWith("trade-off") ? d.choice : `${d.choice} is better`} (${d.evidence})`,
        { a, b },
      ),
    });
  }
  for (const text of significantSentences(attribution, ["latency"])) out.push({ kind: "attribution", text });
  return out;
}

/** At most `limit` lines for a terminal: the first findings, and how many more the report has. */
export function summaryLines(list: readonly Finding[], limit = 5): string[] {
  if (list.length === 0) return [NO_FINDING];
  if (list.length <= limit) return list.map((f) => f.text);
  return [
    ...list.slice(0, limit - 1).map((f) => f.text),
    `... and ${list.length - limit + 1} more finding(s) in the report`,
  ];
}
