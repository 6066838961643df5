/**
 * What explains the gap: for each pair of platforms and each scenario the run varied knobs in,
 * the gap at the paper's settings (every knob at its default) and the gap with one knob changed,
 * how much that change moves the gap (with a 95% interval) and which share of the base gap it
 * closes. Also where a knob changes whether repetitions fail at all, stated as counts.
 */
import { canonicalJson } from "../core/matrix";
import { FAILED_STATUSES } from "../core/results/schema";
import { knobsAtDefaults } from "../lab/platforms/registry";
import { markedRepetition } from "./crossover";
import {
  type Combination,
  type Estimate,
  excludesZero,
  fiellerRatio,
  type Group,
  linearCombination,
  meanVariance,
  ratioOfMeans,
  type Term,
} from "./intervals";
import { platformRank, type Scenario } from "./scenarios";

export const ATTRIBUTION_METRICS = {
  throughput: { label: "throughput", unit: "req/s" },
  latency: { label: "mean latency", unit: "ms" },
} as const;
export type AttributionMetric = keyof typeof ATTRIBUTION_METRICS;

/** One repetition's value: throughput of successful requests (ok throughput), or mean latency. */
export function attributionValues(s: Scenario, metric: AttributionMetric): number[] {
  return s.used
    .map((c) => {
      const load = c.cell.load;
      if (!load) return null;
      return metric === "throughput" ? (load.okThroughputRps ?? load.throughputRps) : load.latencyMs.mean;
    })
    .filter((v): v is number => v !== null && Number.isFinite(v));
}

export interface KnobChange {
  knob: string;
  value: string;
}

/**
 * closes / widens / reverses: a significant change of a significant base gap; opens: a change
 * from no significant gap to a significant one; shifts: a significant change between two gaps
 * neither of which is significant on its own.
 */
export type Effect = "closes" | "widens" | "reverses" | "opens" | "shifts" | "no significant change" | "undetermined";

export interface GapRow {
  /** null: the paper's settings. */
  change: KnobChange | null;
  /** Which platform of the pair the knob applies to (the other stays at its base). */
  touches: { a: boolean; b: boolean };
  a: Scenario | null;
  b: Scenario | null;
  /** A - B with a Welch interval. */
  gap: Combination | null;
  /** A / B. */
  ratio: Estimate | null;
  /** Gap with the knob minus the base gap; only the groups that differ are combined. */
  delta: Combination | null;
  /** Share of the base gap closed: (base - changed) / base, Fieller interval. */
  share: (Estimate & { bounded: boolean }) | null;
  significant: boolean;
  effect: Effect;
  sentence: string;
  note: string;
}

export interface MetricAttribution {
  metric: AttributionMetric;
  base: GapRow;
  changes: GapRow[];
}

/** Two platforms compared in one scenario. */
export interface Pair {
  a: string;
  b: string;
  runtime: string;
  workload: string;
  cpus: number;
  memoryMB: number;
}

export interface ScenarioAttribution extends Pair {
  metrics: MetricAttribution[];
}

export interface OutcomeCount {
  /** Repetitions attempted (skipped ones left out). */
  n: number;
  ok: number;
  failed: Partial<Record<(typeof FAILED_STATUSES)[number], number>>;
}

export interface OutcomeChange {
  platform: string;
  runtime: string;
  workload: string;
  cpus: number;
  memoryMB: number;
  change: KnobChange;
  base: OutcomeCount;
  variant: OutcomeCount;
  /** Whether the share of ok repetitions differs. */
  differs: boolean;
  sentence: string;
}

export interface Attribution {
  scenarios: ScenarioAttribution[];
  outcomes: OutcomeChange[];
}

/** The settings a base and its variants share: everything but platform and knobs. */
function situationKey(s: Scenario): string {
  const { runtime, workload, cpus, memoryMB, load, revision } = s.spec;
  return canonicalJson({ runtime, workload, cpus, memoryMB, load, revision });
}

