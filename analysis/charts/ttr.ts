import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { knobsAtDefaults } from "../../lab/platforms/registry";
import { failedCount, type Scenario, scenarioNote } from "../scenarios";
import { byScaleNull, keyPanel, markerLayers, paperRow, plotWithKey, seriesLegendLayer } from "./points";
import {
  config,
  type Figure,
  markerStyle,
  PANEL_WIDTH,
  PLOT_HEIGHT,
  paperValue,
  type Row,
  SCHEMA,
  seriesStyles,
} from "./style";

/** Fig. 3: time to ready per runtime, series and memory level: median, quartiles and range of every launch. */
export function ttrFigure(scenarios: readonly Scenario[], reference: PaperReference): Figure | null {
  const startup = scenarios.filter((s) => s.spec.workload === "startup" && (s.ttr || failedCount(s) > 0));
  if (startup.length === 0) return null;
  const runtimes = [...new Set(startup.map((s) => s.spec.runtime))].sort();
  const styles = seriesStyles(startup, PANEL_WIDTH * runtimes.length);
  const allRows: Row[] = [];
  const panels = runtimes.map((runtime) => {
    const mine = startup.filter((s) => s.spec.runtime === runtime);
    const levels = [...new Set(mine.map((s) => s.spec.memoryMB))].sort((a, b) => b - a).map(String);
    const rows: Row[] = [];
    for (const s of mine) {
      const d = s.ttr;
      const memory = String(s.spec.memoryMB);
      const style = styles.of(s.series);
      if (!d) {
        rows.push({
          memory,
          series: s.series,
          kind: "point",
          value: 0,
          ...markerStyle("failed", style),
          detail: scenarioNote(s),
        });
        continue;
      }
      const note = scenarioNote(s);
      rows.push({
        memory,
        series: s.series,
        kind: "point",
        value: d.median,
        lo: d.min,
        hi: d.max,
        q1: d.p25,
        q3: d.p75,
        ...markerStyle(s.basis === "flagged" ? "flagged" : "ok", style),
        detail: `median ${d.median.toFixed(1)} ms (quartiles ${d.p25.toFixed(1)} to ${d.p75.toFixed(1)}, range ${d.min.toFixed(1)} to ${d.max.toFixed(1)}), ${d.n} launches${note ? `; ${note}` : ""}`,
      });
    }
    for (const s of mine) {
      if (!knobsAtDefaults(s.spec.knobs)) continue;
      const p = paperValue(reference, "ttrMedianMs", runtime, s.spec.platform, "none");
      if (!p) continue;
      const run = s.ttr
        ? `median ${s.ttr.median.toFixed(1)} ms (quartiles ${s.ttr.p25.toFixed(1)} to ${s.ttr.p75.toFixed(1)})`
        : "no ok launch";
      rows.push(
        paperRow(
          { memory: String(s.spec.memoryMB) },
          s.series,
          p.value,
          `paper: median ${p.value} ms (${p.section}; the paper gives no memory level); this run: ${run}`,
        ),
      );
    }
    allRows.push(...rows);
    const x = { field: "memory", type: "ordinal", sort: levels, title: "Memory limit (MB)", axis: { labelAngle: 0 } };
    const xOffset = { field: "series", type: "nominal", scale: { domain: styles.domain, paddingInner: 0.3 } };
    const stroke = byScaleNull("stroke");
    const y = { field: "value", type: "quantitative", title: "Time to ready (ms)", scale: { zero: true } };
    const tooltip = [
      { field: "series", title: "series" },
      { field: "memory", title: "memory (MB)" },
      { field: "marker", title: "marker" },
      { field: "detail", title: "time to ready" },
    ];
    const spread = { filter: "isValid(datum.lo)" };
    return {
      title: { text: runtime, fontSize: 12, subtitle: "" },
      width: PANEL_WIDTH,
      height: PLOT_HEIGHT,
      data: { values: rows },
      layer: [
        ...(rows.some((r) => r.lo !== undefined)
          ? [
              {
                transform: [spread],
                mark: { type: "rule", strokeWidth: 1.2 },
                encoding: { x, xOffset, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, stroke },
              },
              {
                transform: [spread],
                mark: { type: "bar", width: 12, opacity: 0.3 },
                encoding: { x, xOffset, y: { field: "q1", type: "quantitative" }, y2: { field: "q3" }, fill: stroke },
              },
            ]
          : []),
        seriesLegendLayer({ x, xOffset, y }, styles),
        ...markerLayers(rows, { x, xOffset, y, tooltip }, styles),
      ],
    };
  });
  return {
    id: "fig03-time-to-ready",
    title: "Time to ready",
    paperFigure: "Fig. 3",
    caption:
      "Time from the launch command to the first HTTP 200 over every launch of every startup cell: marker = median, box = quartiles, line = min to max. Colour is the platform, shape the knob setting. The paper gives one median per runtime and platform (diamonds beside the run's box, repeated at each level).",
    spec: {
      $schema: SCHEMA,
      config,
      title: { text: "Time to ready", subtitle: "reproduces the paper's Fig. 3" },
      ...plotWithKey(
        { hconcat: panels, resolve: { scale: { y: "independent" } } },
        keyPanel(allRows, PANEL_WIDTH * panels.length, {
          ok: "median (box: quartiles, line: range)",
          flagged: "median of flagged cells",
        }),
      ),
    } as TopLevelSpec,
  };
}
