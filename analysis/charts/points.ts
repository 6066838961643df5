/** The marks every "value per category, one offset per series" chart shares, the series legend and the marker key. */
import { failedCount, REPETITION_METRICS, type RepetitionMetric, type Scenario, scenarioNote } from "../scenarios";
import type { Summary } from "../stats";
import {
  FAILED_COLOR,
  fmt,
  KEY_STYLE,
  MARKERS,
  type Marker,
  markerStyle,
  PAPER_COLOR,
  type Row,
  type SeriesStyles,
} from "./style";

/** The run's value and interval in words, for a tooltip. */
export function summaryText(summary: Summary, unit: string): string {
  const ci =
    summary.ciLow !== null && summary.ciHigh !== null
      ? `95% CI ${fmt(summary.ciLow)} to ${fmt(summary.ciHigh)}`
      : "no CI (one repetition)";
  return `${fmt(summary.mean)} ${unit}, n = ${summary.n}, ${ci}`;
}

/** Mean, interval, marker and tooltip for one scenario and metric; failed scenarios sit at zero. */
export function pointRow(s: Scenario, metric: RepetitionMetric, x: Row, styles: SeriesStyles): Row | null {
  const style = styles.of(s.series);
  const common = { ...x, series: s.series, kind: "point", dash: style.dash };
  if (s.basis === "none") {
    if (failedCount(s) === 0) return null; // skipped: nothing was attempted, nothing to draw
    return { ...common, value: 0, ciLow: null, ciHigh: null, ...markerStyle("failed", style), detail: scenarioNote(s) };
  }
  const summary = s.metrics[metric];
  if (!summary) return null;
  const note = scenarioNote(s);
  return {
    ...common,
    value: summary.mean,
    ciLow: summary.ciLow,
    ciHigh: summary.ciHigh,
    ...markerStyle(s.basis === "flagged" ? "flagged" : "ok", style),
    detail: `${summaryText(summary, REPETITION_METRICS[metric].unit)}${note ? `; ${note}` : ""}`,
  };
}

export function repetitionRows(s: Scenario, metric: RepetitionMetric, x: Row, styles: SeriesStyles): Row[] {
  const values = s.metrics[metric]?.values ?? [];
  if (values.length < 2) return [];
  return values.map((v, i) => ({
    ...x,
    series: s.series,
    kind: "repetition",
    value: v,
    stroke: styles.of(s.series).color,
    detail: `repetition ${i + 1}: ${fmt(v)}`,
  }));
}

/** The paper's value for a cell, drawn beside the run's interval of the same series and labelled with its number. */
export function paperRow(x: Row, series: string, value: number, detail: string): Row {
  return {
    ...x,
    series,
    kind: "point",
    value,
    ciLow: null,
    ciHigh: null,
    ...markerStyle("paper", KEY_STYLE),
    label: fmt(value),
    detail,
  };
}

export const byScaleNull = (field: string) => ({ field, type: "nominal", scale: null });

/** A diagonal cross in Vega's unit square: drawn in red over a failed scenario's hollow marker. */
const FAILED_CROSS = "M-0.7,-0.7L0.7,0.7M-0.7,0.7L0.7,-0.7";

const failedCrossMark = {
  type: "point",
  shape: FAILED_CROSS,
  size: 70,
  stroke: FAILED_COLOR,
  strokeWidth: 2.5,
  opacity: 1,
} as const;

/** The paper's value: a hollow diamond. */
const PAPER_GLYPH = {
  type: "text",
  text: "◇",
  fontSize: 17,
  align: "center",
  baseline: "middle",
  color: PAPER_COLOR,
} as const;

/** Pixels between the run's marker and the paper's diamond beside it. */
const PAPER_BESIDE = 11;

/**
 * The series' colour and shape scales (the legend's): every layer that encodes colour or shape by
 * series uses these very definitions, so Vega-Lite merges them into one legend.
 */
function seriesScales(styles: SeriesStyles) {
  const variants = styles.perPlatform > 1;
  // One platform per row when the row fits under the plot; fewer columns when the labels are long.
  const entry = 42 + textWidth(styles.domain.reduce((a, b) => (b.length > a.length ? b : a), ""));
  const fit = Math.max(1, Math.floor(styles.legendWidth / entry));
  const legend = {
    title: variants ? "platform (colour) and setting (shape)" : "platform",
    columns: Math.min(variants ? styles.perPlatform : styles.domain.length, fit),
  };
  const scale = (range: string[]) => ({ domain: styles.domain, range });
  return {
    color: { field: "series", type: "nominal", scale: scale(styles.colors), legend },
    shape: { field: "series", type: "nominal", scale: scale(styles.shapes), legend },
  };
}

/**
 * The layers that draw each row's marker: the series' shape (its knob setting), with fill and
 * stroke from the row (see markerStyle), so a flagged or failed scenario looks alike everywhere.
 * The paper's diamond sits beside the run's marker, not on it, with its number. `styles` null:
 * a chart without series (the artifact sizes), where only the paper's diamonds are markers.
 */
