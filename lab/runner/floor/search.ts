/**
 * The memory floor search: for each scenario (a runtime on a platform with a workload, knobs and a
 * CPU count), the least memory at which the app boots, answers, serves the profile's load for its
 * whole duration with no failed request and ends without an OOM kill, crash or timeout. A bisection
 * between a level that serves (the scenario's level in the profile) and one that fails, on a grid of
 * `resolutionMB` from `lowestMB`, to `resolutionMB`.
 *
 * Each probe is an ordinary cell (its spec says the level and the try), so the search keeps no state
 * of its own: it is replayed from the recorded results every time it is asked, which is what makes a
 * resumed search reuse every probe already recorded, and what lets the report find the same brackets
 * the runner found.
 */
import type { FloorSettings } from "../../../core/config/profile";
import { type Cell, type CellSpec, cellId } from "../../../core/matrix";
import type { CellResult } from "../../../core/results/schema";
import type { CellSchedule } from "../schedule";

/** What one probe says about its level. */
export type ProbeVerdict =
  | { kind: "serves" }
  /** `memory`: the failure carries memory evidence (an OOM kill, Nanos's page fill, a runtime's own out-of-memory). */
  | { kind: "fails"; memory: boolean; evidence: string }
  /** The probe measured nothing (the lab failed, the platform could not run): the search cannot go on. */
  | { kind: "undecided"; reason: string };

/** Memory evidence in a failure's own words, most specific first: the label the report shows. */
const MEMORY_EVIDENCE: readonly [RegExp, string][] = [
  [/page fill failed/i, "Nanos page fill failed"],
  [/JavaScript heap out of memory|Reached heap limit|heap limit Allocation failed/i, "V8 heap out of memory"],
  [/fatal error: runtime: out of memory|runtime: cannot allocate memory/i, "Go runtime out of memory"],
  [/out of memory|cannot allocate memory|oom-kill|OOM/i, "out of memory"],
];

/** The evidence of a failed probe: what the report shows beside its bracket. */
export function failureEvidence(result: CellResult): { memory: boolean; evidence: string } {
  const text = result.reason ?? "";
  if (result.status === "oom" || result.exit?.oomKilled) {
    const specific = MEMORY_EVIDENCE.slice(0, 3).find(([pattern]) => pattern.test(text));
    return { memory: true, evidence: specific ? `OOM kill (${specific[1]})` : "OOM kill" };
  }
  const found = MEMORY_EVIDENCE.find(([pattern]) => pattern.test(text));
  if (found) return { memory: true, evidence: `${found[1]} (${result.status})` };
  if (result.status === "ok") {
    const failed = result.load?.failedRequests ?? 0;
    return { memory: false, evidence: result.load ? `${failed} failed request(s)` : "no load measured" };
  }
  const labels: Partial<Record<CellResult["status"], string>> = {
    "failed-start": "boot failure",
    timeout: "timeout",
    crashed: "crash",
  };
  return { memory: false, evidence: labels[result.status] ?? result.status };
}

/** A probe serves when it ended ok, its load ran, and not one request failed. */
export function probeVerdict(result: CellResult): ProbeVerdict {
  if (result.status === "skipped" || result.status === "lab-error") {
    return { kind: "undecided", reason: `${result.status}: ${result.reason ?? "no reason recorded"}` };
  }
  if (result.status === "ok" && result.load !== null && result.load.requests > 0 && result.load.failedRequests === 0) {
    return { kind: "serves" };
  }
  return { kind: "fails", ...failureEvidence(result) };
}

/** The probe of `scenario` (a cell of the profile: where its search starts) at `memoryMB`, try `attempt`. */
export function probeCell(scenario: Cell, memoryMB: number, attempt: number): Cell {
  const { spec } = scenario;
  const probe: CellSpec = { ...spec, memoryMB, repetition: attempt };
  const name = scenario.name
    .replace(`-${spec.cpus}cpu-${spec.memoryMB}mb`, `-${spec.cpus}cpu-${memoryMB}mb`)
    .replace(/-r\d+$/, `-r${attempt}`);
  return { id: cellId(probe), name, spec: probe };
}

