/**
 * The report's parts for issue "explain the gap": the findings list (first screen), the
 * "What explains the gap" section and the local analogues of the paper's claims, each as HTML
 * and as Markdown. Pure formatting of what analyze() computed.
 */
import type { AnalogueVerdict } from "./analogues";
import {
  ATTRIBUTION_METRICS,
  type Attribution,
  attributionValues,
  estimateText,
  type GapRow,
  type MetricAttribution,
  ratioText,
  type ScenarioAttribution,
  shareText,
  whereText,
} from "./attribution";
import { type Finding, NO_FINDING } from "./findings";
import { escapeHtml as e, meanCi } from "./format";
import type { Scenario } from "./scenarios";
import { summarize } from "./stats";
import { htmlTable, markdownTable, rich, type Table, type TableRow } from "./table";
import { type BadgeKind, badge } from "./tables";

export const ATTRIBUTION_METHOD =
  "Gap = mean(A) − mean(B) over the ok repetitions (throughput of successful requests; mean latency), 95% Welch/Satterthwaite t interval. " +
  "Ratio A/B: delta-method interval of log(A/B), exponentiated. Change in the gap = gap with one knob changed − gap at the paper's settings (every knob at its default); " +
  "only the groups that differ enter it (a platform the knob does not apply to stays at its base and cancels), with a Welch/Satterthwaite interval. " +
  "A change is significant when its interval excludes 0. Share closed = (base gap − changed gap) / base gap, with Fieller's 95% interval " +
  "(same t quantile, covariance of the shared base groups included); unbounded when the base gap itself is not significant. " +
  "Outcome changes (a knob turning failures into ok repetitions) are counts, not significance tests.";

const capitalised = (s: string) => `${s[0]?.toUpperCase() ?? ""}${s.slice(1)}`;

function settingText(row: GapRow, s: ScenarioAttribution): string {
  if (!row.change) return "paper's settings";
  const on = row.touches.a && row.touches.b ? "both" : row.touches.a ? `${s.a} only` : `${s.b} only`;
  return `${row.change.knob}=${row.change.value} (${on})`;
}

const sideText = (scenario: Scenario | null, m: MetricAttribution) =>
  scenario ? meanCi(summarize(attributionValues(scenario, m.metric))) : "not run";

function rowsOf(s: ScenarioAttribution): TableRow[] {
  const rows: TableRow[] = [];
  for (const m of s.metrics) {
    const unit = ATTRIBUTION_METRICS[m.metric].unit;
    for (const row of [m.base, ...m.changes]) {
      rows.push({
        className: row.significant ? "significant" : "",
        cells: [
          `${ATTRIBUTION_METRICS[m.metric].label} (${unit})`,
          settingText(row, s),
          sideText(row.a, m),
          sideText(row.b, m),
          estimateText(row.gap),
          ratioText(row.ratio),
          row.change ? estimateText(row.delta) : "–",
          row.change ? shareText(row.share) : "–",
          row.significant ? rich(row.sentence, `<strong>${e(row.sentence)}</strong>`) : row.sentence,
        ],
      });
    }
  }
  return rows;
}

const headers = (s: ScenarioAttribution) => [
  "metric",
  "setting",
  `${s.a} [95% CI]`,
  `${s.b} [95% CI]`,
  `gap ${s.a} − ${s.b} [95% CI]`,
  `ratio ${s.a}/${s.b} [95% CI]`,
  "change in gap [95% CI]",
  "share of base gap closed [95% CI]",
  "finding",
];

const titleOf = (s: ScenarioAttribution) =>
  `${capitalised(s.runtime)} ${s.workload}, ${whereText(s)}: ${s.a} vs ${s.b}`;

/** One scenario's attribution: every metric at the paper's settings and with each knob changed. */
function attributionTable(s: ScenarioAttribution): Table {
  return { headers: headers(s), rows: rowsOf(s), numeric: [2, 3, 4, 5, 6, 7], className: "explain" };
}

