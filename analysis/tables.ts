/**
 * The report's tables, each written once: columns, cells and row classes. report.html and
 * report.md draw the same tables (analysis/table.ts), the HTML with badges and details.
 */
import { CELL_STATUSES } from "../core/results/schema";
import type { Analysis } from "./analyze";
import type { ClaimVerdict } from "./claims";
import type { PairComparison } from "./crossover";
import { escapeHtml as e, meanCi, measuredText, num, ratioText } from "./format";
import { crossCheckRows } from "./generators";
import type { PairAgreement } from "./pairs";
import { type PaperComparisonRow, paperCellLabel, UNITS } from "./paperCompare";
import { failedCount, REPETITION_METRICS, type Scenario, scenarioLabel, scenarioNote } from "./scenarios";
import { rich, type Table, type TableCell } from "./table";

export type BadgeKind = "ok" | "bad" | "na" | "warn";

export const badge = (text: string, kind: BadgeKind) => `<span class="badge b-${kind}">${e(text)}</span>`;
const badgeCell = (text: string, kind: BadgeKind): TableCell => rich(text, badge(text, kind));
const muted = (text: string): TableCell => rich(text, `<span class="muted">${e(text)}</span>`);

export const METRIC_NAMES: Record<string, string> = { throughputRps: "throughput", latencyMeanMs: "mean latency" };

/** Red: a repetition failed (or none ran ok); amber: flagged cells are in or were left out of the stats. */
function scenarioRowClass(s: Scenario): string {
  if (s.basis === "none") return s.counts.skipped === s.cells.length ? "skipped" : "failed";
  if (failedCount(s) > 0) return "failed";
  if (s.basis === "flagged" || s.flaggedOk > 0) return "flagged";
  return "";
}

function statusText(s: Scenario): string {
  return CELL_STATUSES.filter((k) => s.counts[k] > 0)
    .map((k) => `${s.counts[k]} ${k}`)
    .join(", ");
}

function levelWinner(p: PairComparison, outcome: PairComparison["levels"][number]["outcome"]): string {
  if (outcome === "a") return p.a;
  if (outcome === "b") return p.b;
  if (outcome === "tie") return "≈";
  if (outcome === "both-failed") return "both failed";
  return "?";
}

export function crossoverTable(pairs: readonly PairComparison[]): Table {
  return {
    headers: ["runtime", "workload", "CPUs", "metric", "platforms", "finding", "better per memory level (MB)"],
    numeric: [2],
    rows: pairs.map((p) => {
      const levels = p.levels.map((l) => ({ l, text: `${l.memoryMB}: ${levelWinner(p, l.outcome)}` }));
      const finding = p.crossovers.length > 0 ? `${badge("crossover", "warn")} ${e(p.summary)}` : ` ${e(p.summary)}`;
      return {
        cells: [
          p.runtime,
          p.workload,
          String(p.cpus),
          METRIC_NAMES[p.metric] ?? p.metric,
          `${p.a} vs ${p.b}`,
          rich(p.summary, finding),
          rich(
            levels.map((x) => x.text).join(" · "),
            `<span class="muted">${levels.map((x) => `<span title="${e(x.l.note)}">${e(x.text)}</span>`).join(" · ")}</span>`,
          ),
        ],
      };
    }),
  };
}

function choiceKind(choice: string): BadgeKind {
  if (choice.startsWith("neither")) return "bad";
  if (choice.startsWith("undetermined")) return "na";
  if (choice.startsWith("trade-off") || choice.startsWith("either")) return "warn";
  return "ok";
}

export function decisionTable(a: Analysis): Table {
  return {
    headers: [
      "runtime",
      "workload / property",
      "platforms",
      "resources",
      "choice the data supports",
      "evidence (95% CIs)",
    ],
    rows: a.decisions.map((d) => ({
      cells: [
        d.runtime,
        d.aspect,
        d.platforms,
        d.resources,
        badgeCell(d.choice, choiceKind(d.choice)),
        muted(d.evidence),
      ],
    })),
  };
}

const VERDICT_BADGES: Record<ClaimVerdict["verdict"], BadgeKind> = {
  reproduced: "ok",
  "not reproduced": "bad",
  "not measured": "na",
};

