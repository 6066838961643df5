/**
 * The look shared by every figure of the report (the paper's figures as Vega-Lite specs, pure data, no
 * rendering): the same fonts, units in every axis title, and one encoding for every series:
 * - colour is the platform, from the registry's order, so a platform has the same colour in every
 *   figure of every report (and a platform added to the registry gets the next one);
 * - shape (and, on the sweeps' lines, dash) is the knob setting: a filled circle on a solid line
 *   is the paper's settings, each knob variant has its own shape and dash;
 * - fill is the status: filled = mean of clean repetitions with its 95% CI, hollow = mean of
 *   flagged cells, hollow with a red cross at zero = no repetition finished ok;
 * - a hollow black diamond is the paper's published value, drawn beside the run's interval for
 *   the same cell and labelled with its number.
 *
 * Marker shape and colours are computed here and passed as data with `scale: null`: Vega-Lite
 * merges conditional encodings into one legend in ways that hide what a marker means. One
 * invisible layer carries the series legend (colour and shape scales), placed under the plot so
 * it never takes the plot's width; the marker key is a row of its own under that.
 */
import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { knobCatalogue } from "../../lab/platforms/knobs";
import { allPlatforms, platformNames } from "../../lab/platforms/registry";
import { allRuntimes } from "../../workloads/runtimes/registry";
import { platformRank, type Scenario } from "../scenarios";

export interface Figure {
  /** File name stem, e.g. fig05-go-io-throughput. */
  id: string;
  title: string;
  /** Which figure of the paper this reproduces. */
  paperFigure: string;
  caption: string;
  spec: TopLevelSpec;
}

/** A one-panel plot's width and height in px: the plot takes the figure's width, legends go under it. */
export const PLOT_WIDTH = 760;
export const PLOT_HEIGHT = 320;
/** One of two panels side by side (Figs. 3, 4 and 9). */
export const PANEL_WIDTH = 380;

export const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** One colour per registered platform, in registry order, so a platform looks the same in every report. */
const PLATFORM_PALETTE = ["#2ca02c", "#1f77b4", "#d95f02", "#7570b3", "#e7298a", "#a6761d", "#17becf", "#bcbd22"];
/** For a platform the registry does not know (a results folder from an older lab). */
const UNKNOWN_PLATFORM_COLORS = ["#666666", "#8c564b", "#66a61e"];

/** The colour of a registered platform; undefined for a name the registry does not know. */
export function platformColor(name: string): string | undefined {
  const index = platformNames().indexOf(name);
  return index === -1 ? undefined : PLATFORM_PALETTE[index % PLATFORM_PALETTE.length];
}
export const FAILED_COLOR = "#d62728";
export const PAPER_COLOR = "#222222";
export const KEY_COLOR = "#555555";

/**
 * Shapes of the knob settings: the paper's settings first. The diamond (the paper's value) and
 * the cross (a failure) are never a series shape.
 */
const SETTING_SHAPES = ["circle", "square", "triangle-up", "triangle-down", "triangle-right", "triangle-left"];
/** Line dashes in the same order: solid for the paper's settings. */
const SETTING_DASHES: number[][] = [[], [7, 3], [2, 2], [9, 3, 2, 3], [4, 4], [1, 3]];

export const MARKERS = {
  ok: "mean ± 95% CI",
  flagged: "mean of flagged cells",
  failed: "no ok repetition (drawn at 0)",
  paper: "the paper's value",
} as const;
export type Marker = keyof typeof MARKERS;
const PAPER_SHAPE = "diamond";

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
    titleLimit: 600,
    symbolOpacity: 1,
    symbolSize: 90,
    symbolStrokeWidth: 0,
    orient: "bottom",
    direction: "horizontal",
    columnPadding: 18,
    rowPadding: 6,
    offset: 14,
  },
  view: { stroke: "#ddd" },
  concat: { spacing: 16 },
} as const;

/** How one series is drawn: its platform's colour, and the shape and dash of its knob setting. */
export interface SeriesStyle {
  color: string;
  shape: string;
  dash: number[];
}

export interface SeriesStyles {
  /** The series in legend order: by platform (registry order), then the paper's settings first. */
  domain: string[];
  colors: string[];
  shapes: string[];
  /** How many series the platform with the most has: the legend's columns, one platform per row. */
  perPlatform: number;
  /** The plot's width, px: the legend under it takes no more. */
  legendWidth: number;
  of: (series: string) => SeriesStyle;
}

/**
 * Every non-default knob value, the runtime knobs first (the ones profiles vary most), then the
 * catalogue's order: a setting's place here is its shape and dash, in every report.
 */
function settingOrder(): string[] {
  const knobs = [...knobCatalogue(allPlatforms())];
  const runtimeKnobs = new Set(allRuntimes().flatMap((runtime) => Object.keys(runtime.knobs)));
  const runtimeFirst = [
    ...knobs.filter(([name]) => runtimeKnobs.has(name)),
    ...knobs.filter(([name]) => !runtimeKnobs.has(name)),
  ];
  return runtimeFirst.flatMap(([name, { spec }]) =>
    spec.values.filter((v) => v !== spec.default).map((v) => `${name}=${v}`),
  );
}

