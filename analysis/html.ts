/**
 * report.html: one self-contained file (inline CSS and SVG, no script, no external URL), so it
 * opens offline, can be mailed, and shows the same thing in every browser.
 */

import { CELL_STATUSES, FAILED_STATUSES } from "../core/results/schema";
import type { Analysis } from "./analyze";
import type { ClaimVerdict } from "./claims";
import { CROSSOVER_METRICS, type PairComparison } from "./crossover";
import { analoguesHtml, attributionHtml, findingsHtml } from "./explainReport";
import { escapeHtml as e, meanCi, measuredText, num, ratioText } from "./format";
import { crossCheckRows } from "./generators";
import type { PairAgreement } from "./pairs";
import { type PaperComparisonRow, paperCellLabel, UNITS } from "./paperCompare";
import type { RenderedFigure } from "./render";
import { failedCount, REPETITION_METRICS, type Scenario, scenarioLabel, scenarioNote } from "./scenarios";

export interface ReportMeta {
  name: string;
  generatedAt: string;
  csvFile: string;
  scenariosCsvFile: string;
  figuresDir: string;
}

const CSS = `
:root { --ok:#1a7f37; --bad:#b42318; --warn:#9a6700; --muted:#57606a; --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #1f2328; line-height: 1.45; font-size: 14px; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 22px 0 8px; }
.sub { color: var(--muted); margin: 0 0 16px; }
nav { margin: 12px 0 0; font-size: 13px; } nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 12.5px; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.key { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.flagged td { background: #fff8e1; }
tr.failed td { background: #ffebe9; }
tr.skipped td { color: var(--muted); }
tr.significant td { background: #dafbe1; }
table.explain td.n { white-space: normal; }
table.explain td:last-child { min-width: 280px; }
ul.findings li { margin: 3px 0; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 11.5px; font-weight: 600; white-space: nowrap; }
.b-ok { background: #dafbe1; color: var(--ok); } .b-bad { background: #ffebe9; color: var(--bad); }
.b-na { background: #eaeef2; color: var(--muted); } .b-warn { background: #fff8c5; color: var(--warn); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 150px; background: #fff; }
.card .v { font-size: 22px; font-weight: 700; } .card .k { color: var(--muted); font-size: 12px; }
.box { border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.box.errors { background: #ffebe9; border: 1px solid #ffcecb; } .box.warnings { background: #fff8c5; border: 1px solid #eed888; }
.box.info { background: var(--bg); border: 1px solid var(--line); }
.box ul { margin: 4px 0 0 18px; padding: 0; }
figure { margin: 18px 0 28px; padding: 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
figure .chart { overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 6px; }
figcaption a { color: #0969da; }
.muted { color: var(--muted); }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; font-size: 12px; }
details summary { cursor: pointer; color: #0969da; }
`;

const badge = (text: string, kind: "ok" | "bad" | "na" | "warn") => `<span class="badge b-${kind}">${e(text)}</span>`;

function table(headers: readonly string[], rows: readonly string[], numeric: readonly number[] = []): string {
  const head = headers.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ""}>${e(h)}</th>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

