import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPaperReference } from "../core/paper/reference";
import { plainText } from "../core/text";
import { type Analysis, analyze } from "./analyze";
import { allFigures } from "./charts/all";
import { floorFigure } from "./charts/floor";
import { type ReportMeta, renderHtml } from "./html";
import { renderMarkdown } from "./markdown";
import { readRuns } from "./read";
import { type RenderedFigure, renderFigure } from "./render";
import { REPETITION_METRICS, type RepetitionMetric, type Scenario } from "./scenarios";
import { scenarioColumns, type TidyRow, tidyRows, toCsv } from "./tidy";

export interface ReportOptions {
  runDirs: readonly string[];
  /** Where report folders go (reports/ in the repository by default). */
  reportsRoot: string;
  /** Folder name; default: the run id, or the run ids joined for a merge. */
  name?: string;
  /** PNG resolution relative to the SVG (2 = sharp on high-DPI screens and in print). */
  pngScale?: number;
  now?: Date;
}

export interface ReportResult {
  dir: string;
  html: string;
  markdown: string;
  csv: string;
  figures: RenderedFigure[];
  analysis: Analysis;
}

const FILES = {
  html: "report.html",
  md: "report.md",
  csv: "cells.csv",
  scenariosCsv: "scenarios.csv",
  figures: "figures",
};

export function defaultReportName(runIds: readonly string[]): string {
  if (runIds.length === 1) return runIds[0] ?? "report";
  const joined = runIds.join("+");
  return joined.length <= 80 ? joined : `merge-${runIds[0]}-and-${runIds.length - 1}-more`;
}

/** A new folder under root: `name`, else `name-2`, `name-3`, ...; an existing report is never overwritten. */
export function createReportDir(root: string, name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._+-]/g, "_") || "report";
  mkdirSync(root, { recursive: true });
  for (let i = 1; ; i++) {
    const dir = join(root, i === 1 ? safe : `${safe}-${i}`);
    try {
      mkdirSync(dir); // not recursive: EEXIST means taken, try the next suffix
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** One row per scenario: its spec, status counts and every statistic, for pandas and R. */
export function scenarioRows(scenarios: readonly Scenario[]): TidyRow[] {
  return scenarios.map((s) => {
    const row: TidyRow = { ...scenarioColumns(s) };
    for (const [status, n] of Object.entries(s.counts)) row[`n${status[0]?.toUpperCase()}${status.slice(1)}`] = n;
    row.nUsed = s.used.length;
    row.basis = s.basis;
    row.flags = s.flags.join(";");
    for (const metric of Object.keys(REPETITION_METRICS) as RepetitionMetric[]) {
      const m = s.metrics[metric];
      row[`${metric}Mean`] = m?.mean ?? null;
      row[`${metric}Sd`] = m?.sd ?? null;
      row[`${metric}CiLow`] = m?.ciLow ?? null;
      row[`${metric}CiHigh`] = m?.ciHigh ?? null;
    }
    row.ttrLaunches = s.ttr?.n ?? null;
    row.ttrMedianMs = s.ttr?.median ?? null;
    row.ttrP25Ms = s.ttr?.p25 ?? null;
    row.ttrP75Ms = s.ttr?.p75 ?? null;
    row.ttrMinMs = s.ttr?.min ?? null;
    row.ttrMaxMs = s.ttr?.max ?? null;
    return row;
  });
}

/** Read, analyse, draw and write one report folder. */
export async function generateReport(options: ReportOptions): Promise<ReportResult> {
  const input = readRuns(options.runDirs);
  const analysis = analyze(input, loadPaperReference());
  const figures: RenderedFigure[] = [];
  const floor = analysis.floor ? floorFigure(analysis.floor) : null;
  for (const figure of [
    ...(floor ? [floor] : []),
    ...allFigures(analysis.scenarios, analysis.sizes, analysis.reference),
  ]) {
    figures.push(await renderFigure(figure, options.pngScale ?? 2));
  }
  const dir = createReportDir(
    options.reportsRoot,
    options.name ?? defaultReportName(input.runs.map((r) => r.manifest.runId)),
  );
  const meta: ReportMeta = {
    name: dir.split("/").pop() ?? "report",
    generatedAt: (options.now ?? new Date()).toISOString(),
    csvFile: FILES.csv,
    scenariosCsvFile: FILES.scenariosCsv,
    figuresDir: FILES.figures,
  };
  mkdirSync(join(dir, FILES.figures));
  for (const f of figures) {
    writeFileSync(join(dir, FILES.figures, `${f.figure.id}.svg`), f.svg);
    writeFileSync(join(dir, FILES.figures, `${f.figure.id}.png`), f.png);
  }
  writeFileSync(join(dir, FILES.csv), toCsv(tidyRows(analysis.scenarios)));
  writeFileSync(join(dir, FILES.scenariosCsv), toCsv(scenarioRows(analysis.scenarios)));
  // Reasons quote guest consoles: no terminal control sequence reaches a report (core/text.ts).
  writeFileSync(join(dir, FILES.html), plainText(renderHtml(analysis, figures, meta)));
  writeFileSync(join(dir, FILES.md), plainText(renderMarkdown(analysis, figures, meta)));
  return {
    dir,
    html: join(dir, FILES.html),
    markdown: join(dir, FILES.md),
    csv: join(dir, FILES.csv),
    figures,
    analysis,
  };
}
