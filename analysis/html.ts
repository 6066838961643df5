/**
 * report.html: one self-contained file (inline CSS and SVG, no script, no external URL), so it
 * opens offline, can be mailed, and shows the same thing in every browser.
 */

import { FAILED_STATUSES } from "../core/results/schema";
import type { Analysis } from "./analyze";
import { claimsCard, claimsHtml } from "./claimsReport";
import { CROSSOVER_METRICS, type PairComparison } from "./crossover";
import { attributionHtml, findingsHtml } from "./explainReport";
import { FLOOR_FIGURE, floorTable } from "./floor";
import { escapeHtml as e } from "./format";
import { NOISE_METHOD, noiseTable, quietLine, scheduleNote } from "./noise";
import type { PairAgreement } from "./pairs";
import type { RenderedFigure } from "./render";
import type { Scenario } from "./scenarios";
import { htmlTable } from "./table";
import {
  artifactTable,
  crossCheckTable,
  crossoverTable,
  decisionTable,
  hostPairsTable,
  loadStatsTable,
  METRIC_NAMES,
  paperNumbersTable,
  runsTable,
  ttrTable,
} from "./tables";
import { vmRows, vmRowsHtml } from "./vmCommandLines";

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
ul.reasons { margin: 4px 0 12px 18px; padding: 0; } ul.reasons li { margin: 3px 0; }
details.box > summary { color: inherit; }
figure { margin: 18px 0 28px; padding: 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
figure .chart { overflow-x: auto; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 6px; }
figcaption a { color: #0969da; }
.muted { color: var(--muted); }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; font-size: 12px; }
details summary { cursor: pointer; color: #0969da; }
`;

/** Vega names clip paths and gradients by counters that restart per figure: make ids unique per page. */
export function namespaceSvg(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`)
    .replace(/^<svg /, `<svg role="img" aria-label="${prefix}" `);
}

function hostPairsSection(p: PairAgreement): string {
  return `<h3>How the host pairs agree</h3>
<p>The calibration cell <code>${e(p.cellName)}</code> (${e(p.cellId)}) ran on every host pair.</p>
${htmlTable(hostPairsTable(p))}`;
}