export function markerLayers(
  rows: readonly Row[],
  encoding: { x: unknown; xOffset?: unknown; y: unknown; tooltip: unknown },
  styles: SeriesStyles | null,
) {
  const has = (status: string) => rows.some((r) => r.status === status);
  const layers: unknown[] = [];
  if (styles && rows.some((r) => r.kind === "point" && r.status !== "paper")) {
    layers.push({
      transform: [{ filter: "datum.kind === 'point' && datum.status !== 'paper'" }],
      mark: { type: "point", strokeWidth: 2, opacity: 1 },
      encoding: {
        ...encoding,
        shape: seriesScales(styles).shape,
        fill: byScaleNull("fill"),
        stroke: byScaleNull("stroke"),
        size: { field: "size", type: "quantitative", scale: null },
      },
    });
  }
  if (has("failed")) {
    layers.push({
      transform: [{ filter: "datum.status === 'failed'" }],
      mark: failedCrossMark,
      encoding: { ...encoding },
    });
  }
  if (!has("paper")) return layers;
  // The diamond is a glyph: a point mark cannot be moved off its xOffset slot, a text mark can (dx).
  layers.push(
    {
      transform: [{ filter: "datum.status === 'paper'" }],
      mark: { ...PAPER_GLYPH, dx: PAPER_BESIDE },
      encoding,
    },
    {
      transform: [{ filter: "datum.status === 'paper'" }],
      mark: {
        type: "text",
        align: "left",
        baseline: "middle",
        dx: PAPER_BESIDE + 9,
        fontSize: 10,
        color: PAPER_COLOR,
      },
      encoding: { ...encoding, text: { field: "label" } },
    },
  );
  return layers;
}

/**
 * The series legend: an invisible layer whose colour and shape scales are the series styles, so
 * the legend shows each series exactly as its markers look. It sits under the plot, one platform
 * per row, so it never takes the plot's width.
 */
export function seriesLegendLayer(encoding: { x: unknown; xOffset?: unknown; y: unknown }, styles: SeriesStyles) {
  return {
    transform: [{ filter: "datum.kind === 'point' && datum.status !== 'paper'" }],
    mark: { type: "point", filled: true, opacity: 0, size: 1 },
    encoding: { ...encoding, ...seriesScales(styles) },
  };
}

/**
 * The layers of a "value per category, one offset per series" chart. Only layers with data are
 * emitted, so an empty layer never widens a scale.
 */
export function pointLayers(
  rows: readonly Row[],
  xField: string,
  xTitle: string,
  xSort: string[],
  yTitle: string,
  styles: SeriesStyles,
  line: boolean,
) {
  const x = { field: xField, type: "ordinal", sort: xSort, title: xTitle, axis: { labelAngle: 0 } };
  const xOffset = { field: "series", type: "nominal", scale: { domain: styles.domain, paddingInner: 0.2 } };
  const yMax = clipDomain(rows);
  // clamp: a paper value far above this run's range is drawn on the top edge and labelled.
  const y = {
    field: "value",
    type: "quantitative",
    title: yTitle,
    scale: yMax ? { domain: [0, yMax], clamp: true, nice: false } : { zero: true },
  };
  // Data colours on the stroke and fill channels, never on `color`: that one belongs to the series legend.
  const stroke = byScaleNull("stroke");
  const tooltip = [
    { field: "series", title: "series" },
    { field: xField, title: xTitle },
    { field: "marker", title: "marker" },
    { field: "detail", title: "value" },
  ];
  const layers: unknown[] = [];
  const measured = "datum.status === 'ok' || datum.status === 'flagged'";
  if (line && rows.some((r) => r.status === "ok" || r.status === "flagged")) {
    layers.push({
      transform: [{ filter: measured }],
      mark: { type: "line", strokeWidth: 1.6, opacity: 0.7 },
      encoding: {
        x,
        xOffset,
        y,
        stroke,
        strokeDash: { field: "dash", type: "nominal", scale: null },
        detail: { field: "series", type: "nominal" },
      },
    });
  }
  if (rows.some((r) => r.ciLow !== null && r.ciLow !== undefined && r.status !== "paper")) {
    const withCi = { filter: "isValid(datum.ciLow) && isValid(datum.ciHigh)" };
    layers.push(
      {
        transform: [withCi],
        mark: { type: "rule", strokeWidth: 1.5 },
        encoding: { x, xOffset, y: { field: "ciLow", type: "quantitative" }, y2: { field: "ciHigh" }, stroke },
      },
      ...(["ciLow", "ciHigh"] as const).map((end) => ({
        transform: [withCi],
        mark: { type: "tick", thickness: 1.5, size: 9, orient: "horizontal" },
        encoding: { x, xOffset, y: { field: end, type: "quantitative" }, stroke, fill: stroke },
      })),
    );
  }
  if (rows.some((r) => r.kind === "repetition")) {
    layers.push({
      transform: [{ filter: "datum.kind === 'repetition'" }],
      mark: { type: "circle", size: 14, opacity: 0.45 },
      encoding: { x, xOffset, y, fill: stroke, tooltip },
    });
  }
  layers.push(seriesLegendLayer({ x, xOffset, y }, styles));
  layers.push(...markerLayers(rows, { x, xOffset, y, tooltip }, styles));
  return layers;
}