/** What is known of one level: the probes there so far, and what they say. */
interface LevelOutcome {
  memoryMB: number;
  probes: CellResult[];
  /** "pending": `next` is the probe to run; "undecided": a probe measured nothing. */
  state: "serves" | "fails" | "pending" | "undecided";
  next?: Cell;
  evidence?: string;
  reason?: string;
}

/** The result of one search: a bracket, complete or not yet. */
export interface FloorBracket {
  scenario: Cell;
  /** The least level that served (null: not even the starting level did). */
  servesMB: number | null;
  /** The greatest level that failed (null: nothing failed down to the lowest level tried). */
  failsMB: number | null;
  /** The failure's own status and evidence at `failsMB`. */
  failure: { status: CellResult["status"]; evidence: string; reason: string | null } | null;
  /** The probe that served at `servesMB` (its footprint says where the memory went). */
  serving: CellResult | null;
  /** Every probe of the search in the order it ran. */
  probes: CellResult[];
  /** "done": the bracket is within the resolution, or bounded by the profile; "undecided": a probe measured nothing. */
  state: "done" | "pending" | "undecided";
  /** The probe to run next (state "pending"). */
  next: Cell | null;
  /** Why the search stopped without a bracket (state "undecided"). */
  undecided: string | null;
}

/**
 * One level, from the results recorded so far (`lookup` by cell id). A failure with memory evidence
 * settles the level at once; any other failure may be the busy host's, so the level is probed again,
 * up to `retries` more times, and fails only when the last try fails too.
 */
function level(scenario: Cell, memoryMB: number, settings: FloorSettings, lookup: Lookup): LevelOutcome {
  const probes: CellResult[] = [];
  let evidence = "";
  let reason: string | null = null;
  for (let attempt = 1; attempt <= 1 + settings.retries; attempt++) {
    const cell = probeCell(scenario, memoryMB, attempt);
    const result = lookup(cell);
    if (!result) return { memoryMB, probes, state: "pending", next: cell };
    probes.push(result);
    const verdict = probeVerdict(result);
    if (verdict.kind === "serves") return { memoryMB, probes, state: "serves" };
    if (verdict.kind === "undecided") return { memoryMB, probes, state: "undecided", reason: verdict.reason };
    evidence = verdict.evidence;
    reason = result.reason;
    if (verdict.memory) break;
  }
  return { memoryMB, probes, state: "fails", evidence, ...(reason !== null ? { reason } : {}) };
}

type Lookup = (cell: Cell) => CellResult | undefined;

/**
 * The next level between a failing `lo` and a serving `hi`: the middle, on the grid of `resolutionMB`
 * from `lowestMB`, strictly between the two.
 */
export function midpoint(lo: number, hi: number, settings: FloorSettings): number {
  const { lowestMB, resolutionMB } = settings;
  const onGrid = lowestMB + resolutionMB * Math.floor(((lo + hi) / 2 - lowestMB) / resolutionMB);
  return onGrid <= lo ? lo + resolutionMB : onGrid;
}

