/**
 * The memory floor of a floor run (a profile with `floor`, lab/runner/floor/): each scenario's
 * bracket, "serves at Y MB, fails at X MB (evidence)", found by replaying the search over the
 * recorded probes (the runner's own rule, so the report and the runner cannot disagree), with
 * where the memory went at the serving level and each platform's overhead over native.
 */
import type { Cell } from "../core/matrix";
import type { CellResult } from "../core/results/schema";
import { type FloorBracket, floorBrackets } from "../lab/runner/floor/search";
import type { Finding } from "./findings";
import type { RunInput } from "./read";
import { platformRank } from "./scenarios";
import { rich, type Table } from "./table";

const MiB = 1024 * 1024;
/** The floor figure's id (its file name stem). */
export const FLOOR_FIGURE = "floor-memory";
/** The paper's lowest level: the line the floor figure draws across. */
export const PAPER_LOWEST_MB = 64;

/** One scenario's floor, as the report shows it. */
export interface FloorRow {
  runId: string;
  bracket: FloorBracket;
  runtime: string;
  platform: string;
  workload: string;
  cpus: number;
  /** The knobs that differ from the profile's own ("GOMAXPROCS=cpus"), or "default". */
  tuning: string;
  /**
   * Host view at the serving level (MB): the instance's memory cgroup peak (its own counter where
   * recorded, else the sampled peak), its host process's resident and proportional peaks (the app,
   * a container's init, QEMU, gVisor's sandbox), and the PSS of the cgroup's other processes
   * (gVisor's gofer and stubs).
   */
  cgroupPeakMB: number | null;
  hostRssPeakMB: number | null;
  hostPssPeakMB: number | null;
  othersPssMedianMB: number | null;
  /** The floor split (MB): the app's own (native's cgroup peak at its floor) and the platform's (this cgroup peak less it). */
  appMB: number | null;
  platformMB: number | null;
  /** Guest view at the serving level: the memory the app saw (/info's total, MB). */
  guestTotalMB: number | null;
  /** The serving level less native's for the same runtime, workload, CPUs and tuning (MB). */
  overNativeMB: number | null;
  /** Wall seconds of every probe of the search. */
  searchS: number;
}

export interface FloorAnalysis {
  rows: FloorRow[];
  /** The searches' resolution (MB), by run. */
  resolutionMB: number;
}

/** "-goMaxProcs-cpus" in a cell's name: the knob changes of its variant, said as knob=value. */
function tuningOf(name: string): string {
  const variant = /-\d+mb((?:-[A-Za-z]+-[A-Za-z0-9]+)*)-r\d+$/.exec(name)?.[1] ?? "";
  const parts = variant.match(/-[A-Za-z]+-[A-Za-z0-9]+/g) ?? [];
  return parts.length === 0 ? "default" : parts.map((p) => p.slice(1).replace("-", "=")).join(", ");
}

const mb = (bytes: number | null | undefined) => (bytes == null ? null : Math.round((bytes / MiB) * 10) / 10);

/** Every floor run of the input, its searches replayed; null when the input holds no floor run. */
export function floorAnalysis(input: RunInput): FloorAnalysis | null {
  const rows: FloorRow[] = [];
  let resolutionMB = 0;
  for (const run of input.runs) {
    const settings = run.manifest.profile.floor;
    if (!settings) continue;
    resolutionMB = Math.max(resolutionMB, settings.resolutionMB);
    const results: CellResult[] = input.cells.filter((c) => c.runId === run.manifest.runId).map((c) => c.cell);
    const byId = new Map(results.map((r) => [r.id, r]));
    // A scenario is its search's first probe: a search whose first probe is not recorded has not started.
    const scenarios: Cell[] = run.manifest.cells
      .map((c) => byId.get(c.id))
      .filter((r): r is CellResult => r !== undefined)
      .map((r) => ({ id: r.id, name: r.name, spec: r.spec }));
    for (const bracket of floorBrackets(scenarios, settings, results)) {
      const { spec } = bracket.scenario;
      const serving = bracket.serving;
      rows.push({
        runId: run.manifest.runId,
        bracket,
        runtime: spec.runtime,
        platform: spec.platform,
        workload: spec.workload,
        cpus: spec.cpus,
        tuning: tuningOf(bracket.scenario.name),
        cgroupPeakMB: mb(serving?.footprint?.cgroupMaxBytes ?? serving?.footprint?.cgroupPeakBytes),
        hostRssPeakMB: mb(serving?.footprint?.rssPeakBytes),
        hostPssPeakMB: mb(serving?.footprint?.pssPeakBytes),
        othersPssMedianMB: mb(serving?.footprint?.othersPssMedianBytes),
        appMB: null,
        platformMB: null,
        guestTotalMB: mb(serving?.appInfo?.memory.totalBytes),
        overNativeMB: null,
        searchS: bracket.probes.reduce((s, p) => s + p.wallS, 0),
      });
    }
  }
  if (rows.length === 0) return null;
  const keyOf = (r: FloorRow) => `${r.runtime}|${r.workload}|${r.cpus}|${r.tuning}`;
  const native = new Map(rows.filter((r) => r.platform === "native").map((r) => [keyOf(r), r]));
  for (const row of rows) {
    const nativeRow = native.get(keyOf(row));
    const base = nativeRow?.bracket.servesMB;
    if (row.bracket.servesMB !== null && base != null && row.platform !== "native") {
      row.overNativeMB = row.bracket.servesMB - base;
    }
    // Natively the cgroup holds the app alone: what it used at its floor is the app's part.
    const app = nativeRow?.cgroupPeakMB ?? null;
    if (app !== null && row.cgroupPeakMB !== null) {
      row.appMB = app;
      row.platformMB = Math.round((row.cgroupPeakMB - app) * 10) / 10;
    }
  }
  // The platforms of one scenario together, in the registry's order (native first), as in every figure.
  rows.sort(
    (a, b) =>
      a.runtime.localeCompare(b.runtime) ||
      a.workload.localeCompare(b.workload) ||
      a.tuning.localeCompare(b.tuning) ||
      platformRank(a.platform) - platformRank(b.platform),
  );
  return { rows, resolutionMB };
}