/**
 * When the paper's values dwarf this run's (a laptop against the paper's servers), scale the
 * axis to this run and pin the paper's diamonds to the top edge with their value, so the
 * measured differences stay readable. Returns the axis maximum, or undefined for automatic.
 */
function clipDomain(rows: readonly Row[]): number | undefined {
  const paper = rows.filter((r) => r.status === "paper");
  const measured = rows.filter((r) => r.status !== "paper");
  const top = (r: Row) => Math.max(Number(r.value ?? 0), Number(r.ciHigh ?? 0));
  const measuredMax = Math.max(0, ...measured.map(top));
  const paperMax = Math.max(0, ...paper.map(top));
  if (measuredMax <= 0 || paperMax <= 3 * measuredMax) return undefined;
  const yMax = measuredMax * 1.2;
  for (const r of paper) {
    if (Number(r.value) > yMax) r.label = `↑ ${fmt(Number(r.value))}`;
  }
  return yMax;
}

/** Rough width of a key label at 11 px DejaVu Sans, to lay the key out in one row. */
const textWidth = (text: string) => Math.ceil(text.length * 6.2);

/**
 * The marker key under the plot: the same marks, in grey, with their meaning; only the markers
 * the figure uses, in rows no wider than the plot.
 */
export function keyPanel(rows: readonly Row[], width: number, relabel: Partial<Record<Marker, string>> = {}) {
  const present = new Set(rows.map((r) => r.status));
  const entries: Row[] = (Object.keys(MARKERS) as Marker[])
    .filter((k) => present.has(k))
    .map((k) => {
      const style = markerStyle(k, KEY_STYLE);
      return { ...style, marker: relabel[k] ?? String(style.marker), kind: "point" };
    });
  if (rows.some((r) => r.kind === "repetition"))
    entries.push({ status: "repetition", marker: "one repetition", kind: "repetition", stroke: KEY_STYLE.color });
  const values: Row[] = [];
  let x = 8;
  let line = 0;
  for (const entry of entries) {
    const span = 16 + textWidth(String(entry.marker)) + 20;
    if (x > 8 && x + span > width) {
      x = 8;
      line++;
    }
    values.push({ ...entry, x, y: 10 + 20 * line });
    x += span;
  }
  const at = {
    x: { field: "x", type: "quantitative", scale: null },
    y: { field: "y", type: "quantitative", scale: null },
  };
  return {
    width,
    height: 20 * (line + 1),
    view: { stroke: null },
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'repetition'" }],
        mark: { type: "circle", size: 14, opacity: 0.6 },
        encoding: { ...at, fill: byScaleNull("stroke") },
      },
      {
        transform: [{ filter: "datum.kind === 'point' && datum.status !== 'paper'" }],
        mark: { type: "point", strokeWidth: 2, opacity: 1 },
        encoding: {
          ...at,
          shape: byScaleNull("shape"),
          fill: byScaleNull("fill"),
          stroke: byScaleNull("stroke"),
          size: { field: "size", type: "quantitative", scale: null },
        },
      },
      {
        transform: [{ filter: "datum.status === 'failed'" }],
        mark: failedCrossMark,
        encoding: at,
      },
      {
        transform: [{ filter: "datum.status === 'paper'" }],
        mark: PAPER_GLYPH,
        encoding: at,
      },
      {
        mark: { type: "text", align: "left", baseline: "middle", dx: 12, fontSize: 11, color: "#333" },
        encoding: { ...at, text: { field: "marker" } },
      },
    ],
  };
}

/**
 * A figure's plot with the marker key under it. The key's marks set their own shapes; resolving
 * shape and colour apart keeps them out of the plot's scales, so the series legend stays one
 * legend, attached under the plot.
 */
export function plotWithKey(plot: object, key: object) {
  return { vconcat: [plot, key], resolve: { scale: { color: "independent", shape: "independent" } } };
}

export const metricTitle = (metric: RepetitionMetric) =>
  `${REPETITION_METRICS[metric].label} (${REPETITION_METRICS[metric].unit})`;

export const PAPER_METRIC: Partial<Record<RepetitionMetric, string>> = {
  throughputRps: "throughputRps",
  latencyMeanMs: "latencyMeanMs",
  jitterMs: "latencyStddevMs",
};

export const cpuText = (cpus: number) => `${cpus} CPU${cpus > 1 ? "s" : ""}`;
