import { ARTIFACT_KIND_LABELS, type ArtifactSize } from "./artifactSizes";
import type { Outcome, PairComparison } from "./crossover";
import type { Scenario } from "./scenarios";
import { distribution } from "./stats";

/**
 * A decision table in the spirit of the paper's conclusion (section VI): for each runtime,
 * workload and resource regime, which platform the data supports, and on what evidence.
 */
export interface DecisionRow {
  runtime: string;
  /** The two platforms compared ("" for static properties, which rank every platform). */
  platforms: string;
  /** A workload (io, compute) or a static property (start-up, image size). */
  aspect: string;
  resources: string;
  /** What the choice rests on. */
  evidence: string;
  choice: string;
}

function verdict(outcome: Outcome, names: { a: string; b: string }): string {
  switch (outcome) {
    case "a":
      return names.a;
    case "b":
      return names.b;
    case "tie":
      return "no significant difference";
    case "both-failed":
      return "both failed";
    case "unknown":
      return "undetermined";
  }
}

function choose(t: Outcome, l: Outcome, names: { a: string; b: string }): string {
  const decisive = (o: Outcome) => o === "a" || o === "b";
  if (decisive(t) && decisive(l) && t !== l)
    return `trade-off: ${verdict(t, names)} for throughput, ${verdict(l, names)} for latency`;
  if (decisive(t)) return verdict(t, names);
  if (decisive(l)) return verdict(l, names);
  if (t === "tie" && l === "tie") return `either (${names.a} or ${names.b})`;
  if (t === "both-failed") return "neither: both failed";
  return "undetermined (needs more repetitions)";
}

const kindLabel = (kind: string) => ARTIFACT_KIND_LABELS[kind] ?? kind;

const memoryRange = (levels: readonly number[]) =>
  levels.length === 1 ? `${levels[0]} MB` : `${levels[0]}-${levels[levels.length - 1]} MB`;

/**
 * How much better the winner is over a segment: its throughput over the loser's, or the loser's
 * latency over its own, so the factor always reads "x times better".
 */
function margin(p: PairComparison | undefined, levels: readonly number[], outcome: Outcome): string {
  if (!p || (outcome !== "a" && outcome !== "b")) return "";
  const higherIsBetter = p.metric === "throughputRps";
  const inSegment = levels.map((m) => p.levels.find((x) => x.memoryMB === m)).filter((x) => x !== undefined);
  const factors = inSegment
    .map((x) => x.relative)
    .filter((r): r is number => r !== null && r > -1)
    .map((r) => {
      const winnerOverLoser = outcome === "a" ? r + 1 : 1 / (r + 1);
      return higherIsBetter ? winnerOverLoser : 1 / winnerOverLoser;
    });
  const loser = outcome === "a" ? p.b : p.a;
  const failedAt = inSegment.filter((x) => x.relative === null).map((x) => x.memoryMB);
  const parts: string[] = [];
  if (factors.length > 0) {
    const lo = Math.min(...factors).toFixed(2);
    const hi = Math.max(...factors).toFixed(2);
    parts.push(lo === hi ? `${lo}x` : `${lo}-${hi}x`);
  }
  if (failedAt.length > 0) parts.push(`${loser} failed at ${failedAt.join(", ")} MB`);
  return ` (${parts.join("; ")})`;
}

