/** report.md: the summary for a terminal, a pull request or a notebook; figures are linked, not inlined. */
import { CELL_STATUSES } from "../core/results/schema";
import type { Analysis } from "./analyze";
import { claimsMarkdown } from "./claimsReport";
import { attributionMarkdown, findingsMarkdown } from "./explainReport";
import { FLOOR_FIGURE, floorTable } from "./floor";
import type { ReportMeta } from "./html";
import { quietLine } from "./noise";
import { pairAgreementMarkdown } from "./pairs";
import type { RenderedFigure } from "./render";
import { markdownTable } from "./table";
import {
  artifactTable,
  crossCheckTable,
  crossoverTable,
  decisionTable,
  loadStatsTable,
  paperNumbersTable,
  runsTable,
  ttrTable,
} from "./tables";
import { vmRows, vmRowsMarkdown } from "./vmCommandLines";

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
  out.push(quietLine(a), "");
  if (a.floor) {
    const figure = figures.find((f) => f.figure.id === FLOOR_FIGURE);
    out.push(`## The memory floor`, "");
    if (figure) out.push(`![${figure.figure.title}](${meta.figuresDir}/${figure.figure.id}.svg)`, "");
    out.push(markdownTable(floorTable(a.floor)), "");
  }
  if (a.input.errors.length > 0) {
    out.push(`## Files that could not be used`, "", ...a.input.errors.map((x) => `- ${x}`), "");
  }
  if (a.warnings.length > 0) out.push(`## Warnings`, "", ...a.warnings.map((x) => `- ${x}`), "");
  out.push(claimsMarkdown(a));

  out.push(attributionMarkdown(a.attribution));
  out.push(`## Crossovers`, "");
  if (a.pairs.length === 0) out.push("No load scenarios with two platforms to compare.", "");
  else {
    out.push(
      markdownTable(crossoverTable(a.pairs)),
      "",
      "A platform is better at a level only where the 95% confidence intervals separate.",
      "",
    );
  }

  out.push(`## Decision table`, "");
  out.push(a.decisions.length === 0 ? "Not enough data." : markdownTable(decisionTable(a)), "");

  const measured = a.paperRows.filter((r) => r.measured);
  out.push(
    `## Published numbers beside this run`,
    "",
    `${measured.length} of ${a.paperRows.length} published numbers have a measured counterpart.`,
    "",
  );
  if (measured.length > 0) {
    out.push(markdownTable(paperNumbersTable(measured)), "");
  }

  out.push(`## Figures`, "");
  for (const f of figures)
    out.push(
      `- ${f.figure.title} (paper's ${f.figure.paperFigure}): [SVG](${meta.figuresDir}/${f.figure.id}.svg), [PNG](${meta.figuresDir}/${f.figure.id}.png)`,
    );
  if (figures.length === 0) out.push("No figure: the input has no data to draw.");
  out.push("");

  const load = loadStatsTable(a.scenarios);
  if (load.rows.length > 0) out.push(`## Statistics per scenario (load)`, "", markdownTable(load), "");
  const ttr = ttrTable(a.scenarios);
  if (ttr.rows.length > 0) out.push(`## Time to ready`, "", markdownTable(ttr), "");
  for (const agreement of a.hostPairs)
    out.push("## How the host pairs agree", "", pairAgreementMarkdown(agreement), "");
  const crossChecks = crossCheckTable(a);
  if (crossChecks.rows.length > 0) out.push(`## Load generator cross-checks`, "", markdownTable(crossChecks), "");
  if (a.sizes.length > 0) out.push(`## Artifacts`, "", markdownTable(artifactTable(a)), "");
  out.push(
    vmRowsMarkdown(
      vmRows(
        a.input.runs.map((r) => r.manifest),
        cells,
      ),
    ),
  );
  out.push(`## Runs, hosts and versions`, "", markdownTable(runsTable(a)), "");
  return `${out.join("\n")}\n`;
}
