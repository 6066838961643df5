/** report.md: the summary for a terminal, a pull request or a notebook; figures are linked, not inlined. */
import { CELL_STATUSES } from "../core/results/schema";
import type { Analysis } from "./analyze";
import { analoguesMarkdown, attributionMarkdown, findingsMarkdown } from "./explainReport";
import { mdCell as c, meanCi, measuredText, num, ratioText } from "./format";
import { crossCheckRows } from "./generators";
import type { ReportMeta } from "./html";
import { pairAgreementMarkdown } from "./pairs";
import { paperCellLabel } from "./paperCompare";
import type { RenderedFigure } from "./render";
import { scenarioLabel, scenarioNote } from "./scenarios";

function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(c).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

export function renderMarkdown(a: Analysis, figures: readonly RenderedFigure[], meta: ReportMeta): string {
  const out: string[] = [];
  const cells = a.input.cells.map((x) => x.cell);
  const count = (s: string) => cells.filter((x) => x.status === s).length;
  out.push(`# Unikernels vs containers under memory pressure: ${meta.name}`, "");
  out.push(
    `Run(s): ${a.input.runs.map((r) => `${r.manifest.runId} (${r.manifest.origin}, ${r.manifest.host.hostname}, ${r.manifest.createdAt})`).join("; ")}  `,
  );
  out.push(
    `Generated ${meta.generatedAt}. Full report: report.html (offline, self-contained). Tidy data: ${meta.csvFile}, ${meta.scenariosCsvFile}.`,
    "",
  );
  out.push(
    `${cells.length} cells in ${a.scenarios.length} scenarios: ${CELL_STATUSES.map((status) => `${count(status)} ${status}`).join(", ")}; ${cells.filter((x) => x.flags.length > 0).length} flagged.`,
    "",
  );
  out.push(findingsMarkdown(a.findings));
  if (a.input.errors.length > 0) {
    out.push(`## Files that could not be used`, "", ...a.input.errors.map((x) => `- ${x}`), "");
  }
  if (a.warnings.length > 0) out.push(`## Warnings`, "", ...a.warnings.map((x) => `- ${x}`), "");

  out.push(attributionMarkdown(a.attribution));
  out.push(`## Crossovers`, "");
  if (a.pairs.length === 0) out.push("No load scenarios with two platforms to compare.", "");
  else {
    out.push(
      mdTable(
        ["runtime", "workload", "CPUs", "metric", "platforms", "finding"],
        a.pairs.map((p) => [
          p.runtime,
          p.workload,
          String(p.cpus),
          p.metric === "throughputRps" ? "throughput" : "mean latency",
          `${p.a} vs ${p.b}`,
          p.summary,
        ]),
      ),
      "",
      "A platform is better at a level only where the 95% confidence intervals separate.",
      "",
    );
  }

  out.push(`## Decision table`, "");
  out.push(
    a.decisions.length === 0
      ? "Not enough data."
      : mdTable(
          ["runtime", "workload / property", "platforms", "resources", "choice", "evidence"],
          a.decisions.map((d) => [d.runtime, d.aspect, d.platforms, d.resources, d.choice, d.evidence]),
        ),
    "",
  );

  const verdicts = (v: string) => a.claims.filter((x) => x.verdict === v).length;
  out.push(
    `## The paper's claims`,
    "",
    `${verdicts("reproduced")} reproduced, ${verdicts("not reproduced")} not reproduced, ${verdicts("not measured")} not measured.`,
    "",
  );
  out.push(
    mdTable(
      ["verdict", "claim", "section", "numbers"],
      a.claims.map((x) => [
        x.verdict,
        `${x.claim.statement} (${x.claim.id})`,
        x.claim.section,
        x.verdict === "not measured" ? x.note : [x.detail, x.note].filter((y) => y).join("; "),
      ]),
    ),
    "",
  );

  out.push(analoguesMarkdown(a.analogues));

  const measured = a.paperRows.filter((r) => r.measured);
  out.push(
    `## Published numbers beside this run`,
    "",
    `${measured.length} of ${a.paperRows.length} published numbers have a measured counterpart.`,
    "",
  );
  if (measured.length > 0) {
    out.push(
      mdTable(
        ["measurement", "cell", "paper", "this run [95% CI]", "ratio"],
        measured.map((r) => [
          r.paper.id,
          paperCellLabel(r.paper),
          `${r.paper.approximate ? "~" : ""}${num(r.paper.value)}`,
          `${measuredText(r.measured)}${r.measured?.flagged ? " (flagged)" : ""}`,
          ratioText(r.ratio),
        ]),
      ),
      "",
    );
  }

  out.push(`## Figures`, "");
  for (const f of figures)
    out.push(
      `- ${f.figure.title} (paper's ${f.figure.paperFigure}): [SVG](${meta.figuresDir}/${f.figure.id}.svg), [PNG](${meta.figuresDir}/${f.figure.id}.png)`,
    );
  if (figures.length === 0) out.push("No figure: the input has no data to draw.");
  out.push("");

  out.push(`## Statistics per scenario`, "");
  out.push(
    mdTable(
      [
        "scenario",
        "platform",
        "n used",
        "ok throughput (req/s)",
        "failed requests",
        "mean latency (ms)",
        "jitter (ms)",
        "p99 (ms)",
        "TTR median (ms)",
        "notes",
      ],
      a.scenarios.map((s) => [
        scenarioLabel(s.spec),
        s.series,
        String(s.used.length),
        meanCi(s.metrics.throughputRps),
        meanCi(s.metrics.failedRequests),
        meanCi(s.metrics.latencyMeanMs),
        meanCi(s.metrics.jitterMs),
        meanCi(s.metrics.p99Ms),
        s.ttr ? `${num(s.ttr.median)} (${s.ttr.n} launches)` : "–",
        scenarioNote(s),
      ]),
    ),
    "",
  );
  for (const agreement of a.hostPairs)
    out.push("## How the host pairs agree", "", pairAgreementMarkdown(agreement), "");
  const crossChecks = crossCheckRows(cells);
  if (crossChecks.length > 0) {
    out.push(`## Load generator cross-checks`, "");
    out.push(
      mdTable(
        ["cell", "first generator", "second generator", "gap", "verdict"],
        crossChecks.map((r) => [r.cell, r.first, r.second, r.gap, r.verdict]),
      ),
      "",
    );
  }
  return `${out.join("\n")}\n`;
}