function claimCells(c: ClaimVerdict): TableCell[] {
  const inputs = c.inputs.map(
    (i) => `${i.query} = ${measuredText(i.value)}${i.value.flagged ? " (flagged cells)" : ""}`,
  );
  const numbersText = c.verdict === "not measured" ? c.note : [c.detail, c.note].filter((y) => y).join("; ");
  const numbersHtml =
    c.verdict === "not measured"
      ? e(c.note)
      : `${e(c.detail)}${c.note ? `<br><span class="muted">${e(c.note)}</span>` : ""}`;
  const inputsHtml =
    inputs.length > 0
      ? `<details><summary>${inputs.length} input(s)</summary>${inputs.map((x) => e(x)).join("<br>")}</details>`
      : "";
  const ambiguous = c.claim.ambiguous ? `<br>ambiguous in the paper: ${e(c.claim.ambiguous)}` : "";
  const source = `<details><summary>quote and check</summary><span class="muted">“${e(c.claim.quote)}” (${e(c.claim.section)})${ambiguous}<br>check: ${e(c.claim.check)}</span></details>`;
  return [
    badgeCell(c.verdict, VERDICT_BADGES[c.verdict]),
    rich(
      `${c.claim.statement} (${c.claim.section}, ${c.claim.id})`,
      `<strong>${e(c.claim.statement)}</strong> <span class="muted">(${e(c.claim.section)}, <code>${e(c.claim.id)}</code>${c.claim.ambiguous ? ", ambiguous" : ""})</span>${source}`,
    ),
    rich(numbersText, `${numbersHtml}${inputsHtml}`),
  ];
}

export function claimsTable(a: Analysis, list: readonly ClaimVerdict[] = a.claims): Table {
  return {
    headers: ["verdict", "claim", "numbers behind the verdict"],
    rows: list.map((c) => ({ cells: claimCells(c), className: c.verdict === "not reproduced" ? "failed" : "" })),
  };
}

/** The paper's published numbers beside this run's (the measured ones, or the ones with no counterpart). */
export function paperNumbersTable(rows: readonly PaperComparisonRow[]): Table {
  return {
    headers: ["metric", "cell", "paper", "this run [95% CI]", "n", "ratio run/paper", "unit", "source / notes"],
    numeric: [2, 3, 4, 5],
    rows: rows.map((r) => {
      const p = r.paper;
      const notes = [
        p.ambiguous ? `ambiguous: ${p.ambiguous}` : "",
        r.measured?.flagged ? "measured from flagged cells" : "",
        r.measured?.note && r.measured.note !== p.platform ? r.measured.note : "",
      ].filter((x) => x);
      const source = `${p.id} ${p.section}${notes.length ? ` · ${notes.join("; ")}` : ""}`;
      return {
        className: !r.measured ? "skipped" : r.measured.flagged ? "flagged" : "",
        cells: [
          p.metric,
          paperCellLabel(p),
          `${p.approximate ? "~" : ""}${num(p.value)}`,
          measuredText(r.measured),
          r.measured ? String(r.measured.n) : "–",
          ratioText(r.ratio),
          UNITS[p.metric] ?? "",
          rich(
            source,
            `<span class="muted" title="${e(p.quote)}"><code>${e(p.id)}</code> ${e(p.section)}${notes.length ? ` · ${e(notes.join("; "))}` : ""}</span>`,
          ),
        ],
      };
    }),
  };
}

export function loadStatsTable(scenarios: readonly Scenario[]): Table {
  const u = (k: keyof typeof REPETITION_METRICS) => `${REPETITION_METRICS[k].label} (${REPETITION_METRICS[k].unit})`;
  return {
    keyColumn: true,
    headers: [
      "scenario",
      "platform",
      "repetitions",
      "n used",
      u("throughputRps"),
      u("failedRequests"),
      u("latencyMeanMs"),
      u("jitterMs"),
      u("p99Ms"),
      u("rssPeakMiB"),
      "timeouts / rep.",
      "flags and notes",
    ],
    numeric: [3, 4, 5, 6, 7, 8, 9, 10],
    rows: scenarios
      .filter((s) => s.spec.workload !== "startup")
      .map((s) => {
        const m = s.metrics;
        const note = scenarioNote(s);
        return {
          className: scenarioRowClass(s),
          cells: [
            scenarioLabel(s.spec),
            s.series,
            statusText(s),
            String(s.used.length),
            meanCi(m.throughputRps),
            meanCi(m.failedRequests),
            meanCi(m.latencyMeanMs),
            meanCi(m.jitterMs),
            meanCi(m.p99Ms),
            meanCi(m.rssPeakMiB),
            num(m.timeouts?.mean),
            rich(
              [...s.flags, note].filter((x) => x).join("; "),
              `${s.flags.map((f) => badge(f, "warn")).join(" ")} <span class="muted">${e(note)}</span>`,
            ),
          ],
        };
      }),
  };
}