/** 0 for the paper's settings, else 1 + the place of the first knob it changes. */
function settingRank(knobs: Readonly<Record<string, string>>, order: readonly string[]): number {
  const catalogue = knobCatalogue(allPlatforms());
  const changed = Object.entries(knobs)
    .filter(([name, value]) => {
      const known = catalogue.get(name);
      return known !== undefined && known.spec.default !== value;
    })
    .map(([name, value]) => order.indexOf(`${name}=${value}`))
    .filter((i) => i >= 0);
  return changed.length === 0 ? 0 : 1 + Math.min(...changed);
}

/**
 * The style of every series in a figure. Colour: the platform. Shape and dash: the knob setting,
 * from the catalogue's order so a variant looks the same in every figure; where two series of one
 * platform would still look alike (runs merged from different revisions), the later one takes the
 * next free shape, so no two series of a figure are drawn the same.
 */
export function seriesStyles(scenarios: readonly Scenario[], legendWidth: number): SeriesStyles {
  const order = settingOrder();
  const bySeries = new Map<string, { platform: string; rank: number }>();
  for (const s of scenarios) {
    const rank = settingRank(s.spec.knobs, order);
    const known = bySeries.get(s.series);
    if (!known || rank < known.rank) bySeries.set(s.series, { platform: s.spec.platform, rank });
  }
  const domain = [...bySeries.keys()].sort((a, b) => {
    const x = bySeries.get(a);
    const y = bySeries.get(b);
    return (
      platformRank(x?.platform ?? a) - platformRank(y?.platform ?? b) ||
      (x?.platform ?? a).localeCompare(y?.platform ?? b) ||
      (x?.rank ?? 0) - (y?.rank ?? 0) ||
      a.localeCompare(b)
    );
  });
  const unknown = [...new Set(domain.map((d) => bySeries.get(d)?.platform ?? d))].filter(
    (p) => platformColor(p) === undefined,
  );
  const colorOf = (platform: string) =>
    platformColor(platform) ??
    UNKNOWN_PLATFORM_COLORS[unknown.indexOf(platform) % UNKNOWN_PLATFORM_COLORS.length] ??
    KEY_COLOR;
  const styles = new Map<string, SeriesStyle>();
  const taken = new Map<string, Set<number>>();
  for (const series of domain) {
    const { platform, rank } = bySeries.get(series) ?? { platform: series, rank: 0 };
    const color = colorOf(platform);
    const used = taken.get(color) ?? new Set<number>();
    let slot = rank % SETTING_SHAPES.length;
    for (let i = 0; used.has(slot) && i < SETTING_SHAPES.length; i++) slot = (slot + 1) % SETTING_SHAPES.length;
    used.add(slot);
    taken.set(color, used);
    styles.set(series, { color, shape: SETTING_SHAPES[slot] ?? "circle", dash: SETTING_DASHES[slot] ?? [] });
  }
  const counts = new Map<string, number>();
  for (const d of domain) {
    const p = bySeries.get(d)?.platform ?? d;
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const fallback: SeriesStyle = { color: KEY_COLOR, shape: "circle", dash: [] };
  const of = (series: string) => styles.get(series) ?? fallback;
  return {
    domain,
    colors: domain.map((d) => of(d).color),
    shapes: domain.map((d) => of(d).shape),
    perPlatform: Math.max(1, ...counts.values()),
    legendWidth,
    of,
  };
}

/** One datum of a figure; `dash` (a line's dash pattern) is the only array. */
export type Row = Record<string, string | number | boolean | null | number[]>;

/** How a marker is drawn, in the series' style (or the key's grey). */
export function markerStyle(marker: Marker, style: SeriesStyle): Row {
  switch (marker) {
    case "ok":
      return { status: "ok", marker: MARKERS.ok, shape: style.shape, fill: style.color, stroke: style.color, size: 80 };
    case "flagged":
      return {
        status: "flagged",
        marker: MARKERS.flagged,
        shape: style.shape,
        fill: "white",
        stroke: style.color,
        size: 80,
      };
    case "failed":
      // Hollow in the series' own shape and colour (so the reader sees whose), crossed in red (points.ts).
      return {
        status: "failed",
        marker: MARKERS.failed,
        shape: style.shape,
        fill: "white",
        stroke: style.color,
        size: 110,
      };
    case "paper":
      // Drawn as a ◇ glyph beside the run's marker (points.ts); the shape stands for tooltips and the tidy rows.
      return {
        status: "paper",
        marker: MARKERS.paper,
        shape: PAPER_SHAPE,
        fill: "white",
        stroke: PAPER_COLOR,
        size: 110,
      };
  }
}

/** The grey style of the marker key. */
export const KEY_STYLE: SeriesStyle = { color: KEY_COLOR, shape: "circle", dash: [] };

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