/** The one knob `variant` changes against `base`, or null when it differs in none or several. */
export function singleChange(base: Readonly<Record<string, string>>, variant: Readonly<Record<string, string>>) {
  const keys = new Set([...Object.keys(base), ...Object.keys(variant)]);
  const changed = [...keys].filter((k) => base[k] !== variant[k]);
  if (changed.length !== 1) return null;
  const knob = changed[0] as string;
  const value = variant[knob];
  if (value === undefined || base[knob] === undefined) return null;
  return { knob, value };
}

const changeKey = (c: KnobChange) => `${c.knob}=${c.value}`;

/** Per platform within one situation: the base scenario and its single-knob variants. */
interface PlatformSituation {
  base: Scenario;
  variants: Map<string, { change: KnobChange; scenario: Scenario }>;
}

function situations(scenarios: readonly Scenario[]): Map<string, Map<string, PlatformSituation>> {
  const load = scenarios.filter((s) => s.spec.workload !== "startup" && s.counts.skipped < s.cells.length);
  const out = new Map<string, Map<string, PlatformSituation>>();
  for (const base of load.filter((s) => knobsAtDefaults(s.spec.knobs))) {
    const key = situationKey(base);
    const perPlatform = out.get(key) ?? new Map<string, PlatformSituation>();
    const variants = new Map<string, { change: KnobChange; scenario: Scenario }>();
    for (const s of load) {
      if (s === base || s.spec.platform !== base.spec.platform || situationKey(s) !== key) continue;
      const change = singleChange(base.spec.knobs, s.spec.knobs);
      if (change) variants.set(changeKey(change), { change, scenario: s });
    }
    perPlatform.set(base.spec.platform, { base, variants });
    out.set(key, perPlatform);
  }
  return out;
}

const KNOB_PHRASES: Record<string, string> = {
  "goMaxProcs=cpus": "GOMAXPROCS = CPU limit",
  "nodeHeap=fit": "a V8 heap fitted to the memory (nodeHeap=fit)",
};
export const changePhrase = (c: KnobChange) => KNOB_PHRASES[changeKey(c)] ?? `${c.knob}=${c.value}`;

const capitalised = (s: string) => `${s[0]?.toUpperCase() ?? ""}${s.slice(1)}`;
export const whereText = (x: { cpus: number; memoryMB: number }) =>
  `${x.cpus} CPU${x.cpus > 1 ? "s" : ""}, ${x.memoryMB} MB`;

function fmt(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 100) return Math.round(v).toLocaleString("en-US");
  if (abs >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}
const signed = (v: number) => `${v > 0 ? "+" : ""}${fmt(v)}`;
export const estimateText = (e: Estimate | null, unit = "") => {
  if (!e) return "–";
  const u = unit ? ` ${unit}` : "";
  return e.low === null || e.high === null
    ? `${signed(e.value)}${u}`
    : `${signed(e.value)} [${signed(e.low)}, ${signed(e.high)}]${u}`;
};
const pct = (v: number) => `${Math.round(100 * v)}%`;
export const shareText = (s: GapRow["share"]) => {
  if (!s) return "–";
  if (!s.bounded || s.low === null || s.high === null) return `${pct(s.value)} (interval unbounded)`;
  return `${pct(s.value)} [${Math.round(100 * s.low)}, ${Math.round(100 * s.high)}]`;
};
export const ratioText = (r: Estimate | null) =>
  !r
    ? "–"
    : r.low === null || r.high === null
      ? `${r.value.toFixed(2)}×`
      : `${r.value.toFixed(2)}× [${r.low.toFixed(2)}, ${r.high.toFixed(2)}]`;