export function ttrTable(scenarios: readonly Scenario[]): Table {
  return {
    keyColumn: true,
    headers: [
      "scenario",
      "platform",
      "repetitions",
      "launches",
      "median (ms)",
      "quartiles (ms)",
      "min–max (ms)",
      "notes",
    ],
    numeric: [3, 4, 5, 6],
    rows: scenarios
      .filter((s) => s.spec.workload === "startup")
      .map((s) => {
        const d = s.ttr;
        return {
          className: scenarioRowClass(s),
          cells: [
            scenarioLabel(s.spec),
            s.series,
            statusText(s),
            String(d?.n ?? 0),
            num(d?.median),
            d ? `${num(d.p25)}–${num(d.p75)}` : "–",
            d ? `${num(d.min)}–${num(d.max)}` : "–",
            muted(scenarioNote(s)),
          ],
        };
      }),
  };
}

/** Cells loaded by two generators, side by side. */
export function crossCheckTable(a: Analysis): Table {
  return {
    keyColumn: true,
    headers: ["cell", "first generator", "second generator", "gap", "verdict"],
    numeric: [3],
    rows: crossCheckRows(a.input.cells.map((x) => x.cell)).map((r) => ({
      cells: [
        r.cell,
        r.first,
        r.second,
        r.gap,
        r.verdict.startsWith("disagree") ? badgeCell(r.verdict, "warn") : r.verdict,
      ],
    })),
  };
}

export function artifactTable(a: Analysis): Table {
  return {
    headers: ["runtime", "kind", "apparent (MB)", "allocated (MB)", "reference", "notes"],
    numeric: [2, 3],
    rows: a.sizes.map((s) => ({
      cells: [
        s.runtime,
        s.kind,
        num(s.apparentMB, 1),
        s.allocatedMB === null ? "–" : num(s.allocatedMB, 1),
        rich(s.ref, `<code>${e(s.ref)}</code>`),
        muted(s.notes.join("; ")),
      ],
    })),
  };
}

export function runsTable(a: Analysis): Table {
  return {
    headers: ["run", "origin", "created", "profile", "host", "versions found", "lab commit"],
    rows: a.input.runs.map((r) => {
      const m = r.manifest;
      const found = Object.entries(m.versionsFound)
        .filter(([, v]) => v)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      const kvm = m.host.kvm.usable ? "usable" : `not usable (${m.host.kvm.reason ?? ""})`;
      return {
        cells: [
          m.runId,
          m.origin,
          m.createdAt,
          `${m.profileName} (${m.profile.repetitions} rep.)`,
          `${m.host.hostname}: ${m.host.cpuModel}, ${m.host.cores} cores, ${num(m.host.memoryBytes / 2 ** 30, 1)} GiB, ${m.host.kernel}, KVM ${kvm}`,
          found,
          `${m.git.commit?.slice(0, 10) ?? "–"}${m.git.dirty ? " (dirty)" : ""}`,
        ],
      };
    }),
  };
}

/** The calibration cell every host pair ran: whether cells measured on different pairs compare. */
export function hostPairsTable(p: PairAgreement): Table {
  // Plain digits (no thousands separators): the table is also printed by `analysis/pairs.ts` for scripts.
  const value = (v: number | null, digits: number) => (v === null ? "–" : v.toFixed(digits));
  return {
    headers: ["pair", "status", "req/s", "p50 ms", "p99 ms", "req/s vs the owning pair"],
    numeric: [0, 2, 3, 4, 5],
    rows: p.rows.map((r) => ({
      cells: [
        String(r.pair),
        r.status,
        value(r.throughputRps, 0),
        value(r.p50Ms, 2),
        value(r.p99Ms, 2),
        r.throughputDeltaPct === null
          ? "–"
          : `${r.throughputDeltaPct > 0 ? "+" : ""}${r.throughputDeltaPct.toFixed(1)}%`,
      ],
    })),
  };
}
