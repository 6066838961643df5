import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { REPETITION_METRICS, type Scenario } from "../scenarios";
import {
  cpuText,
  keyPanel,
  metricTitle,
  PAPER_METRIC,
  paperFirst,
  paperRow,
  pointLayers,
  pointRow,
  repetitionRows,
} from "./points";
import { config, type Figure, fmt, paperValue, type Row, SCHEMA, seriesColors } from "./style";

/** Figs. 5-8 and 10-13: one metric against the memory limit, every platform, at one CPU count. */
export function memorySweepFigure(
  id: string,
  paperFigure: string,
  scenarios: readonly Scenario[],
  metric: "throughputRps" | "latencyMeanMs",
  reference: PaperReference,
): Figure | null {
  const first = scenarios[0];
  if (!first) return null;
  const { runtime, workload, cpus } = first.spec;
  const colors = seriesColors(scenarios.map((s) => s.series));
  const levels = [...new Set(scenarios.map((s) => s.spec.memoryMB))].sort((a, b) => b - a).map(String);
  const rows: Row[] = [];
  for (const s of scenarios) {
    const x = { memory: String(s.spec.memoryMB) };
    const point = pointRow(s, metric, x, colors);
    if (point) rows.push(point);
    rows.push(...repetitionRows(s, metric, x));
  }
  if (!rows.some((r) => r.kind === "point")) return null;
  const paperMetric = PAPER_METRIC[metric];
  for (const s of scenarios) {
    const p =
      paperMetric && paperValue(reference, paperMetric, runtime, s.spec.platform, workload, cpus, s.spec.memoryMB);
    if (p && s.series === s.spec.platform) {
      rows.push(
        paperRow(
          { memory: String(s.spec.memoryMB) },
          s.series,
          p.value,
          `paper: ${fmt(p.value)}${p.approximate ? " (approximate)" : ""} (${p.section})`,
        ),
      );
    }
  }
  const title = `${REPETITION_METRICS[metric].label}: ${runtime} ${workload}, ${cpuText(cpus)}`;
  return {
    id,
    title,
    paperFigure,
    caption: `${metricTitle(metric)} against the memory limit for ${runtime} (${workload}) at ${cpuText(cpus)}, per platform: mean over ok repetitions with its 95% Student-t confidence interval; small dots are single repetitions.`,
    spec: {
      $schema: SCHEMA,
      config,
      title: { text: title, subtitle: `reproduces the paper's ${paperFigure}` },
      data: { values: paperFirst(rows) },
      hconcat: [
        {
          width: 440,
          height: 270,
          layer: pointLayers(rows, "memory", "Memory limit (MB)", levels, metricTitle(metric), colors, true),
        },
        { ...keyPanel(rows) },
      ],
    } as TopLevelSpec,
  };
}