function failureText(s: Scenario | null, side: string): string {
  if (!s) return `${side}: not run with this knob`;
  const failed = FAILED_STATUSES.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`);
  return `${side}: ${s.used.length} usable repetition(s)${failed.length > 0 ? ` (${failed.join(", ")})` : ""}`;
}

function gapName(p: Pair, metric: AttributionMetric) {
  return `${capitalised(p.runtime)} ${p.workload} ${p.a}-${p.b} ${ATTRIBUTION_METRICS[metric].label} gap at ${whereText(p)}`;
}

function sentenceFor(row: Omit<GapRow, "sentence">, base: GapRow, p: Pair, metric: AttributionMetric): string {
  const unit = ATTRIBUTION_METRICS[metric].unit;
  const name = gapName(p, metric);
  if (!row.change) {
    if (!row.gap) return `${name}: undetermined (${row.note})`;
    // An overlap resting on a disturbed or set-aside repetition is no evidence of no difference.
    const marked = excludesZero(row.gap)
      ? null
      : (markedRepetition(row.a ?? undefined, p.a) ?? markedRepetition(row.b ?? undefined, p.b));
    if (marked) return `${capitalised(name)}: undetermined: ${marked} (${estimateText(row.gap, unit)})`;
    return excludesZero(row.gap)
      ? `${capitalised(name)}: ${estimateText(row.gap, unit)} at the paper's settings`
      : `${capitalised(name)}: no significant difference at the paper's settings (${estimateText(row.gap, unit)})`;
  }
  const phrase = changePhrase(row.change);
  const s = row.share;
  switch (row.effect) {
    case "closes":
      return `${phrase} closes ${shareText(s)} of the ${name}`;
    case "widens": {
      // Widening by x% is closing by -x%: the interval flips.
      const widened = s && {
        value: -s.value,
        low: s.high === null ? null : -s.high,
        high: s.low === null ? null : -s.low,
        bounded: s.bounded,
      };
      return `${phrase} widens the ${name} by ${shareText(widened)} (${estimateText(base.gap, unit)} becomes ${estimateText(row.gap, unit)})`;
    }
    case "reverses":
      return `${phrase} reverses the ${name}: ${estimateText(base.gap, unit)} becomes ${estimateText(row.gap, unit)} (${shareText(s)} of the gap closed)`;
    case "opens":
      return `${phrase} opens the ${name}, where the paper's settings showed no significant difference: ${estimateText(base.gap, unit)} becomes ${estimateText(row.gap, unit)}`;
    case "shifts":
      return `${phrase} shifts the ${name} by ${estimateText(row.delta, unit)}, though neither gap is significant on its own (${estimateText(base.gap, unit)} becomes ${estimateText(row.gap, unit)})`;
    case "no significant change":
      return `${phrase}: no significant change in the ${name} (change ${estimateText(row.delta, unit)})`;
    case "undetermined":
      return `${phrase}: undetermined for the ${name} (${row.note})`;
  }
}

const group = (s: Scenario | null, metric: AttributionMetric): Group | null => {
  if (!s) return null;
  const values = attributionValues(s, metric);
  return values.length > 0 ? { values } : null;
};