function glance(a: Analysis): string {
  const cells = a.input.cells.map((c) => c.cell);
  const count = (status: string) => cells.filter((c) => c.status === status).length;
  const flagged = cells.filter((c) => c.flags.length > 0).length;
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
    card(...claimsCard(a)),
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

function crossoverSection(pairs: readonly PairComparison[]): string {
  if (pairs.length === 0) return `<p class="muted">No load scenarios with two platforms to compare.</p>`;
  return htmlTable(crossoverTable(pairs));
}

function decisionSection(a: Analysis): string {
  if (a.decisions.length === 0) return `<p class="muted">Not enough data for a decision table.</p>`;
  return htmlTable(decisionTable(a));
}

function paperTableSection(a: Analysis): string {
  const measured = a.paperRows.filter((r) => r.measured);
  const missing = a.paperRows.filter((r) => !r.measured);
  const shown =
    measured.length > 0
      ? htmlTable(paperNumbersTable(measured))
      : `<p class="muted">This run measured none of the cells the paper gives numbers for.</p>`;
  const rest =
    missing.length > 0
      ? `<details><summary>${missing.length} published number(s) with no counterpart in this run</summary>${htmlTable(paperNumbersTable(missing))}</details>`
      : "";
  return `<p class="muted">${measured.length} of ${a.paperRows.length} published numbers have a measured counterpart (n = repetitions, or launches for time to ready; ~ = the paper hedges the number).</p>${shown}${rest}`;
}

function figureHtml(f: RenderedFigure, meta: ReportMeta): string {
  return `<figure id="${e(f.figure.id)}"><div class="chart">${namespaceSvg(f.svg, f.figure.id)}</div><figcaption><strong>${e(f.figure.title)}</strong> (the paper's ${e(f.figure.paperFigure)}). ${e(f.figure.caption)} Files: <a href="${e(meta.figuresDir)}/${e(f.figure.id)}.svg">SVG</a>, <a href="${e(meta.figuresDir)}/${e(f.figure.id)}.png">PNG</a>.</figcaption></figure>`;
}

function figureSection(figures: readonly RenderedFigure[], meta: ReportMeta): string {
  const rest = figures.filter((f) => f.figure.id !== FLOOR_FIGURE);
  if (rest.length === 0) return `<p class="muted">No figure: the input has no data to draw.</p>`;
  return rest.map((f) => figureHtml(f, meta)).join("\n");
}

/** The memory floor (a floor run only): its figure and its table of brackets, right after the findings. */
function floorHtml(a: Analysis, figures: readonly RenderedFigure[], meta: ReportMeta): string {
  if (!a.floor) return "";
  const figure = figures.find((f) => f.figure.id === FLOOR_FIGURE);
  return `<h2 id="floor">The memory floor</h2>
<p class="muted">Per scenario, the least memory that served the whole load with no failed request, and the greatest that failed, with the failure's evidence (hover it for the probe's own words). Memory at the serving level, as the host sees it: the instance's cgroup peak (split into the app's part, native's cgroup peak at its floor, and the platform's, the rest), its host process's resident and proportional set (the app, a container's init, QEMU, gVisor's sandbox) and the PSS of the cgroup's other processes (gVisor's gofer and stubs); as the guest sees it: the memory total the app read (<code>/info</code>). Over native: the serving level less native's for the same runtime, workload and tuning.</p>
${figure ? figureHtml(figure, meta) : ""}
${htmlTable(floorTable(a.floor))}`;
}

function loadStatsSection(scenarios: readonly Scenario[]): string {
  const table = loadStatsTable(scenarios);
  return table.rows.length === 0 ? `<p class="muted">No load scenarios.</p>` : htmlTable(table);
}

function crossCheckSection(a: Analysis): string {
  const table = crossCheckTable(a);
  if (table.rows.length === 0) return "";
  return `<h2 id="cross-checks">Load generator cross-checks</h2>\n${htmlTable(table)}`;
}

function ttrSection(scenarios: readonly Scenario[]): string {
  const table = ttrTable(scenarios);
  return table.rows.length === 0 ? `<p class="muted">No startup cells.</p>` : htmlTable(table);
}

function artifactSection(a: Analysis): string {
  if (a.sizes.length === 0) return `<p class="muted">The manifests list no sized artifact.</p>`;
  return htmlTable(artifactTable(a));
}

const METHOD = `<details class="box info"><summary><strong>How to read this report</strong>: statuses, intervals, crossovers, figures and the paper comparison</summary>
<p>Every repetition is one cell; a scenario is a cell spec without its repetition.
Statistics use only <em>ok</em> repetitions. Flagged ok cells (generator-bound, emulated, a CPU or memory limit not enforced)
are left out when clean repetitions exist; when every ok repetition is flagged they are used and the scenario is marked
(amber rows, hollow markers in the figures). Rows in red had repetitions that ended oom, crashed or timed out; a scenario
with no ok repetition is drawn at zero, hollow and crossed in red. Counts of every status are in the tables.</p>
<p><strong>Figures.</strong> Colour is the platform, the same in every figure and every report; shape (and the line's dash) is the
knob setting: a filled circle on a solid line is the paper's settings. A hollow diamond is the paper's value for that cell, with its
number, drawn beside this run's interval.</p>
<p><strong>Intervals.</strong> Mean ± two-sided 95% Student-t confidence interval over repetitions (t quantile with n − 1 degrees
of freedom). One repetition gives no interval. Jitter is the latency standard deviation within a run, averaged over repetitions.
Time to ready pools every launch: median, quartiles and range.</p>
<p><strong>Crossovers.</strong> Per runtime, workload, CPU count and metric, the memory levels are ordered from most to least. At each
level one platform is better only if the two 95% intervals do not overlap (or the other platform failed outright); otherwise
there is no significant difference. A crossover is stated where the significantly better platform changes; levels where the two
cannot be told apart in between are named. Undetermined means fewer than two ok repetitions on one side.</p>
<p><strong>Paper comparison.</strong> The published numbers come from <code>core/paper/paper-reference.yaml</code> (section and quote for each);
~ marks a number the paper hedges. Each claim's check is code (<code>analysis/claims.ts</code>) keyed by claim id; a claim whose inputs
this run lacks is "not measured" and names what is missing; on the first screen those collapse into one line per reason.</p>
${NOISE_METHOD}
</details>`;

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
<nav><a href="#findings">Findings</a>${a.floor ? `<a href="#floor">Memory floor</a>` : ""}<a href="#glance">At a glance</a><a href="#claims">The paper's claims</a><a href="#explain">What explains the gap</a><a href="#crossovers">Crossovers</a><a href="#decision">Decision table</a><a href="#paper">Published numbers</a><a href="#figures">Figures</a><a href="#stats">Statistics</a><a href="#ttr">Time to ready</a><a href="#artifacts">Artifacts</a><a href="#noise">Noise</a><a href="#runs">Runs</a></nav>
${findingsHtml(a.findings)}
<p class="sub" id="quiet">${e(quietLine(a))} <a href="#noise">Noise</a></p>
${floorHtml(a, figures, meta)}
<h2 id="glance">At a glance</h2>
${glance(a)}
${problems(a)}
${repetitionNote}
${claimsHtml(a)}
<h3>Significant crossovers</h3>
${findings}
${METHOD}
${attributionHtml(a.attribution)}
<h2 id="crossovers">Crossovers per runtime and workload</h2>
${crossoverSection(a.pairs)}
<h2 id="decision">Decision table (in the spirit of the paper's section VI)</h2>
${decisionSection(a)}
<h2 id="paper">The paper's published numbers beside this run</h2>
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
${vmRowsHtml(
  vmRows(
    a.input.runs.map((r) => r.manifest),
    a.input.cells.map((c) => c.cell),
  ),
)}
<h2 id="noise">Noise: what else used the machine, cell by cell</h2>
<p class="muted">${e(quietLine(a))} ${e(scheduleNote(a))}</p>
${htmlTable(noiseTable(a))}
<h2 id="runs">Runs, hosts and versions</h2>
${htmlTable(runsTable(a))}
${a.hostPairs.map(hostPairsSection).join("\n")}
</main>
</body>
</html>
`;
}
