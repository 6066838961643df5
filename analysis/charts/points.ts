/** The marks every "value per category, one offset per platform" chart shares, and the marker key. */
import { failedCount, REPETITION_METRICS, type RepetitionMetric, type Scenario, scenarioNote } from "../scenarios";
import {
  fmt,
  KEY_COLOR,
  MARKER_SHAPES,
  MARKERS,
  type Marker,
  markerStyle,
  PAPER_COLOR,
  type Row,
  type SeriesColors,
} from "./style";

/** Mean, interval, marker and tooltip for one scenario and metric; failed scenarios sit at zero. */
export function pointRow(s: Scenario, metric: RepetitionMetric, x: Row, colors: SeriesColors): Row | null {
  const color = colors.of(s.series);
  if (s.basis === "none") {
    if (failedCount(s) === 0) return null; // skipped: nothing was attempted, nothing to draw
    return {
      ...x,
      series: s.series,
      kind: "point",
      value: 0,
      ciLow: null,
      ciHigh: null,
      ...markerStyle("failed", color),
      detail: scenarioNote(s),
    };
  }
  const summary = s.metrics[metric];
  if (!summary) return null;
  const ci =
    summary.ciLow !== null && summary.ciHigh !== null
      ? `95% CI ${fmt(summary.ciLow)} to ${fmt(summary.ciHigh)}`
      : "no CI (one repetition)";
  const note = scenarioNote(s);
  return {
    ...x,
    series: s.series,
    kind: "point",
    value: summary.mean,
    ciLow: summary.ciLow,
    ciHigh: summary.ciHigh,
    ...markerStyle(s.basis === "flagged" ? "flagged" : "ok", color),
    detail: `${fmt(summary.mean)} ${REPETITION_METRICS[metric].unit}, n = ${summary.n}, ${ci}${note ? `; ${note}` : ""}`,
  };
}

export function repetitionRows(s: Scenario, metric: RepetitionMetric, x: Row): Row[] {
  const values = s.metrics[metric]?.values ?? [];
  if (values.length < 2) return [];
  return values.map((v, i) => ({
    ...x,
    series: s.series,
    kind: "repetition",
    value: v,
    detail: `repetition ${i + 1}: ${fmt(v)}`,
  }));
}

export function paperRow(x: Row, series: string, value: number, detail: string): Row {
  return {
    ...x,
    series,
    kind: "point",
    value,
    ciLow: null,
    ciHigh: null,
    ...markerStyle("paper", PAPER_COLOR),
    detail,
  };
}

export const byScaleNull = (field: string) => ({ field, type: "nominal", scale: null });

/**
 * The layer that draws each row's own marker (shape, fill, stroke and size come from the row, see
 * markerStyle): the same in every figure, so a flagged or failed scenario looks alike everywhere.
 */
export function markerLayer(encoding: { x: unknown; xOffset: unknown; y: unknown; tooltip: unknown }) {
  return {
    transform: [{ filter: "datum.kind === 'point'" }],
    mark: { type: "point" as const, strokeWidth: 2, opacity: 1 },
    encoding: {
      ...encoding,
      shape: byScaleNull("shape"),
      fill: byScaleNull("fill"),
      stroke: byScaleNull("stroke"),
      size: { field: "size", type: "quantitative", scale: null },
    },
  };
}

/** Marks are drawn in data order: the paper's diamonds first, so measured markers sit on top. */
export function paperFirst(rows: Row[]): Row[] {
  const isPaper = (r: Row) => (r.shape === MARKER_SHAPES.paper ? 0 : 1);
  return [...rows].sort((a, b) => isPaper(a) - isPaper(b));
}

/**
 * The layers of a "value per category, one offset per platform" chart. Only layers with data are
 * emitted, so an empty layer never widens a scale.
 */
