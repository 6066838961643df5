/**
 * The memory floor figure: one bracket per scenario (runtime x workload x platform x tuning), from
 * the greatest level that failed (a red cross) to the least that served (a dot in the platform's
 * colour), with the paper's lowest level (64 MB) drawn across it. The paper has no such figure: it
 * measured at fixed levels, so it could only say something failed at 64 MB.
 */
import type { TopLevelSpec } from "vega-lite";
import { bracketText, FLOOR_FIGURE, type FloorAnalysis, floorLabel, PAPER_LOWEST_MB } from "../floor";
import { config, FAILED_COLOR, type Figure, KEY_COLOR, PLOT_WIDTH, platformColor, type Row, SCHEMA } from "./style";

const ROW_HEIGHT = 18;

export function floorFigure(f: FloorAnalysis): Figure | null {
  // A search not finished (or stopped by a probe that measured nothing) has no bracket to draw: the table lists it.
  const shown = f.rows.filter((r) => r.bracket.state === "done");
  if (shown.length === 0) return null;
  const rows: Row[] = shown.map((r, order) => ({
    label: floorLabel(r),
    order,
    platform: r.platform,
    serves: r.bracket.servesMB,
    fails: r.bracket.failsMB,
    // A bracket with no failure found reaches down to the axis: the floor is at or under its serving level.
    from: r.bracket.failsMB ?? 0,
    to: r.bracket.servesMB ?? r.bracket.failsMB,
    bracket: bracketText(r.bracket),
  }));
  const platforms = [...new Set(shown.map((r) => r.platform))];
  const color = {
    field: "platform",
    type: "nominal",
    title: "platform",
    scale: { domain: platforms, range: platforms.map((p) => platformColor(p) ?? KEY_COLOR) },
    legend: { columns: platforms.length },
  };
  const y = {
    field: "label",
    type: "nominal",
    title: null,
    sort: { field: "order", order: "ascending" },
    axis: { labelLimit: 480 },
  };
  const top = Math.max(PAPER_LOWEST_MB, ...rows.map((r) => Number(r.to ?? 0)));
  const x = {
    type: "quantitative",
    title: "Memory limit (MB): serves at the dot, fails at the cross",
    scale: { domain: [0, Math.ceil((top * 1.08) / 8) * 8] },
  };
  const tooltip = [{ field: "label", title: "scenario" }, { field: "bracket" }];
  const spec = {
    $schema: SCHEMA,
    config,
    width: PLOT_WIDTH - 320,
    height: Math.max(120, rows.length * ROW_HEIGHT),
    data: { values: rows },
    layer: [
      {
        mark: { type: "rule", strokeWidth: 3, opacity: 0.55 },
        encoding: { y, x: { field: "from", ...x }, x2: { field: "to" }, color, tooltip },
      },
      {
        transform: [{ filter: "datum.serves !== null" }],
        mark: { type: "point", filled: true, size: 70, opacity: 1 },
        encoding: { y, x: { field: "serves", ...x }, color, tooltip },
      },
      {
        transform: [{ filter: "datum.fails !== null" }],
        mark: { type: "point", shape: "cross", size: 60, color: FAILED_COLOR, filled: true, opacity: 1 },
        encoding: { y, x: { field: "fails", ...x }, tooltip },
      },
      {
        data: { values: [{ at: PAPER_LOWEST_MB, text: `the paper's lowest level (${PAPER_LOWEST_MB} MB)` }] },
        layer: [
          {
            mark: { type: "rule", strokeDash: [5, 4], color: "#222", strokeWidth: 1.2 },
            encoding: { x: { field: "at", ...x } },
          },
          {
            mark: { type: "text", align: "left", dx: 4, dy: -6, baseline: "bottom", fontSize: 10, color: "#222" },
            encoding: { x: { field: "at", ...x }, y: { value: 0 }, text: { field: "text" } },
          },
        ],
      },
    ],
  } as unknown as TopLevelSpec;
  return {
    id: FLOOR_FIGURE,
    title: "The memory floor: the least memory that serves the load, per runtime, workload and platform",
    paperFigure: "fixed levels, 2048 to 64 MB: it has no floor figure",
    caption:
      `Each bracket runs from the greatest level that failed (red cross) to the least that served the whole load ` +
      `with no failed request (dot), found by bisection to ${f.resolutionMB} MB. A bracket down to 0 found no failure ` +
      `down to the lowest level tried. The dashed line is the paper's lowest level.`,
    spec,
  };
}