/** Vega names clip paths and gradients by counters that restart per figure: make ids unique per page. */
export function namespaceSvg(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`)
    .replace(/^<svg /, `<svg role="img" aria-label="${prefix}" `);
}

/** The calibration cell every host pair ran: whether cells measured on different pairs compare. */
function hostPairsSection(p: PairAgreement): string {
  const value = (v: number | null, digits: number) => (v === null ? "–" : num(v, digits));
  const rows = p.rows.map(
    (r) =>
      `<tr><td>${r.pair}</td><td>${e(r.status)}</td><td>${value(r.throughputRps, 0)}</td><td>${value(r.p50Ms, 2)}</td><td>${value(r.p99Ms, 2)}</td><td>${r.throughputDeltaPct === null ? "–" : `${r.throughputDeltaPct > 0 ? "+" : ""}${num(r.throughputDeltaPct, 1)}%`}</td></tr>`,
  );
  return `<h3>How the host pairs agree</h3>
<p>The calibration cell <code>${e(p.cellName)}</code> (${e(p.cellId)}) ran on every host pair.</p>
${table(["pair", "status", "req/s", "p50 ms", "p99 ms", "req/s vs the owning pair"], rows)}`;
}

function runsSection(a: Analysis): string {
  const rows = a.input.runs.map((r) => {
    const m = r.manifest;
    const found = Object.entries(m.versionsFound)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    return `<tr><td>${e(m.runId)}</td><td>${e(m.origin)}</td><td>${e(m.createdAt)}</td><td>${e(m.profileName)} (${m.profile.repetitions} rep.)</td><td>${e(m.host.hostname)}: ${e(m.host.cpuModel)}, ${m.host.cores} cores, ${num(m.host.memoryBytes / 2 ** 30, 1)} GiB, ${e(m.host.kernel)}, KVM ${m.host.kvm.usable ? "usable" : `not usable (${e(m.host.kvm.reason ?? "")})`}</td><td>${e(found)}</td><td>${e(m.git.commit?.slice(0, 10) ?? "–")}${m.git.dirty ? " (dirty)" : ""}</td></tr>`;
  });
  return table(["run", "origin", "created", "profile", "host", "versions found", "lab commit"], rows);
}

function glance(a: Analysis): string {
  const cells = a.input.cells.map((c) => c.cell);
  const count = (status: string) => cells.filter((c) => c.status === status).length;
  const flagged = cells.filter((c) => c.flags.length > 0).length;
  const verdicts = (v: string) => a.claims.filter((c) => c.verdict === v).length;
  const card = (value: string | number, key: string) =>
    `<div class="card"><div class="v">${e(String(value))}</div><div class="k">${e(key)}</div></div>`;
  const crossovers = a.pairs.reduce((n, p) => n + p.crossovers.length, 0);
  return `<div class="cards">${[
    card(cells.length, "cells read"),
    card(a.scenarios.length, "scenarios"),
    card(count("ok"), "ok"),
    card(
      FAILED_STATUSES.reduce((sum, status) => sum + count(status), 0),
      FAILED_STATUSES.join(" / "),
    ),
    card(count("skipped"), "skipped"),
    card(flagged, "flagged cells"),
    card(crossovers, "significant crossovers"),
    card(
      `${verdicts("reproduced")} / ${verdicts("not reproduced")} / ${verdicts("not measured")}`,
      "claims reproduced / not / not measured",
    ),
  ].join("")}</div>`;
}

function problems(a: Analysis): string {
  let out = "";
  if (a.input.errors.length > 0) {
    out += `<div class="box errors"><strong>${a.input.errors.length} file(s) could not be used</strong> (every other cell is in the report):<ul>${a.input.errors.map((x) => `<li><code>${e(x)}</code></li>`).join("")}</ul></div>`;
  }
  if (a.warnings.length > 0) {
    out += `<div class="box warnings"><strong>Warnings</strong><ul>${a.warnings.map((x) => `<li>${e(x)}</li>`).join("")}</ul></div>`;
  }
  return out;
}

const METRIC_NAMES: Record<string, string> = { throughputRps: "throughput", latencyMeanMs: "mean latency" };

function crossoverSection(pairs: readonly PairComparison[]): string {
  if (pairs.length === 0) return `<p class="muted">No load scenarios with two platforms to compare.</p>`;
  const rows = pairs.map((p) => {
    const significant = p.crossovers.length > 0;
    const levels = p.levels
      .map((l) => {
        const who =
          l.outcome === "a"
            ? p.a
            : l.outcome === "b"
              ? p.b
              : l.outcome === "tie"
                ? "≈"
                : l.outcome === "both-failed"
                  ? "both failed"
                  : "?";
        return `<span title="${e(l.note)}">${l.memoryMB}: ${e(who)}</span>`;
      })
      .join(" · ");
    return `<tr><td>${e(p.runtime)}</td><td>${e(p.workload)}</td><td class="n">${p.cpus}</td><td>${e(METRIC_NAMES[p.metric] ?? p.metric)}</td><td>${e(p.a)} vs ${e(p.b)}</td><td>${significant ? badge("crossover", "warn") : ""} ${e(p.summary)}</td><td class="muted">${levels}</td></tr>`;
  });
  return table(
    ["runtime", "workload", "CPUs", "metric", "platforms", "finding", "better per memory level (MB)"],
    rows,
    [2],
  );
}

function decisionSection(a: Analysis): string {
  if (a.decisions.length === 0) return `<p class="muted">Not enough data for a decision table.</p>`;
  const rows = a.decisions.map((d) => {
    const kind = d.choice.startsWith("neither")
      ? "bad"
      : d.choice.startsWith("undetermined")
        ? "na"
        : d.choice.startsWith("trade-off") || d.choice.startsWith("either")
          ? "warn"
          : "ok";
    return `<tr><td>${e(d.runtime)}</td><td>${e(d.aspect)}</td><td>${e(d.platforms)}</td><td>${e(d.resources)}</td><td>${badge(d.choice, kind)}</td><td class="muted">${e(d.evidence)}</td></tr>`;
  });
  return table(
    ["runtime", "workload / property", "platforms", "resources", "choice the data supports", "evidence (95% CIs)"],
    rows,
  );
}

function verdictBadge(v: ClaimVerdict): string {
  return v.verdict === "reproduced"
    ? badge("reproduced", "ok")
    : v.verdict === "not reproduced"
      ? badge("not reproduced", "bad")
      : badge("not measured", "na");
}

function claimsSection(a: Analysis): string {
  const rows = a.claims.map((c) => {
    const inputs = c.inputs.map(
      (i) => `${i.query} = ${measuredText(i.value)}${i.value.flagged ? " (flagged cells)" : ""}`,
    );
    const numbers =
      c.verdict === "not measured"
        ? e(c.note)
        : `${e(c.detail)}${c.note ? `<br><span class="muted">${e(c.note)}</span>` : ""}`;
    const ambiguous = c.claim.ambiguous ? `<br>ambiguous in the paper: ${e(c.claim.ambiguous)}` : "";
    const source = `<details><summary>quote and check</summary><span class="muted">“${e(c.claim.quote)}” (${e(c.claim.section)})${ambiguous}<br>check: ${e(c.claim.check)}</span></details>`;
    return `<tr class="${c.verdict === "not reproduced" ? "failed" : ""}"><td>${verdictBadge(c)}</td><td><strong>${e(c.claim.statement)}</strong> <span class="muted">(${e(c.claim.section)}, <code>${e(c.claim.id)}</code>${c.claim.ambiguous ? ", ambiguous" : ""})</span>${source}</td><td>${numbers}${inputs.length > 0 ? `<details><summary>${inputs.length} input(s)</summary>${inputs.map((x) => e(x)).join("<br>")}</details>` : ""}</td></tr>`;
  });
  return table(["verdict", "claim", "numbers behind the verdict"], rows);
}

function paperTableSection(a: Analysis): string {
  const row = (r: PaperComparisonRow) => {
    const p = r.paper;
    const value = `${p.approximate ? "~" : ""}${num(p.value)}`;
    const notes = [
      p.ambiguous ? `ambiguous: ${p.ambiguous}` : "",
      r.measured?.flagged ? "measured from flagged cells" : "",
      r.measured?.note && r.measured.note !== p.platform ? r.measured.note : "",
    ].filter((x) => x);
    const cls = !r.measured ? "skipped" : r.measured.flagged ? "flagged" : "";
    return `<tr class="${cls}"><td>${e(p.metric)}</td><td>${e(paperCellLabel(p))}</td><td class="n">${value}</td><td class="n">${e(measuredText(r.measured))}</td><td class="n">${r.measured ? r.measured.n : "–"}</td><td class="n">${ratioText(r.ratio)}</td><td>${e(UNITS[p.metric] ?? "")}</td><td class="muted" title="${e(p.quote)}"><code>${e(p.id)}</code> ${e(p.section)}${notes.length ? ` · ${e(notes.join("; "))}` : ""}</td></tr>`;
  };
  const headers = ["metric", "cell", "paper", "this run [95% CI]", "n", "ratio run/paper", "unit", "source / notes"];
  const measured = a.paperRows.filter((r) => r.measured);
  const missing = a.paperRows.filter((r) => !r.measured);
  const shown =
    measured.length > 0
      ? table(headers, measured.map(row), [2, 3, 4, 5])
      : `<p class="muted">This run measured none of the cells the paper gives numbers for.</p>`;
  const rest =
    missing.length > 0
      ? `<details><summary>${missing.length} published number(s) with no counterpart in this run</summary>${table(headers, missing.map(row), [2, 3, 4, 5])}</details>`
      : "";
  return `<p class="muted">${measured.length} of ${a.paperRows.length} published numbers have a measured counterpart (n = repetitions, or launches for time to ready; ~ = the paper hedges the number).</p>${shown}${rest}`;
}

function figureSection(figures: readonly RenderedFigure[], meta: ReportMeta): string {
  if (figures.length === 0) return `<p class="muted">No figure: the input has no data to draw.</p>`;
  return figures
    .map(
      (f) =>
        `<figure id="${e(f.figure.id)}"><div class="chart">${namespaceSvg(f.svg, f.figure.id)}</div><figcaption><strong>${e(f.figure.title)}</strong> (the paper's ${e(f.figure.paperFigure)}). ${e(f.figure.caption)} Files: <a href="${e(meta.figuresDir)}/${e(f.figure.id)}.svg">SVG</a>, <a href="${e(meta.figuresDir)}/${e(f.figure.id)}.png">PNG</a>.</figcaption></figure>`,
    )
    .join("\n");
}