export function pointLayers(
  rows: readonly Row[],
  xField: string,
  xTitle: string,
  xSort: string[],
  yTitle: string,
  colors: SeriesColors,
  line: boolean,
) {
  const x = { field: xField, type: "ordinal", sort: xSort, title: xTitle, axis: { labelAngle: 0 } };
  const xOffset = { field: "series", type: "nominal", scale: { domain: colors.domain, paddingInner: 0.2 } };
  const yMax = clipDomain(rows);
  // clamp: a paper value far above this run's range is drawn on the top edge and labelled.
  const y = {
    field: "value",
    type: "quantitative",
    title: yTitle,
    scale: yMax ? { domain: [0, yMax], clamp: true, nice: false } : { zero: true },
  };
  const color = {
    field: "series",
    type: "nominal",
    title: "platform",
    scale: { domain: colors.domain, range: colors.range },
  };
  const tooltip = [
    { field: "series", title: "platform" },
    { field: xField, title: xTitle },
    { field: "marker", title: "marker" },
    { field: "detail", title: "value" },
  ];
  const measuredPoints = rows.filter(
    (r) => r.kind === "point" && r.marker !== MARKERS.paper && r.marker !== MARKERS.failed,
  );
  const layers: unknown[] = [];
  // Shapes, not marker texts, in expressions: the texts contain apostrophes.
  const measured = `datum.kind === 'point' && datum.shape !== '${MARKER_SHAPES.paper}' && datum.shape !== '${MARKER_SHAPES.failed}'`;
  if (line && measuredPoints.length > 0) {
    layers.push({
      transform: [{ filter: measured }],
      mark: { type: "line", strokeWidth: 1.5, opacity: 0.6 },
      encoding: { x, xOffset, y, color },
    });
  }
  if (rows.some((r) => r.ciLow !== null && r.ciLow !== undefined)) {
    const withCi = { filter: "isValid(datum.ciLow) && isValid(datum.ciHigh)" };
    layers.push(
      {
        transform: [withCi],
        mark: { type: "rule", strokeWidth: 1.5 },
        encoding: { x, xOffset, y: { field: "ciLow", type: "quantitative" }, y2: { field: "ciHigh" }, color },
      },
      ...(["ciLow", "ciHigh"] as const).map((end) => ({
        transform: [withCi],
        mark: { type: "tick", thickness: 1.5, size: 9, orient: "horizontal" },
        encoding: { x, xOffset, y: { field: end, type: "quantitative" }, color },
      })),
    );
  }
  if (rows.some((r) => r.kind === "repetition")) {
    layers.push({
      transform: [{ filter: "datum.kind === 'repetition'" }],
      mark: { type: "circle", size: 14, opacity: 0.4 },
      encoding: { x, xOffset, y, color, tooltip },
    });
  }
  // Carries the platform legend (filled circles in the platform colours); draws nothing itself.
  layers.push({
    transform: [{ filter: "datum.kind === 'point'" }],
    mark: { type: "circle", opacity: 0, size: 1 },
    encoding: { x, xOffset, y, color },
  });
  layers.push(markerLayer({ x, xOffset, y, tooltip }));
  if (rows.some((r) => r.clipped)) {
    layers.push({
      transform: [{ filter: "datum.clipped === true" }],
      mark: { type: "text", dy: 16, fontSize: 10, color: PAPER_COLOR },
      encoding: { x, xOffset, y, text: { field: "clippedLabel" } },
    });
  }
  return layers;
}

/**
 * When the paper's values dwarf this run's (a laptop against the paper's servers), scale the
 * axis to this run and pin the paper's diamonds to the top edge with their value, so the
 * measured differences stay readable. Returns the axis maximum, or undefined for automatic.
 */
function clipDomain(rows: readonly Row[]): number | undefined {
  const paper = rows.filter((r) => r.shape === MARKER_SHAPES.paper);
  const measured = rows.filter((r) => r.shape !== MARKER_SHAPES.paper);
  const top = (r: Row) => Math.max(Number(r.value ?? 0), Number(r.ciHigh ?? 0));
  const measuredMax = Math.max(0, ...measured.map(top));
  const paperMax = Math.max(0, ...paper.map(top));
  if (measuredMax <= 0 || paperMax <= 3 * measuredMax) return undefined;
  const yMax = measuredMax * 1.2;
  for (const r of paper) {
    if (Number(r.value) > yMax) {
      r.clipped = true;
      r.clippedLabel = `↑ ${fmt(Number(r.value))}`;
    }
  }
  return yMax;
}

/** The marker key as a small chart: the same marks, in grey, with their meaning. */
export function keyPanel(rows: readonly Row[], relabel: Partial<Record<Marker, string>> = {}) {
  const present = new Set(rows.map((r) => r.marker));
  const keys = (Object.keys(MARKERS) as Marker[]).filter((k) => present.has(MARKERS[k]));
  const values = keys.map((k, i) => ({
    i,
    ...markerStyle(k, KEY_COLOR),
    ...(relabel[k] ? { marker: relabel[k] } : {}),
  }));
  const y = { field: "i", type: "ordinal", axis: null };
  return {
    title: { text: "marker", fontSize: 11, fontWeight: "bold", anchor: "start", subtitle: "" },
    width: 210,
    height: 20 * Math.max(1, keys.length),
    view: { stroke: null },
    data: { values },
    layer: [
      {
        mark: { type: "point", strokeWidth: 2, opacity: 1 },
        encoding: {
          x: { value: 8 },
          y,
          shape: byScaleNull("shape"),
          fill: byScaleNull("fill"),
          stroke: byScaleNull("stroke"),
          size: { field: "size", type: "quantitative", scale: null },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 14, fontSize: 11 },
        encoding: { x: { value: 8 }, y, text: { field: "marker" } },
      },
    ],
  };
}

export const metricTitle = (metric: RepetitionMetric) =>
  `${REPETITION_METRICS[metric].label} (${REPETITION_METRICS[metric].unit})`;

export const PAPER_METRIC: Partial<Record<RepetitionMetric, string>> = {
  throughputRps: "throughputRps",
  latencyMeanMs: "latencyMeanMs",
  jitterMs: "latencyStddevMs",
};

export const cpuText = (cpus: number) => `${cpus} CPU${cpus > 1 ? "s" : ""}`;
