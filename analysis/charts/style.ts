/**
 * The look shared by every figure of the report (the paper's figures as Vega-Lite specs, pure data, no
 * rendering): the same fonts, the same colour per platform, units in every axis title, and the same marker
 * key beside each chart: a filled circle is a mean of clean repetitions with its 95% CI, a
 * hollow triangle a mean from flagged cells, a red cross a scenario where no repetition
 * finished ok (drawn at zero), a hollow diamond the paper's published value.
 *
 * Marker shape and colours are computed here and passed as data with `scale: null`: Vega-Lite
 * merges conditional encodings into one legend in ways that hide what a marker means, so the
 * key is drawn as a small chart of its own, with exactly the marks the figure uses.
 */
import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { platformNames } from "../../lab/platforms/registry";
import { platformRank } from "../scenarios";

export interface Figure {
  /** File name stem, e.g. fig05-go-io-throughput. */
  id: string;
  title: string;
  /** Which figure of the paper this reproduces. */
  paperFigure: string;
  caption: string;
  spec: TopLevelSpec;
}

export const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** One colour per registered platform, in registry order, so a platform looks the same in every report. */
const PLATFORM_PALETTE = ["#2ca02c", "#1f77b4", "#d95f02", "#7570b3", "#e7298a", "#a6761d", "#17becf", "#bcbd22"];
const EXTRA_COLORS = ["#66a61e", "#666666", "#8c564b"];

/** The colour of a registered platform; undefined for anything else (a series with a variant, an unknown name). */
export function platformColor(name: string): string | undefined {
  const index = platformNames().indexOf(name);
  return index === -1 ? undefined : PLATFORM_PALETTE[index % PLATFORM_PALETTE.length];
}
export const FAILED_COLOR = "#d62728";
export const PAPER_COLOR = "#222222";
export const KEY_COLOR = "#555555";

export const MARKERS = {
  ok: "mean ± 95% CI (ok repetitions)",
  flagged: "mean of flagged cells",
  failed: "no ok repetition (oom/crash/timeout)",
  paper: "the paper's value",
} as const;
export type Marker = keyof typeof MARKERS;
export const MARKER_SHAPES: Record<Marker, string> = {
  ok: "circle",
  flagged: "triangle-up",
  failed: "cross",
  paper: "diamond",
};

export const config = {
  font: FONT,
  background: "white",
  padding: 8,
  title: { fontSize: 14, anchor: "start", subtitleFontSize: 11, subtitleColor: "#555", offset: 10 },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    gridColor: "#e6e6e6",
    domainColor: "#888",
    tickColor: "#888",
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: "bold",
    labelLimit: 400,
    symbolType: "circle",
    symbolOpacity: 1,
    orient: "top",
    direction: "horizontal",
    symbolStrokeWidth: 0,
  },
  view: { stroke: "#ddd" },
  concat: { spacing: 16 },
} as const;

export interface SeriesColors {
  domain: string[];
  range: string[];
  of: (series: string) => string;
}

/** A fixed colour per series, so one platform looks the same in every figure. */
export function seriesColors(series: readonly string[]): SeriesColors {
  const domain = [...new Set(series)].sort(
    (a, b) => platformRank(a.split(" ")[0] ?? a) - platformRank(b.split(" ")[0] ?? b) || a.localeCompare(b),
  );
  let extra = 0;
  const range = domain.map((s) => platformColor(s) ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length] ?? KEY_COLOR);
  return { domain, range, of: (s) => range[domain.indexOf(s)] ?? KEY_COLOR };
}

export type Row = Record<string, string | number | boolean | null>;

/** How a marker is drawn; `color` is the platform colour (or the key's grey). */
export function markerStyle(marker: Marker, color: string): Row {
  switch (marker) {
    case "ok":
      return { marker: MARKERS.ok, shape: MARKER_SHAPES.ok, fill: color, stroke: color, size: 75 };
    case "flagged":
      return { marker: MARKERS.flagged, shape: MARKER_SHAPES.flagged, fill: "white", stroke: color, size: 75 };
    case "failed":
      return {
        marker: MARKERS.failed,
        shape: MARKER_SHAPES.failed,
        fill: FAILED_COLOR,
        stroke: FAILED_COLOR,
        size: 75,
      };
    case "paper":
      // Larger and drawn first: it frames a measured marker at the same place instead of hiding it.
      return { marker: MARKERS.paper, shape: MARKER_SHAPES.paper, fill: "transparent", stroke: PAPER_COLOR, size: 170 };
  }
}

export function paperValue(
  reference: PaperReference,
  metric: string,
  runtime: string,
  platform: string,
  workload: string,
  cpus?: number,
  memoryMB?: number,
) {
  return reference.measurements.find(
    (m) =>
      m.metric === metric &&
      m.runtime === runtime &&
      m.platform === platform &&
      m.workload === workload &&
      m.cpus === cpus &&
      m.memoryMB === memoryMB,
  );
}

export const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(3));