/** The base row and the rows of each change for one pair, situation and metric. */
function attributeMetric(
  p: Pair,
  sa: PlatformSituation,
  sb: PlatformSituation,
  changes: readonly KnobChange[],
  metric: AttributionMetric,
): MetricAttribution {
  const a0 = group(sa.base, metric);
  const b0 = group(sb.base, metric);
  const gap0 =
    a0 && b0
      ? linearCombination([
          { group: a0, weight: 1 },
          { group: b0, weight: -1 },
        ])
      : null;
  const baseNote = gap0?.low === null ? "fewer than two ok repetitions on a side" : "";
  const baseRow: Omit<GapRow, "sentence"> = {
    change: null,
    touches: { a: false, b: false },
    a: sa.base,
    b: sb.base,
    gap: gap0,
    ratio: a0 && b0 ? ratioOfMeans(a0, b0) : null,
    delta: null,
    share: null,
    significant: false,
    effect: "undetermined",
    note: gap0 ? baseNote : [failureText(sa.base, p.a), failureText(sb.base, p.b)].join("; "),
  };
  const base: GapRow = { ...baseRow, sentence: "" };
  base.sentence = sentenceFor(baseRow, base, p, metric);

  const rows = changes.map((change): GapRow => {
    const touches = { a: change.knob in sa.base.spec.knobs, b: change.knob in sb.base.spec.knobs };
    const sak = touches.a ? (sa.variants.get(changeKey(change))?.scenario ?? null) : sa.base;
    const sbk = touches.b ? (sb.variants.get(changeKey(change))?.scenario ?? null) : sb.base;
    const ak = group(sak, metric);
    const bk = group(sbk, metric);
    const partial: Omit<GapRow, "sentence"> = {
      change,
      touches,
      a: sak,
      b: sbk,
      gap: null,
      ratio: null,
      delta: null,
      share: null,
      significant: false,
      effect: "undetermined",
      note: "",
    };
    if (ak && bk) {
      partial.gap = linearCombination([
        { group: ak, weight: 1 },
        { group: bk, weight: -1 },
      ]);
      partial.ratio = ratioOfMeans(ak, bk);
    }
    // The groups the change needs: both settings of a platform the knob touches, the base of one it does not.
    const missing = [
      !ak ? failureText(sak, touches.a ? `${p.a} with ${changeKey(change)}` : p.a) : "",
      touches.a && !a0 ? failureText(sa.base, `${p.a} at the paper's settings`) : "",
      !bk ? failureText(sbk, touches.b ? `${p.b} with ${changeKey(change)}` : p.b) : "",
      touches.b && !b0 ? failureText(sb.base, `${p.b} at the paper's settings`) : "",
    ].filter((x) => x);
    if (!a0 || !b0 || !ak || !bk) {
      partial.note = [...new Set(missing)].join("; ");
    } else {
      // Only the groups that differ enter the change: an untouched platform's base cancels out.
      const terms: Term[] = [];
      if (touches.a) terms.push({ group: ak, weight: 1 }, { group: a0, weight: -1 });
      if (touches.b) terms.push({ group: bk, weight: -1 }, { group: b0, weight: 1 });
      partial.delta = linearCombination(terms);
      const delta = partial.delta;
      if (delta.variance === null || gap0?.variance == null || delta.df === null) {
        partial.note = "fewer than two ok repetitions on a side";
      } else {
        const covariance = (touches.a ? (meanVariance(a0) ?? 0) : 0) + (touches.b ? (meanVariance(b0) ?? 0) : 0);
        partial.share =
          gap0.value === 0
            ? null
            : fiellerRatio(
                { value: -delta.value, variance: delta.variance },
                { value: gap0.value, variance: gap0.variance },
                covariance,
                delta.df,
              );
        partial.significant = excludesZero(delta);
        if (!partial.significant) partial.effect = "no significant change";
        else if (!excludesZero(gap0)) partial.effect = excludesZero(partial.gap) ? "opens" : "shifts";
        else {
          const share = -delta.value / gap0.value;
          partial.effect = share > 1 ? "reverses" : share > 0 ? "closes" : "widens";
        }
      }
    }
    return { ...partial, sentence: sentenceFor(partial, base, p, metric) };
  });
  return { metric, base, changes: rows };
}

function countOutcome(s: Scenario): OutcomeCount {
  const failed: OutcomeCount["failed"] = {};
  for (const k of FAILED_STATUSES) if (s.counts[k] > 0) failed[k] = s.counts[k];
  return { n: s.cells.length - s.counts.skipped, ok: s.counts.ok, failed };
}

const outcomeText = (c: OutcomeCount) => {
  const failed = Object.entries(c.failed).map(([k, n]) => `${n} ${k}`);
  // "0/3 (3 oom)" reads better than "0/3 ok (3 oom)".
  return `${c.ok}/${c.n}${c.ok > 0 || failed.length === 0 ? " ok" : ""}${failed.length > 0 ? ` (${failed.join(", ")})` : ""}`;
};

