import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import type { Scenario } from "../scenarios";
import { cpuText, keyPanel, metricTitle, paperFirst, paperRow, pointLayers, pointRow, repetitionRows } from "./points";
import { config, type Figure, fmt, paperValue, type Row, SCHEMA, seriesColors } from "./style";

/** Figs. 4 and 9: the resource-rich scenario, throughput and mean latency per runtime and platform. */
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
  const colors = seriesColors(scenarios.map((s) => s.series));
  const panels = (["throughputRps", "latencyMeanMs"] as const).map((metric) => {
    const rows: Row[] = [];
    for (const s of scenarios) {
      const x = { runtime: s.spec.runtime };
      const point = pointRow(s, metric, x, colors);
      if (point) rows.push(point);
      rows.push(...repetitionRows(s, metric, x));
      const p = paperValue(reference, metric, s.spec.runtime, s.spec.platform, workload, cpus, memoryMB);
      if (p && s.series === s.spec.platform)
        rows.push(paperRow(x, s.series, p.value, `paper: ${fmt(p.value)} (${p.section})`));
    }
    return rows;
  });
  if (!panels.some((rows) => rows.some((r) => r.kind === "point"))) return null;
  const title = `Resource-rich (${cpuText(cpus)}, ${memoryMB} MB): ${workload}`;
  return {
    id,
    title,
    paperFigure,
    caption: `Throughput and mean latency of the ${workload} workload with ${cpuText(cpus)} and ${memoryMB} MB, per runtime and platform: mean with its 95% confidence interval.`,
    spec: {
      $schema: SCHEMA,
      config,
      title: { text: title, subtitle: `reproduces the paper's ${paperFigure}` },
      hconcat: [
        ...panels.map((rows, i) => ({
          width: 250,
          height: 260,
          data: { values: paperFirst(rows) },
          layer: pointLayers(
            rows,
            "runtime",
            "Runtime",
            runtimes,
            metricTitle(i === 0 ? "throughputRps" : "latencyMeanMs"),
            colors,
            false,
          ),
        })),
        keyPanel(panels.flat()),
      ],
      resolve: { scale: { y: "independent" } },
    } as TopLevelSpec,
  };
}
