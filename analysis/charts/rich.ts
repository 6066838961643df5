import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { knobsAtDefaults } from "../../lab/platforms/registry";
import { REPETITION_METRICS, type Scenario } from "../scenarios";
import {
  cpuText,
  keyPanel,
  metricTitle,
  paperRow,
  plotWithKey,
  pointLayers,
  pointRow,
  repetitionRows,
  summaryText,
} from "./points";
import {
  config,
  type Figure,
  fmt,
  PANEL_WIDTH,
  PLOT_HEIGHT,
  paperValue,
  type Row,
  SCHEMA,
  seriesStyles,
} from "./style";

/** Figs. 4 and 9: the resource-rich scenario, throughput and mean latency per runtime and series. */
export function richFigure(
  id: string,
  paperFigure: string,
  scenarios: readonly Scenario[],
  reference: PaperReference,
): Figure | null {
  const first = scenarios[0];
  if (!first) return null;
  const { workload, cpus, memoryMB } = first.spec;
  const runtimes = [...new Set(scenarios.map((s) => s.spec.runtime))].sort();
  const styles = seriesStyles(scenarios, 2 * PANEL_WIDTH);
  const panels = (["throughputRps", "latencyMeanMs"] as const).map((metric) => {
    const rows: Row[] = [];
    const unit = REPETITION_METRICS[metric].unit;
    for (const s of scenarios) {
      const x = { runtime: s.spec.runtime };
      const point = pointRow(s, metric, x, styles);
      if (point) rows.push(point);
      rows.push(...repetitionRows(s, metric, x, styles));
      const p = paperValue(reference, metric, s.spec.runtime, s.spec.platform, workload, cpus, memoryMB);
      const run = s.metrics[metric];
      if (p && knobsAtDefaults(s.spec.knobs))
        rows.push(
          paperRow(
            x,
            s.series,
            p.value,
            `paper: ${fmt(p.value)} ${unit} (${p.section}); this run: ${run ? summaryText(run, unit) : "no ok repetition"}`,
          ),
        );
    }
    return rows;
  });
  if (!panels.some((rows) => rows.some((r) => r.kind === "point"))) return null;
  const title = `Resource-rich (${cpuText(cpus)}, ${memoryMB} MB): ${workload}`;
  return {
    id,
    title,
    paperFigure,
    caption: `Throughput and mean latency of the ${workload} workload with ${cpuText(cpus)} and ${memoryMB} MB, per runtime: mean with its 95% confidence interval. Colour is the platform, shape the knob setting.`,
    spec: {
      $schema: SCHEMA,
      config,
      title: { text: title, subtitle: `reproduces the paper's ${paperFigure}` },
      ...plotWithKey(
        {
          hconcat: panels.map((rows, i) => ({
            width: PANEL_WIDTH,
            height: PLOT_HEIGHT,
            data: { values: rows },
            layer: pointLayers(
              rows,
              "runtime",
              "Runtime",
              runtimes,
              metricTitle(i === 0 ? "throughputRps" : "latencyMeanMs"),
              styles,
              false,
            ),
          })),
          resolve: { scale: { y: "independent" } },
        },
        keyPanel(panels.flat(), 2 * PANEL_WIDTH),
      ),
    } as TopLevelSpec,
  };
}