/** Where a knob changes whether repetitions fail: counts, never a significance claim. */
function outcomeChanges(all: Map<string, Map<string, PlatformSituation>>): OutcomeChange[] {
  const out: OutcomeChange[] = [];
  for (const perPlatform of all.values()) {
    for (const [platform, situation] of perPlatform) {
      const base = countOutcome(situation.base);
      for (const { change, scenario } of situation.variants.values()) {
        const variant = countOutcome(scenario);
        const anyFailed = Object.keys(base.failed).length > 0 || Object.keys(variant.failed).length > 0;
        if (!anyFailed || base.n === 0 || variant.n === 0) continue;
        const differs = base.ok / base.n !== variant.ok / variant.n;
        const { runtime, workload, cpus, memoryMB } = scenario.spec;
        const what = `on ${platform} at ${memoryMB} MB (${capitalised(runtime)} ${workload}, ${cpus} CPU${cpus > 1 ? "s" : ""}), ${change.knob}=${change.value}`;
        out.push({
          platform,
          runtime,
          workload,
          cpus,
          memoryMB,
          change,
          base,
          variant,
          differs,
          sentence: differs
            ? `${what}: ${outcomeText(variant)} where the paper's settings gave ${outcomeText(base)}`
            : `${what}: the same outcome as at the paper's settings, ${outcomeText(variant)} against ${outcomeText(base)}`,
        });
      }
    }
  }
  return out;
}

/** Every platform pair and situation where the run has a base on both and a knob variant on at least one. */
export function attribute(scenarios: readonly Scenario[]): Attribution {
  const all = situations(scenarios);
  const result: ScenarioAttribution[] = [];
  for (const perPlatform of all.values()) {
    const platforms = [...perPlatform.keys()].sort((x, y) => platformRank(x) - platformRank(y) || x.localeCompare(y));
    for (let i = 0; i < platforms.length; i++) {
      for (let j = i + 1; j < platforms.length; j++) {
        const [a, b] = [platforms[i] as string, platforms[j] as string];
        const sa = perPlatform.get(a);
        const sb = perPlatform.get(b);
        if (!sa || !sb) continue;
        const changes = new Map<string, KnobChange>();
        for (const v of [...sa.variants.values(), ...sb.variants.values()]) changes.set(changeKey(v.change), v.change);
        if (changes.size === 0) continue;
        const sorted = [...changes.values()].sort((x, y) => changeKey(x).localeCompare(changeKey(y)));
        const { runtime, workload, cpus, memoryMB } = sa.base.spec;
        const p: Pair = { a, b, runtime, workload, cpus, memoryMB };
        result.push({
          ...p,
          metrics: (Object.keys(ATTRIBUTION_METRICS) as AttributionMetric[]).map((m) =>
            attributeMetric(p, sa, sb, sorted, m),
          ),
        });
      }
    }
  }
  result.sort(
    (x, y) =>
      x.runtime.localeCompare(y.runtime) ||
      x.workload.localeCompare(y.workload) ||
      y.cpus - x.cpus ||
      y.memoryMB - x.memoryMB ||
      platformRank(x.a) - platformRank(y.a) ||
      platformRank(x.b) - platformRank(y.b),
  );
  return { scenarios: result, outcomes: outcomeChanges(all) };
}

/** The sentences of every significant change of one metric (or of all, throughput first). */
export function significantSentences(
  a: Attribution,
  metrics: readonly AttributionMetric[] = ["throughput", "latency"],
): string[] {
  const out: string[] = [];
  for (const metric of metrics) {
    for (const s of a.scenarios) {
      for (const row of s.metrics.find((m) => m.metric === metric)?.changes ?? []) {
        if (row.significant) out.push(row.sentence);
      }
    }
  }
  return out;
}

/** The gaps at the paper's settings whose Welch interval excludes 0, in the scenarios the run attributes. */
export function significantBaseGaps(a: Attribution, metrics: readonly AttributionMetric[] = ["throughput"]): string[] {
  const out: string[] = [];
  for (const metric of metrics) {
    for (const s of a.scenarios) {
      const base = s.metrics.find((m) => m.metric === metric)?.base;
      if (base && excludesZero(base.gap)) out.push(base.sentence);
    }
  }
  return out;
}
