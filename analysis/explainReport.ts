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
import { escapeHtml as e, mdCell, meanCi } from "./format";
import type { Scenario } from "./scenarios";
import { summarize } from "./stats";

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

interface Row {
  cells: string[];
  significant: boolean;
}

function rowsOf(s: ScenarioAttribution): Row[] {
  const rows: Row[] = [];
  for (const m of s.metrics) {
    const unit = ATTRIBUTION_METRICS[m.metric].unit;
    for (const row of [m.base, ...m.changes]) {
      rows.push({
        significant: row.significant,
        cells: [
          `${ATTRIBUTION_METRICS[m.metric].label} (${unit})`,
          settingText(row, s),
          sideText(row.a, m),
          sideText(row.b, m),
          estimateText(row.gap),
          ratioText(row.ratio),
          row.change ? estimateText(row.delta) : "–",
          row.change ? shareText(row.share) : "–",
          row.sentence,
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

function mdTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
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
    out.push(
      `### ${titleOf(s)}`,
      "",
      mdTable(
        headers(s),
        rowsOf(s).map((r) => r.cells),
      ),
      "",
    );
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
    const head = headers(s)
      .map((h) => `<th>${e(h)}</th>`)
      .join("");
    const body = rowsOf(s)
      .map(
        (r) =>
          `<tr${r.significant ? ' class="significant"' : ""}>${r.cells.map((c, i) => `<td${i >= 2 && i <= 7 ? ' class="n"' : ""}>${r.significant && i === 8 ? `<strong>${e(c)}</strong>` : e(c)}</td>`).join("")}</tr>`,
      )
      .join("\n");
    parts.push(
      `<h3>${e(titleOf(s))}</h3>`,
      `<table class="explain"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`,
    );
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

export function analoguesMarkdown(list: readonly AnalogueVerdict[]): string {
  return [
    `### ${ANALOGUE_TITLE}`,
    "",
    mdTable(
      ["verdict", "question (local analogue)", "evidence (95% CIs)"],
      list.map((x) => [
        x.verdict,
        `${x.question} (${x.id})`,
        [x.evidence.join("; "), x.note].filter((y) => y).join(" — "),
      ]),
    ),
    "",
  ].join("\n");
}

export function analoguesHtml(list: readonly AnalogueVerdict[]): string {
  const kind = (v: AnalogueVerdict["verdict"]) => (v === "yes" || v === "no" ? "ok" : v === "mixed" ? "warn" : "na");
  const rows = list.map(
    (x) =>
      `<tr><td><span class="badge b-${kind(x.verdict)}">${e(x.verdict)}</span></td><td><strong>${e(x.question)}</strong> <span class="muted">(local analogue, <code>${e(x.id)}</code>)</span></td><td>${x.evidence.map((l) => e(l)).join("<br>")}${x.note ? `<br><span class="muted">${e(x.note)}</span>` : ""}</td></tr>`,
  );
  return `<h3>${e(ANALOGUE_TITLE)}</h3>\n<table><thead><tr><th>verdict</th><th>question</th><th>evidence (95% CIs)</th></tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}
