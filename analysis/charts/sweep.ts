import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { knobsAtDefaults } from "../../lab/platforms/registry";
import { REPETITION_METRICS, type Scenario } from "../scenarios";
import {
  cpuText,
  keyPanel,
  metricTitle,
  PAPER_METRIC,
  paperRow,
  plotWithKey,
  pointLayers,
  pointRow,
  repetitionRows,
  summaryText,
} from "./points";
import { config, type Figure, fmt, PLOT_HEIGHT, PLOT_WIDTH, paperValue, type Row, SCHEMA, seriesStyles } from "./style";

/** Figs. 5-8 and 10-13: one metric against the memory limit, every series, at one CPU count. */
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
  const styles = seriesStyles(scenarios, PLOT_WIDTH);
  const levels = [...new Set(scenarios.map((s) => s.spec.memoryMB))].sort((a, b) => b - a).map(String);
  const rows: Row[] = [];
  for (const s of scenarios) {
    const x = { memory: String(s.spec.memoryMB) };
    const point = pointRow(s, metric, x, styles);
    if (point) rows.push(point);
    rows.push(...repetitionRows(s, metric, x, styles));
  }
  if (!rows.some((r) => r.kind === "point")) return null;
  const paperMetric = PAPER_METRIC[metric];
  const unit = REPETITION_METRICS[metric].unit;
  for (const s of scenarios) {
    // The paper's value belongs beside the series run at the paper's settings.
    if (!knobsAtDefaults(s.spec.knobs)) continue;
    const p =
      paperMetric && paperValue(reference, paperMetric, runtime, s.spec.platform, workload, cpus, s.spec.memoryMB);
    if (!p) continue;
    const run = s.metrics[metric];
    rows.push(
      paperRow(
        { memory: String(s.spec.memoryMB) },
        s.series,
        p.value,
        `paper: ${fmt(p.value)} ${unit}${p.approximate ? " (approximate)" : ""} (${p.section}); this run: ${run ? summaryText(run, unit) : "no ok repetition"}`,
      ),
    );
  }
  const title = `${REPETITION_METRICS[metric].label}: ${runtime} ${workload}, ${cpuText(cpus)}`;
  return {
    id,
    title,
    paperFigure,
    caption: `${metricTitle(metric)} against the memory limit for ${runtime} (${workload}) at ${cpuText(cpus)}: mean over ok repetitions with its 95% Student-t confidence interval; small dots are single repetitions. Colour is the platform, shape and line dash the knob setting.`,
    spec: {
      $schema: SCHEMA,
      config,
      title: { text: title, subtitle: `reproduces the paper's ${paperFigure}` },
      data: { values: rows },
      ...plotWithKey(
        {
          width: PLOT_WIDTH,
          height: PLOT_HEIGHT,
          layer: pointLayers(rows, "memory", "Memory limit (MB)", levels, metricTitle(metric), styles, true),
        },
        keyPanel(rows, PLOT_WIDTH),
      ),
    } as TopLevelSpec,
  };
}