/** Red: a repetition failed (or none ran ok); amber: flagged cells are in or were left out of the stats. */
function rowClass(s: Scenario): string {
  if (s.basis === "none") return s.counts.skipped === s.cells.length ? "skipped" : "failed";
  if (failedCount(s) > 0) return "failed";
  if (s.basis === "flagged" || s.flaggedOk > 0) return "flagged";
  return "";
}

function statusText(s: Scenario): string {
  const parts = CELL_STATUSES.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`);
  return parts.join(", ");
}

function loadStatsSection(scenarios: readonly Scenario[]): string {
  const load = scenarios.filter((s) => s.spec.workload !== "startup");
  if (load.length === 0) return `<p class="muted">No load scenarios.</p>`;
  const rows = load.map((s) => {
    const m = s.metrics;
    const flags = s.flags.length > 0 ? s.flags.map((f) => badge(f, "warn")).join(" ") : "";
    return `<tr class="${rowClass(s)}"><td class="key">${e(scenarioLabel(s.spec))}</td><td>${e(s.series)}</td><td>${e(statusText(s))}</td><td class="n">${s.used.length}</td><td class="n">${e(meanCi(m.throughputRps))}</td><td class="n">${e(meanCi(m.failedRequests))}</td><td class="n">${e(meanCi(m.latencyMeanMs))}</td><td class="n">${e(meanCi(m.jitterMs))}</td><td class="n">${e(meanCi(m.p99Ms))}</td><td class="n">${e(meanCi(m.rssPeakMiB))}</td><td class="n">${num(m.timeouts?.mean)}</td><td>${flags} <span class="muted">${e(scenarioNote(s))}</span></td></tr>`;
  });
  const u = (k: keyof typeof REPETITION_METRICS) => `${REPETITION_METRICS[k].label} (${REPETITION_METRICS[k].unit})`;
  return table(
    [
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
    rows,
    [3, 4, 5, 6, 7, 8, 9, 10],
  );
}

/** Cells loaded by two generators, side by side. */
function crossCheckSection(a: Analysis): string {
  const rows = crossCheckRows(a.input.cells.map((x) => x.cell)).map(
    (r) =>
      `<tr><td class="key">${e(r.cell)}</td><td>${e(r.first)}</td><td>${e(r.second)}</td><td class="n">${e(r.gap)}</td><td>${r.verdict.startsWith("disagree") ? badge(r.verdict, "warn") : e(r.verdict)}</td></tr>`,
  );
  if (rows.length === 0) return "";
  return `<h2 id="cross-checks">Load generator cross-checks</h2>\n${table(["cell", "first generator", "second generator", "gap", "verdict"], rows, [3])}`;
}

function ttrSection(scenarios: readonly Scenario[]): string {
  const startup = scenarios.filter((s) => s.spec.workload === "startup");
  if (startup.length === 0) return `<p class="muted">No startup cells.</p>`;
  const rows = startup.map((s) => {
    const d = s.ttr;
    return `<tr class="${rowClass(s)}"><td class="key">${e(scenarioLabel(s.spec))}</td><td>${e(s.series)}</td><td>${e(statusText(s))}</td><td class="n">${d?.n ?? 0}</td><td class="n">${num(d?.median)}</td><td class="n">${d ? `${num(d.p25)}–${num(d.p75)}` : "–"}</td><td class="n">${d ? `${num(d.min)}–${num(d.max)}` : "–"}</td><td class="muted">${e(scenarioNote(s))}</td></tr>`;
  });
  return table(
    ["scenario", "platform", "repetitions", "launches", "median (ms)", "quartiles (ms)", "min–max (ms)", "notes"],
    rows,
    [3, 4, 5, 6],
  );
}

function artifactSection(a: Analysis): string {
  if (a.sizes.length === 0) return `<p class="muted">The manifests list no sized artifact.</p>`;
  const rows = a.sizes.map(
    (s) =>
      `<tr><td>${e(s.runtime)}</td><td>${e(s.kind)}</td><td class="n">${num(s.apparentMB, 1)}</td><td class="n">${s.allocatedMB === null ? "–" : num(s.allocatedMB, 1)}</td><td><code>${e(s.ref)}</code></td><td class="muted">${e(s.notes.join("; "))}</td></tr>`,
  );
  return table(["runtime", "kind", "apparent (MB)", "allocated (MB)", "reference", "notes"], rows, [2, 3]);
}

const METHOD = `<div class="box info">
<p><strong>How to read this report.</strong> Every repetition is one cell; a scenario is a cell spec without its repetition.
Statistics use only <em>ok</em> repetitions. Flagged ok cells (generator-bound, emulated, a CPU or memory limit not enforced)
are left out when clean repetitions exist; when every ok repetition is flagged they are used and the scenario is marked
(amber rows, hollow triangles in the figures). Rows in red had repetitions that ended oom, crashed or timed out; a scenario
with no ok repetition is drawn as a red cross at zero. Counts of every status are in the tables.</p>
<p><strong>Intervals.</strong> Mean ± two-sided 95% Student-t confidence interval over repetitions (t quantile with n − 1 degrees
of freedom). One repetition gives no interval. Jitter is the latency standard deviation within a run, averaged over repetitions.
Time to ready pools every launch: median, quartiles and range.</p>
<p><strong>Crossovers.</strong> Per runtime, workload, CPU count and metric, the memory levels are ordered from most to least. At each
level one platform is better only if the two 95% intervals do not overlap (or the other platform failed outright); otherwise
there is no significant difference. A crossover is stated where the significantly better platform changes; levels where the two
cannot be told apart in between are named. Undetermined means fewer than two ok repetitions on one side.</p>
<p><strong>Paper comparison.</strong> The published numbers come from <code>analysis/paper-reference.yaml</code> (section and quote for each);
~ marks a number the paper hedges. Each claim's check is code (<code>analysis/claims.ts</code>) keyed by claim id; a claim whose inputs
this run lacks is "not measured" and names what is missing.</p>
</div>`;

export function renderHtml(a: Analysis, figures: readonly RenderedFigure[], meta: ReportMeta): string {
  const runIds = a.input.runs.map((r) => r.manifest.runId).join(", ");
  const scenariosWithCrossover = a.pairs.filter((p) => p.crossovers.length > 0 && CROSSOVER_METRICS.includes(p.metric));
  const findings = scenariosWithCrossover.length
    ? `<ul>${scenariosWithCrossover.map((p) => `<li><strong>${e(p.runtime)} ${e(p.workload)}, ${p.cpus} CPU, ${e(METRIC_NAMES[p.metric] ?? p.metric)}:</strong> ${e(p.summary)}</li>`).join("")}</ul>`
    : `<p>No significant crossover in this data.</p>`;
  const maxRepetitions = Math.max(0, ...a.scenarios.map((s) => s.used.length));
  const repetitionNote =
    maxRepetitions < 2
      ? `<div class="box warnings"><strong>At most one usable repetition per scenario:</strong> no confidence interval can be formed, so no platform is called better anywhere (the tables give point estimates). Run a profile with at least 3 repetitions (e.g. <code>--profile paper</code>) for verdicts.</div>`
      : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Report ${e(meta.name)}: unikernels vs containers</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Unikernels vs containers under memory pressure: ${e(meta.name)}</h1>
<p class="sub">Run(s) ${e(runIds)} · generated ${e(meta.generatedAt)} · reproduces “${e(a.reference.paper)}”</p>
<nav><a href="#findings">Findings</a><a href="#glance">At a glance</a><a href="#explain">What explains the gap</a><a href="#crossovers">Crossovers</a><a href="#decision">Decision table</a><a href="#paper">Paper vs run</a><a href="#figures">Figures</a><a href="#stats">Statistics</a><a href="#ttr">Time to ready</a><a href="#artifacts">Artifacts</a><a href="#runs">Runs</a></nav>
${findingsHtml(a.findings)}
<h2 id="glance">At a glance</h2>
${glance(a)}
${problems(a)}
<h3>Significant crossovers</h3>
${findings}
${repetitionNote}
${METHOD}
${attributionHtml(a.attribution)}
<h2 id="crossovers">Crossovers per runtime and workload</h2>
${crossoverSection(a.pairs)}
<h2 id="decision">Decision table (in the spirit of the paper's section VI)</h2>
${decisionSection(a)}
<h2 id="paper">The paper beside this run</h2>
<h3>Claims</h3>
${claimsSection(a)}
${analoguesHtml(a.analogues)}
<h3>Published numbers</h3>
${paperTableSection(a)}
<h2 id="figures">Figures</h2>
${figureSection(figures, meta)}
<h2 id="stats">Statistics per scenario (load)</h2>
<p class="muted">Mean [95% CI] over the repetitions used. Tidy data: <a href="${e(meta.csvFile)}">${e(meta.csvFile)}</a> (one row per repetition), <a href="${e(meta.scenariosCsvFile)}">${e(meta.scenariosCsvFile)}</a> (one row per scenario).</p>
${loadStatsSection(a.scenarios)}
${crossCheckSection(a)}
<h2 id="ttr">Time to ready</h2>
${ttrSection(a.scenarios)}
<h2 id="artifacts">Artifacts</h2>
${artifactSection(a)}
<h2 id="runs">Runs, hosts and versions</h2>
${runsSection(a)}
${a.hostPairs.map(hostPairsSection).join("\n")}
</main>
</body>
</html>
`;
}