/** A scenario's label: runtime, workload, CPUs, platform and tuning. */
export function floorLabel(r: FloorRow): string {
  const tuning = r.tuning === "default" ? "" : ` (${r.tuning})`;
  return `${r.runtime} ${r.workload} ${r.cpus}cpu ${r.platform}${tuning}`;
}

/** The bracket in words: "serves at 24 MB, fails at 20 MB (OOM kill)". */
export function bracketText(b: FloorBracket): string {
  if (b.state === "undecided") return `undecided: ${b.undecided}`;
  const open = b.state === "pending" ? " (search not finished)" : "";
  if (b.servesMB === null) return `fails at its starting level ${b.failsMB} MB (${b.failure?.evidence})${open}`;
  if (b.failsMB === null) return `serves at ${b.servesMB} MB, the lowest level tried${open}`;
  return `serves at ${b.servesMB} MB, fails at ${b.failsMB} MB (${b.failure?.evidence})${open}`;
}

const num = (v: number | null, digits = 0) => (v === null ? "–" : v.toFixed(digits));

/** The table of brackets with their evidence and where the memory went at the floor. */
export function floorTable(f: FloorAnalysis): Table {
  return {
    headers: [
      "scenario",
      "serves at (MB)",
      "fails at (MB)",
      "evidence of the failure",
      "over native (MB)",
      "cgroup peak (MB)",
      "app / platform (MB)",
      "host RSS / PSS (MB)",
      "others' PSS, median (MB)",
      "guest total (MB)",
      "probes",
      "search (s)",
    ],
    numeric: [1, 2, 4, 5, 6, 7, 8, 9, 10, 11],
    keyColumn: true,
    rows: f.rows.map((r) => {
      const b = r.bracket;
      const reason = b.failure?.reason ?? b.undecided ?? "";
      const evidence = b.failure
        ? `${b.failure.status}: ${b.failure.evidence}`
        : b.state === "undecided"
          ? `undecided: ${b.undecided}`
          : "none down to the lowest level";
      return {
        cells: [
          floorLabel(r),
          num(b.servesMB),
          num(b.failsMB),
          reason ? rich(evidence, `<span title="${escapeAttr(reason)}">${escapeAttr(evidence)}</span>`) : evidence,
          r.overNativeMB === null ? "–" : `${r.overNativeMB >= 0 ? "+" : ""}${r.overNativeMB}`,
          num(r.cgroupPeakMB, 1),
          r.appMB === null ? "–" : `${num(r.appMB, 1)} / ${num(r.platformMB, 1)}`,
          `${num(r.hostRssPeakMB, 1)} / ${num(r.hostPssPeakMB, 1)}`,
          num(r.othersPssMedianMB, 1),
          num(r.guestTotalMB, 0),
          String(b.probes.length),
          r.searchS.toFixed(0),
        ],
        ...(b.state !== "done" ? { className: "flagged" } : b.servesMB === null ? { className: "failed" } : {}),
      };
    }),
  };
}

function escapeAttr(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The floor in words: the smallest and largest floors, and each platform's overhead over native. */
export function floorFindings(f: FloorAnalysis): Finding[] {
  const found = f.rows.filter((r) => r.bracket.state === "done" && r.bracket.servesMB !== null);
  if (found.length === 0) return [];
  const byFloor = [...found].sort((a, b) => (a.bracket.servesMB ?? 0) - (b.bracket.servesMB ?? 0));
  const smallest = byFloor[0] as FloorRow;
  const largest = byFloor[byFloor.length - 1] as FloorRow;
  const out: Finding[] = [
    {
      kind: "platform",
      text: `Smallest memory floor: ${floorLabel(smallest)} ${bracketText(smallest.bracket)}; largest: ${floorLabel(largest)} ${bracketText(largest.bracket)}`,
    },
  ];
  const below = found.filter((r) => (r.bracket.servesMB ?? 0) <= PAPER_LOWEST_MB).length;
  out.push({
    kind: "platform",
    text: `${below} of ${found.length} scenarios serve at or under the paper's lowest level (${PAPER_LOWEST_MB} MB)`,
  });
  for (const platform of [...new Set(found.map((r) => r.platform))].filter((p) => p !== "native").sort()) {
    const over = found
      .filter((r) => r.platform === platform && r.overNativeMB !== null)
      .map((r) => r.overNativeMB ?? 0);
    if (over.length === 0) continue;
    const sorted = [...over].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
    const sign = (v: number) => `${v >= 0 ? "+" : ""}${v}`;
    out.push({
      kind: "platform",
      text: `${platform} needs ${sign(median)} MB over native at the floor (median of ${over.length} scenarios, from ${sign(sorted[0] ?? 0)} to ${sign(sorted[sorted.length - 1] ?? 0)} MB; resolution ${f.resolutionMB} MB)`,
    });
  }
  return out;
}
