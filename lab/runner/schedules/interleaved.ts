/**
 * The sweep's order when noise is to be spread, not stacked: the cells shuffled from a recorded
 * seed, so a disturbance of a minute falls on a few cells of several platforms and repetition
 * indexes rather than on every platform's r1 or on one platform's every repetition. A scenario's
 * repetitions still run in their own order (r1 before r2), so a run cut short keeps its lowest
 * repetitions. The same seed and the same cells give the same order (a run can be replayed).
 *
 * With adaptive repetitions (the profile's `adaptive`), once the planned cells are done it adds a
 * repetition, in rounds shuffled from the same seed, to each load scenario whose interval (the
 * skipped mean's, core/robust.ts, of its clean ok throughputs) is wider than the target share of
 * its estimate, until the target is met, the maximum count is reached or the time budget for added
 * repetitions is spent. Which rule ended each scenario is recorded (stops()).
 */
import type { AdaptiveRepetitions } from "../../../core/config/profile";
import { type Cell, type CellSpec, canonicalJson, cellId } from "../../../core/matrix";
import type { CellResult } from "../../../core/results/schema";
import { relativeHalfWidth } from "../../../core/robust";
import type { CellSchedule } from "../schedule";

/** mulberry32: a small, well-mixed 32-bit generator; the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed for a new run (recorded in its manifest). */
export const newSeed = () => 1 + Math.floor(Math.random() * (2 ** 31 - 1));

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A scenario: the spec without its repetition. */
export const scenarioOf = (spec: CellSpec) => {
  const { repetition: _r, ...rest } = spec;
  return canonicalJson(rest);
};

/** The cells shuffled from `seed`, each scenario's repetitions kept in ascending order. */
export function interleavedOrder(cells: readonly Cell[], seed: number): Cell[] {
  const shuffled = shuffle(cells, seededRandom(seed));
  const byScenario = new Map<string, Cell[]>();
  for (const c of cells) byScenario.set(scenarioOf(c.spec), [...(byScenario.get(scenarioOf(c.spec)) ?? []), c]);
  for (const list of byScenario.values()) list.sort((a, b) => a.spec.repetition - b.spec.repetition);
  // Each slot a scenario holds in the shuffle takes its next repetition.
  const taken = new Map<string, number>();
  return shuffled.map((slot) => {
    const key = scenarioOf(slot.spec);
    const index = taken.get(key) ?? 0;
    taken.set(key, index + 1);
    return byScenario.get(key)?.[index] ?? slot;
  });
}

/** Why a scenario got no more repetitions. */
export type StopRule = "interval" | "max" | "budget" | "no-ok" | "fixed" | "unfinished";

export interface ScenarioStop {
  /** The scenario's cell name without its repetition. */
  scenario: string;
  repetitions: number;
  rule: StopRule;
  /** The skipped mean's 95% half-width over the estimate, at the stop; null without an interval. */
  relativeHalfWidth: number | null;
}

export interface InterleavedSchedule extends CellSchedule {
  /** Each scenario and the rule that ended it, given every result so far of this sweep. */
  stops(ran: readonly CellResult[]): ScenarioStop[];
}

export interface InterleavedOptions {
  /** Every cell the run plans (for the scenarios adaptive repetitions may extend). */
  planned: readonly Cell[];
  /** The planned cells this invocation runs. */
  todo: readonly Cell[];
  /** Results recorded before this invocation. */
  earlier: readonly CellResult[];
  seed: number;
  adaptive?: AdaptiveRepetitions;
}

const cleanThroughputs = (results: readonly CellResult[]) =>
  results.filter((r) => r.status === "ok" && r.flags.length === 0 && r.load).map((r) => r.load?.okThroughputRps ?? 0);

export function interleaved(options: InterleavedOptions): InterleavedSchedule {
  const order = interleavedOrder(options.todo, options.seed);
  const adaptive = options.adaptive;
  const templates = new Map<string, Cell>();
  for (const c of options.planned) if (c.spec.load !== null) templates.set(scenarioOf(c.spec), c);
  let round: Cell[] = [];
  let rounds = 0;
  const ended = new Map<string, StopRule>();

  const all = (ran: readonly CellResult[]) => [...options.earlier, ...ran];
  const done = (ran: readonly CellResult[]) => new Set(all(ran).map((r) => r.id));
  const resultsOf = (key: string, ran: readonly CellResult[]) => all(ran).filter((r) => scenarioOf(r.spec) === key);

  /** Whether a load scenario needs another repetition; sets its stop rule when it does not. */
  function wantsMore(key: string, ran: readonly CellResult[], budgetLeftS: number): boolean {
    if (!adaptive || ended.has(key)) return false;
    const results = resultsOf(key, ran);
    const values = cleanThroughputs(results);
    const share = relativeHalfWidth(values);
    const stop = (rule: StopRule) => {
      ended.set(key, rule);
      return false;
    };
    if (share !== null && share <= adaptive.targetShare) return stop("interval");
    if (results.length >= adaptive.maxRepetitions) return stop("max");
    // Failures are the result (an OOM under load repeats); more repetitions would only repeat them.
    if (!results.some((r) => r.status === "ok")) return stop("no-ok");
    const costS = results.reduce((sum, r) => sum + r.wallS, 0) / Math.max(1, results.length);
    if (costS > budgetLeftS) return stop("budget");
    return true;
  }

  function nextRound(ran: readonly CellResult[]): Cell[] {
    if (!adaptive) return [];
    const extraS = all(ran)
      .filter((r) => r.spec.repetition > (templates.get(scenarioOf(r.spec))?.spec.repetition ?? Infinity))
      .reduce((sum, r) => sum + r.wallS, 0);
    let budgetLeftS = (adaptive.budgetS ?? Infinity) - extraS;
    const cells: Cell[] = [];
    for (const [key, template] of templates) {
      if (!wantsMore(key, ran, budgetLeftS)) continue;
      const results = resultsOf(key, ran);
      budgetLeftS -= results.reduce((sum, r) => sum + r.wallS, 0) / results.length;
      const repetition = Math.max(...results.map((r) => r.spec.repetition)) + 1;
      const spec = { ...template.spec, repetition };
      // The template's name with this repetition: it keeps the knob variant the name says.
      cells.push({ id: cellId(spec), name: template.name.replace(/-r\d+$/, `-r${repetition}`), spec });
    }
    rounds++;
    return shuffle(cells, seededRandom(options.seed + rounds));
  }

  const pending = (ran: readonly CellResult[]) => {
    const seen = done(ran);
    return [...order, ...round].filter((c) => !seen.has(c.id));
  };
  return {
    next(ran) {
      const left = pending(ran);
      if (left[0]) return left[0];
      round = nextRound(ran);
      return round[0] ?? null;
    },
    pending,
    stops(ran) {
      return [...templates].map(([key, template]) => {
        const results = resultsOf(key, ran);
        const rule: StopRule = adaptive ? (ended.get(key) ?? "unfinished") : "fixed";
        return {
          scenario: template.name.replace(/-r\d+$/, ""),
          repetitions: results.length,
          rule,
          relativeHalfWidth: relativeHalfWidth(cleanThroughputs(results)),
        };
      });
    },
  };
}