export function findingsMarkdown(findings: readonly Finding[]): string {
  const lines = findings.length === 0 ? [NO_FINDING] : findings.map((f) => `- ${f.text}`);
  return ["## Findings", "", ...lines, ""].join("\n");
}

export function findingsHtml(findings: readonly Finding[]): string {
  if (findings.length === 0) return `<h2 id="findings">Findings</h2>\n<p>${e(NO_FINDING)}</p>`;
  return `<h2 id="findings">Findings</h2>\n<ul class="findings">${findings.map((f) => `<li>${e(f.text)}</li>`).join("")}</ul>`;
}

export function attributionMarkdown(a: Attribution): string {
  const out = ["## What explains the gap", ""];
  if (a.scenarios.length === 0 && a.outcomes.length === 0) {
    out.push("This run has no knob variant beside the paper's settings on two platforms: nothing to attribute.", "");
  }
  for (const s of a.scenarios) {
    out.push(`### ${titleOf(s)}`, "", markdownTable(attributionTable(s)), "");
  }
  if (a.outcomes.length > 0) {
    out.push(
      "### Outcomes: where a knob changes whether repetitions fail",
      "",
      ...a.outcomes.map((o) => `- ${o.sentence}`),
      "",
    );
  }
  out.push(`Method: ${ATTRIBUTION_METHOD}`, "");
  return out.join("\n");
}

export function attributionHtml(a: Attribution): string {
  const parts: string[] = [`<h2 id="explain">What explains the gap</h2>`];
  if (a.scenarios.length === 0 && a.outcomes.length === 0) {
    parts.push(
      `<p class="muted">This run has no knob variant beside the paper's settings on two platforms: nothing to attribute.</p>`,
    );
  }
  for (const s of a.scenarios) {
    parts.push(`<h3>${e(titleOf(s))}</h3>`, htmlTable(attributionTable(s)));
  }
  if (a.outcomes.length > 0) {
    parts.push(
      `<h3>Outcomes: where a knob changes whether repetitions fail</h3>`,
      `<ul>${a.outcomes.map((o) => `<li>${o.differs ? `<strong>${e(o.sentence)}</strong>` : e(o.sentence)}</li>`).join("")}</ul>`,
    );
  }
  parts.push(`<p class="muted"><strong>Method.</strong> ${e(ATTRIBUTION_METHOD)}</p>`);
  return parts.join("\n");
}

const ANALOGUE_TITLE = "Local analogues (tested here over platform classes; not the paper's claims)";

const ANALOGUE_KINDS: Record<AnalogueVerdict["verdict"], BadgeKind> = {
  yes: "ok",
  no: "ok",
  mixed: "warn",
  undetermined: "na",
  "not measured": "na",
};

function analoguesTable(list: readonly AnalogueVerdict[]): Table {
  return {
    headers: ["verdict", "question (local analogue)", "evidence (95% CIs)"],
    rows: list.map((x) => ({
      cells: [
        rich(x.verdict, badge(x.verdict, ANALOGUE_KINDS[x.verdict])),
        rich(
          `${x.question} (${x.id})`,
          `<strong>${e(x.question)}</strong> <span class="muted">(local analogue, <code>${e(x.id)}</code>)</span>`,
        ),
        rich(
          [x.evidence.join("; "), x.note].filter((y) => y).join(" — "),
          `${x.evidence.map((l) => e(l)).join("<br>")}${x.note ? `<br><span class="muted">${e(x.note)}</span>` : ""}`,
        ),
      ],
    })),
  };
}

export function analoguesMarkdown(list: readonly AnalogueVerdict[]): string {
  return [`### ${ANALOGUE_TITLE}`, "", markdownTable(analoguesTable(list)), ""].join("\n");
}

export function analoguesHtml(list: readonly AnalogueVerdict[]): string {
  return `<h3>${e(ANALOGUE_TITLE)}</h3>\n${htmlTable(analoguesTable(list))}`;
}