/** One scenario's search, replayed from the results `lookup` knows. */
export function searchFloor(scenario: Cell, settings: FloorSettings, lookup: Lookup): FloorBracket {
  const probes: CellResult[] = [];
  const bracket = (over: Partial<FloorBracket>): FloorBracket => ({
    scenario,
    servesMB: null,
    failsMB: null,
    failure: null,
    serving: null,
    probes,
    state: "done",
    next: null,
    undecided: null,
    ...over,
  });
  const failureOf = (o: LevelOutcome) => {
    const last = o.probes.at(-1);
    return last ? { status: last.status, evidence: o.evidence ?? "", reason: o.reason ?? null } : null;
  };
  let servesMB: number | null = null;
  let serving: CellResult | null = null;
  let failsMB: number | null = null;
  let failure: FloorBracket["failure"] = null;
  const visit = (memoryMB: number): LevelOutcome | FloorBracket => {
    const o = level(scenario, memoryMB, settings, lookup);
    probes.push(...o.probes);
    const known = { servesMB, failsMB, failure, serving };
    if (o.state === "pending") return bracket({ ...known, state: "pending", next: o.next ?? null });
    if (o.state === "undecided") {
      return bracket({ ...known, state: "undecided", undecided: `${o.reason} (at ${memoryMB} MB)` });
    }
    return o;
  };

  const top = visit(scenario.spec.memoryMB);
  if ("scenario" in top) return top;
  if (top.state === "fails") return bracket({ failsMB: top.memoryMB, failure: failureOf(top) });
  servesMB = top.memoryMB;
  serving = top.probes.at(-1) ?? null;
  // The lowest level is assumed to fail until the bracket reaches it: most searches never probe it.
  let lo = settings.lowestMB;
  while (servesMB - lo > settings.resolutionMB) {
    const at = visit(midpoint(lo, servesMB, settings));
    if ("scenario" in at) return at;
    if (at.state === "serves") {
      servesMB = at.memoryMB;
      serving = at.probes.at(-1) ?? null;
    } else {
      lo = at.memoryMB;
      failsMB = at.memoryMB;
      failure = failureOf(at);
    }
  }
  if (failsMB === null) {
    const bottom = visit(settings.lowestMB);
    if ("scenario" in bottom) return bottom;
    if (bottom.state === "serves") {
      return bracket({ servesMB: bottom.memoryMB, serving: bottom.probes.at(-1) ?? null });
    }
    failsMB = bottom.memoryMB;
    failure = failureOf(bottom);
  }
  return bracket({ servesMB, failsMB, failure, serving });
}

/** Every search of the scenarios, from the results so far (earlier invocations' and this one's). */
export function floorBrackets(
  scenarios: readonly Cell[],
  settings: FloorSettings,
  results: readonly CellResult[],
): FloorBracket[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return scenarios.map((scenario) => searchFloor(scenario, settings, (cell) => byId.get(cell.id)));
}

/**
 * The floor search as the sweep's schedule: the searches one after another, each probe decided from
 * every result recorded so far. `earlier` are the run's results from before this invocation (a
 * resume): a probe already recorded is never run again.
 */
export function floorSchedule(
  scenarios: readonly Cell[],
  settings: FloorSettings,
  earlier: readonly CellResult[],
): CellSchedule {
  const known = (ran: readonly CellResult[]) => new Map([...earlier, ...ran].map((r) => [r.id, r]));
  return {
    next: (ran) => {
      const byId = known(ran);
      for (const scenario of scenarios) {
        const found = searchFloor(scenario, settings, (cell) => byId.get(cell.id));
        if (found.next) return found.next;
      }
      return null;
    },
    pending: (ran) => {
      const byId = known(ran);
      return scenarios.flatMap((scenario) => likelyRest(scenario, settings, byId));
    },
  };
}

/** The probes a pending search would still run should every one of them serve: what the ETA counts. */
function likelyRest(scenario: Cell, settings: FloorSettings, known: Map<string, CellResult>): Cell[] {
  const imagined: Cell[] = [];
  const lookup: Lookup = (cell) => {
    const found = known.get(cell.id);
    if (found) return found;
    imagined.push(cell);
    return { ...imaginedServe, id: cell.id };
  };
  searchFloor(scenario, settings, lookup);
  return imagined;
}

/** A probe that served, for the ETA's imagined path only: never recorded. */
const imaginedServe = {
  status: "ok",
  load: { requests: 1, failedRequests: 0 },
} as unknown as CellResult;