/** Rows for every runtime x workload x CPU count, with consecutive memory levels of one verdict merged. */
export function decisionRows(pairs: readonly PairComparison[]): DecisionRow[] {
  const rows: DecisionRow[] = [];
  const throughput = pairs.filter((p) => p.metric === "throughputRps");
  for (const t of throughput) {
    const l = pairs.find(
      (p) =>
        p.metric === "latencyMeanMs" &&
        p.runtime === t.runtime &&
        p.workload === t.workload &&
        p.cpus === t.cpus &&
        p.a === t.a &&
        p.b === t.b,
    );
    const names = { a: t.a, b: t.b };
    let segment: { levels: number[]; t: Outcome; l: Outcome } | null = null;
    const flush = () => {
      if (!segment) return;
      const { levels } = segment;
      // Without intervals, the point estimates still tell a reader where to look (never a verdict).
      const estimates = (p: PairComparison | undefined) =>
        levels
          .map((m) => p?.levels.find((x) => x.memoryMB === m))
          .filter((x) => x?.outcome === "unknown" && x.relative !== null)
          .map((x) => `${x?.memoryMB} MB ${((x?.relative ?? 0) + 1).toFixed(2)}x`);
      const te = estimates(t);
      const le = estimates(l);
      const hint =
        te.length > 0 || le.length > 0
          ? ` (point estimates ${t.a}/${t.b}, not significant: throughput ${te.join(", ") || "-"}; latency ${le.join(", ") || "-"})`
          : "";
      rows.push({
        runtime: t.runtime,
        platforms: `${t.a} vs ${t.b}`,
        aspect: t.workload,
        resources: `${t.cpus} CPU${t.cpus > 1 ? "s" : ""}, ${memoryRange(segment.levels)}`,
        evidence: `throughput: ${verdict(segment.t, names)}${margin(t, levels, segment.t)}; mean latency: ${verdict(segment.l, names)}${margin(l, levels, segment.l)}${hint}`,
        choice: choose(segment.t, segment.l, names),
      });
    };
    t.levels.forEach((level, i) => {
      const lo: Outcome = l?.levels[i]?.outcome ?? "unknown";
      if (segment && segment.t === level.outcome && segment.l === lo) segment.levels.push(level.memoryMB);
      else {
        flush();
        segment = { levels: [level.memoryMB], t: level.outcome, l: lo };
      }
    });
    flush();
  }
  return rows;
}

/** Start-up and image size rows: the static properties the paper's conclusion also weighs. */
export function staticDecisionRows(scenarios: readonly Scenario[], sizes: readonly ArtifactSize[]): DecisionRow[] {
  const rows: DecisionRow[] = [];
  const runtimes = [...new Set([...scenarios.map((s) => s.spec.runtime), ...sizes.map((s) => s.runtime)])].sort();
  for (const runtime of runtimes) {
    const medians = new Map<string, number>();
    const startup = scenarios.filter((s) => s.spec.runtime === runtime && s.spec.workload === "startup");
    for (const platform of new Set(startup.map((s) => s.spec.platform))) {
      const launches = startup
        .filter((s) => s.spec.platform === platform)
        .flatMap((s) => s.used.flatMap((c) => c.cell.ttr?.samplesMs ?? []));
      const d = distribution(launches);
      if (d) medians.set(platform, d.median);
    }
    if (medians.size >= 2) {
      const ranked = [...medians].sort((a, b) => a[1] - b[1]);
      const [best, next] = [ranked[0], ranked[1]];
      if (best && next) {
        rows.push({
          runtime,
          platforms: ranked.map(([p]) => p).join(", "),
          aspect: "start-up",
          resources: "all levels pooled",
          evidence: `median time to ready: ${ranked.map(([p, m]) => `${p} ${m.toFixed(1)} ms`).join(", ")}`,
          choice: `${best[0]} (${(next[1] / best[1]).toFixed(1)}x faster to ready than ${next[0]})`,
        });
      }
    }
    const images = sizes.filter((s) => s.runtime === runtime && s.kind !== "binary");
    if (images.length >= 2) {
      const ranked = [...images].sort((a, b) => a.apparentMB - b.apparentMB);
      const [best, next] = [ranked[0], ranked[1]];
      if (best && next) {
        rows.push({
          runtime,
          platforms: ranked.map((s) => kindLabel(s.kind)).join(", "),
          aspect: "image size",
          resources: "-",
          evidence: ranked.map((s) => `${kindLabel(s.kind)} ${s.apparentMB.toFixed(1)} MB`).join(", "),
          choice: `${kindLabel(best.kind)} (${(next.apparentMB / best.apparentMB).toFixed(1)}x smaller than ${kindLabel(next.kind)})`,
        });
      }
    }
  }
  return rows;
}
