/**
 * The paper's figures as Vega-Lite specs (pure data, no rendering). One look for every figure:
 * the same fonts, the same colour per platform, units in every axis title, and the same marker
 * key: a filled circle is a mean of clean repetitions with its 95% CI, a hollow triangle a mean
 * from flagged cells, a red cross a scenario where no repetition finished ok, a hollow diamond
 * the paper's published value.
 */
import type { TopLevelSpec } from "vega-lite";
import { ARTIFACT_KIND_LABELS, type ArtifactSize } from "./artifacts";
import type { PaperReference } from "./paperReference";
import { failedCount, platformRank, REPETITION_METRICS, type Scenario, scenarioNote } from "./scenarios";

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

const PLATFORM_COLORS: Record<string, string> = { docker: "#1f77b4", nanos: "#d95f02", native: "#2ca02c" };
const EXTRA_COLORS = ["#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666"];
const FAILED_COLOR = "#d62728";
const PAPER_COLOR = "#222222";

export const MARKERS = {
  ok: "mean ± 95% CI",
  flagged: "flagged cells (see tables)",
  failed: "no ok repetition (oom/crash/timeout)",
  paper: "paper's value",
} as const;
const MARKER_SHAPES = { ok: "circle", flagged: "triangle-up", failed: "cross", paper: "diamond" } as const;

const config = {
  font: FONT,
  background: "white",
  padding: 8,
  title: { fontSize: 14, anchor: "start", subtitleFontSize: 11, subtitleColor: "#555", offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#e6e6e6", domainColor: "#888", tickColor: "#888" },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "bold", symbolStrokeWidth: 1.5, labelLimit: 260 },
  view: { stroke: "#ddd" },
  header: { labelFontSize: 12, titleFontSize: 12 },
} as const;

/** A fixed colour per series, so one platform looks the same in every figure. */
export function seriesColors(series: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(series)].sort(
    (a, b) => platformRank(a.split(" ")[0] ?? a) - platformRank(b.split(" ")[0] ?? b) || a.localeCompare(b),
  );
  let extra = 0;
  const range = domain.map((s) => (s in PLATFORM_COLORS ? (PLATFORM_COLORS[s] ?? "#000") : (EXTRA_COLORS[extra++ % EXTRA_COLORS.length] ?? "#000")));
  return { domain, range };
}

const markerScale = (present: readonly (keyof typeof MARKERS)[]) => {
  const keys = (Object.keys(MARKERS) as (keyof typeof MARKERS)[]).filter((k) => present.includes(k));
  return { domain: keys.map((k) => MARKERS[k]), range: keys.map((k) => MARKER_SHAPES[k]) };
};

type Row = Record<string, string | number | null>;

function paperValue(reference: PaperReference, metric: string, runtime: string, platform: string, workload: string, cpus?: number, memoryMB?: number) {
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

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toPrecision(3));

/** Mean, interval, marker and tooltip for one scenario and metric; failed scenarios sit at zero. */
function pointRow(s: Scenario, metric: keyof typeof REPETITION_METRICS, x: Row): Row | null {
  const summary = s.metrics[metric];
  if (s.basis === "none") {
    if (failedCount(s) === 0) return null; // skipped: nothing was attempted, nothing to draw
    return { ...x, series: s.series, value: 0, ciLow: null, ciHigh: null, marker: MARKERS.failed, detail: scenarioNote(s) };
  }
  if (!summary) return null;
  const ci = summary.ciLow !== null && summary.ciHigh !== null ? `95% CI ${fmt(summary.ciLow)}-${fmt(summary.ciHigh)}` : "no CI (n = 1)";
  return {
    ...x,
    series: s.series,
    value: summary.mean,
    ciLow: summary.ciLow,
    ciHigh: summary.ciHigh,
    marker: s.basis === "flagged" ? MARKERS.flagged : MARKERS.ok,
    detail: `${fmt(summary.mean)} ${REPETITION_METRICS[metric].unit}, n = ${summary.n}, ${ci}${scenarioNote(s) ? `; ${scenarioNote(s)}` : ""}`,
  };
}

/** Layers shared by every "value per category with CI" chart. */
function pointLayers(xField: string, xTitle: string, xSort: string[], yTitle: string, colors: { domain: string[]; range: string[] }, markers: (keyof typeof MARKERS)[], line: boolean) {
  const x = { field: xField, type: "ordinal" as const, sort: xSort, title: xTitle, axis: { labelAngle: 0 } };
  const xOffset = { field: "series", type: "nominal" as const, scale: { domain: colors.domain, paddingInner: 0.25 } };
  const color = { field: "series", type: "nominal" as const, title: "platform", scale: colors };
  const y = { field: "value", type: "quantitative" as const, title: yTitle, scale: { zero: true } };
  const tooltip = [
    { field: "series", title: "platform" },
    { field: xField, title: xTitle },
    { field: "detail", title: "value" },
  ];
  const measured = { filter: `datum.kind === 'measured'` };
  const layers: unknown[] = [];
  if (line) {
    layers.push({
      transform: [measured, { filter: `datum.marker !== '${MARKERS.failed}'` }],
      mark: { type: "line", strokeWidth: 1.5, opacity: 0.7 },
      encoding: { x, xOffset, y, color: { ...color, legend: null } },
    });
  }
  layers.push(
    {
      transform: [measured, { filter: "datum.ciLow !== null" }],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x, xOffset, y: { field: "ciLow", type: "quantitative" }, y2: { field: "ciHigh" }, color: { ...color, legend: null } },
    },
    {
      transform: [measured, { filter: "datum.ciLow !== null" }],
      mark: { type: "tick", thickness: 1.5, size: 8, orient: "horizontal" },
      encoding: { x, xOffset, y: { field: "ciLow", type: "quantitative" }, color: { ...color, legend: null } },
    },
    {
      transform: [measured, { filter: "datum.ciHigh !== null" }],
      mark: { type: "tick", thickness: 1.5, size: 8, orient: "horizontal" },
      encoding: { x, xOffset, y: { field: "ciHigh", type: "quantitative" }, color: { ...color, legend: null } },
    },
    {
      transform: [{ filter: `datum.kind === 'repetition'` }],
      mark: { type: "circle", size: 14, opacity: 0.45 },
      encoding: { x, xOffset, y, color: { ...color, legend: null }, tooltip },
    },
    {
      transform: [measured],
      mark: { type: "point", size: 70, strokeWidth: 2, opacity: 1 },
      encoding: {
        x,
        xOffset,
        y,
        shape: { field: "marker", type: "nominal", title: "marker", scale: markerScale(markers) },
        color,
        fill: {
          condition: { test: `datum.marker === '${MARKERS.ok}'`, field: "series", type: "nominal", scale: colors, legend: null },
          value: "white",
        },
        stroke: {
          condition: { test: `datum.marker === '${MARKERS.failed}'`, value: FAILED_COLOR },
          field: "series",
          type: "nominal",
          scale: colors,
          legend: null,
        },
        tooltip,
      },
    },
    {
      transform: [{ filter: `datum.kind === 'paper'` }],
      mark: { type: "point", shape: "diamond", size: 90, filled: false, strokeWidth: 1.5, color: PAPER_COLOR },
      encoding: { x, xOffset, y, tooltip },
    },
  );
  return layers;
}

function repetitionRows(s: Scenario, metric: keyof typeof REPETITION_METRICS, x: Row): Row[] {
  const values = s.metrics[metric]?.values ?? [];
  if (values.length < 2) return [];
  return values.map((v, i) => ({ ...x, series: s.series, value: v, kind: "repetition", detail: `repetition ${i + 1}: ${fmt(v)}` }));
}

const metricTitle = (metric: keyof typeof REPETITION_METRICS) => `${REPETITION_METRICS[metric].label} (${REPETITION_METRICS[metric].unit})`;

const PAPER_METRIC: Partial<Record<keyof typeof REPETITION_METRICS, string>> = {
  throughputRps: "throughputRps",
  latencyMeanMs: "latencyMeanMs",
  jitterMs: "latencyStddevMs",
};

function presentMarkers(rows: readonly Row[]): (keyof typeof MARKERS)[] {
  const markers = new Set(rows.map((r) => r.marker));
  const out = (Object.keys(MARKERS) as (keyof typeof MARKERS)[]).filter((k) => markers.has(MARKERS[k]));
  if (rows.some((r) => r.kind === "paper")) out.push("paper");
  return [...new Set(out)];
}

/** Figs. 5-8 and 10-13: one metric against the memory limit, both platforms, at one CPU count. */
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
  const levels = [...new Set(scenarios.map((s) => s.spec.memoryMB))].sort((a, b) => b - a).map(String);
  const rows: Row[] = [];
  for (const s of scenarios) {
    const x = { memory: String(s.spec.memoryMB) };
    const point = pointRow(s, metric, x);
    if (point) rows.push({ ...point, kind: "measured" });
    rows.push(...repetitionRows(s, metric, x));
  }
  if (!rows.some((r) => r.kind === "measured")) return null;
  const paperMetric = PAPER_METRIC[metric];
  for (const platform of new Set(scenarios.map((s) => s.spec.platform))) {
    for (const level of levels) {
      const p = paperMetric && paperValue(reference, paperMetric, runtime, platform, workload, cpus, Number(level));
      const series = scenarios.find((s) => s.spec.platform === platform)?.series ?? platform;
      if (p) rows.push({ memory: level, series, value: p.value, kind: "paper", detail: `paper: ${fmt(p.value)}${p.approximate ? " (approximate)" : ""} (${p.section})` });
    }
  }
  const colors = seriesColors(scenarios.map((s) => s.series));
  const title = `${REPETITION_METRICS[metric].label}: ${runtime} ${workload}, ${cpus} CPU${cpus > 1 ? "s" : ""}`;
  return {
    id,
    title,
    paperFigure,
    caption: `${metricTitle(metric)} against the memory limit for ${runtime} (${workload}) at ${cpus} CPU${cpus > 1 ? "s" : ""}, per platform: mean over ok repetitions with its 95% Student-t confidence interval; small dots are single repetitions.`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config,
      title: { text: title, subtitle: `reproduces the paper's ${paperFigure}` },
      width: 460,
      height: 280,
      data: { values: rows },
      layer: pointLayers("memory", "Memory limit (MB)", levels, metricTitle(metric), colors, presentMarkers(rows), true),
    } as TopLevelSpec,
  };
}

/** Figs. 4 and 9: the resource-rich scenario, throughput and mean latency per runtime and platform. */
export function richFigure(id: string, paperFigure: string, scenarios: readonly Scenario[], reference: PaperReference): Figure | null {
  const first = scenarios[0];
  if (!first) return null;
  const { workload, cpus, memoryMB } = first.spec;
  const runtimes = [...new Set(scenarios.map((s) => s.spec.runtime))].sort();
  const colors = seriesColors(scenarios.map((s) => s.series));
  const panels = (["throughputRps", "latencyMeanMs"] as const).map((metric) => {
    const rows: Row[] = [];
    for (const s of scenarios) {
      const x = { runtime: s.spec.runtime };
      const point = pointRow(s, metric, x);
      if (point) rows.push({ ...point, kind: "measured" });
      rows.push(...repetitionRows(s, metric, x));
      const p = paperValue(reference, metric, s.spec.runtime, s.spec.platform, workload, cpus, memoryMB);
      if (p) rows.push({ runtime: s.spec.runtime, series: s.series, value: p.value, kind: "paper", detail: `paper: ${fmt(p.value)} (${p.section})` });
    }
    return {
      width: 260,
      height: 260,
      data: { values: rows },
      layer: pointLayers("runtime", "Runtime", runtimes, metricTitle(metric), colors, presentMarkers(rows), false),
    };
  });
  const title = `Resource-rich (${cpus} CPUs, ${memoryMB} MB): ${workload}`;
  return {
    id,
    title,
    paperFigure,
    caption: `Throughput and mean latency of the ${workload} workload with ${cpus} CPUs and ${memoryMB} MB, per runtime and platform, mean with 95% CI.`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config,
      title: { text: title, subtitle: `reproduces the paper's ${paperFigure}` },
      hconcat: panels,
      resolve: { scale: { y: "independent" } },
    } as TopLevelSpec,
  };
}

/** Fig. 2: artifact size per runtime and kind, with the paper's numbers. */
export function imageSizeFigure(sizes: readonly ArtifactSize[], reference: PaperReference): Figure | null {
  if (sizes.length === 0) return null;
  const kinds = [...new Set(sizes.map((s) => s.kind))];
  const label = (kind: string) => ARTIFACT_KIND_LABELS[kind] ?? kind;
  const kindColor = (kind: string) => (kind === "binary" ? "#8c8c8c" : kind.startsWith("docker") ? (PLATFORM_COLORS.docker ?? "") : kind === "nanos" ? (PLATFORM_COLORS.nanos ?? "") : "#7570b3");
  const domain = kinds.map(label);
  const range = kinds.map(kindColor);
  const rows: Row[] = sizes.map((s) => ({
    runtime: s.runtime,
    artifact: label(s.kind),
    value: s.apparentMB,
    kind: "measured",
    detail: `${s.apparentMB.toFixed(1)} MB apparent${s.allocatedMB !== null ? `, ${s.allocatedMB.toFixed(1)} MB allocated` : ""}`,
  }));
  const paperPlatform: Record<string, [string, string]> = { binary: ["binarySizeMB", "raw"], "docker-paper": ["imageSizeMB", "docker"], "docker-offline": ["imageSizeMB", "docker"], nanos: ["imageSizeMB", "nanos"] };
  for (const s of sizes) {
    const where = paperPlatform[s.kind];
    const p = where && paperValue(reference, where[0], s.runtime, where[1], "none");
    if (p) rows.push({ runtime: s.runtime, artifact: label(s.kind), value: p.value, kind: "paper", detail: `paper: ${p.value} MB (${p.section})` });
  }
  const x = { field: "runtime", type: "nominal", title: "Runtime", axis: { labelAngle: 0 } };
  const xOffset = { field: "artifact", type: "nominal", scale: { domain } };
  const y = { field: "value", type: "quantitative", title: "Size (MB, 10^6 bytes)" };
  const tooltip = [{ field: "runtime" }, { field: "artifact" }, { field: "detail", title: "size" }];
  return {
    id: "fig02-image-size",
    title: "Artifact size per runtime",
    paperFigure: "Fig. 2",
    caption: "Size of each artifact as built for this run (apparent bytes; a Nanos image is sparse, its allocated size is in the table), with the paper's numbers as diamonds.",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config,
      title: { text: "Artifact size per runtime", subtitle: "reproduces the paper's Fig. 2" },
      width: 420,
      height: 260,
      data: { values: rows },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'measured'" }],
          mark: { type: "bar" },
          encoding: { x, xOffset, y, color: { field: "artifact", type: "nominal", title: "artifact", scale: { domain, range } }, tooltip },
        },
        {
          transform: [{ filter: "datum.kind === 'measured'" }],
          mark: { type: "text", dy: -6, fontSize: 10, color: "#333" },
          encoding: { x, xOffset, y, text: { field: "value", type: "quantitative", format: ".1f" } },
        },
        {
          transform: [{ filter: "datum.kind === 'paper'" }],
          mark: { type: "point", shape: "diamond", size: 90, filled: false, strokeWidth: 1.5, color: PAPER_COLOR },
          encoding: { x, xOffset, y, shape: { datum: MARKERS.paper, type: "nominal", title: "marker", scale: { domain: [MARKERS.paper], range: ["diamond"] } }, tooltip },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Fig. 3: time to ready per runtime and platform: median, quartiles and range of every launch, per memory level. */
export function ttrFigure(scenarios: readonly Scenario[], reference: PaperReference): Figure | null {
  const startup = scenarios.filter((s) => s.spec.workload === "startup" && (s.ttr || failedCount(s) > 0));
  if (startup.length === 0) return null;
  const colors = seriesColors(startup.map((s) => s.series));
  const runtimes = [...new Set(startup.map((s) => s.spec.runtime))].sort();
  const panels = runtimes.map((runtime) => {
    const mine = startup.filter((s) => s.spec.runtime === runtime);
    const levels = [...new Set(mine.map((s) => s.spec.memoryMB))].sort((a, b) => b - a).map(String);
    const rows: Row[] = [];
    for (const s of mine) {
      const d = s.ttr;
      const memory = String(s.spec.memoryMB);
      if (!d) {
        rows.push({ memory, series: s.series, value: 0, kind: "measured", marker: MARKERS.failed, detail: scenarioNote(s) });
        continue;
      }
      rows.push({
        memory,
        series: s.series,
        value: d.median,
        lo: d.min,
        hi: d.max,
        q1: d.p25,
        q3: d.p75,
        kind: "measured",
        marker: s.basis === "flagged" ? MARKERS.flagged : MARKERS.ok,
        detail: `median ${d.median.toFixed(1)} ms (IQR ${d.p25.toFixed(1)}-${d.p75.toFixed(1)}, range ${d.min.toFixed(1)}-${d.max.toFixed(1)}), ${d.n} launches${scenarioNote(s) ? `; ${scenarioNote(s)}` : ""}`,
      });
    }
    for (const platform of new Set(mine.map((s) => s.spec.platform))) {
      const p = paperValue(reference, "ttrMedianMs", runtime, platform, "none");
      const series = mine.find((s) => s.spec.platform === platform)?.series ?? platform;
      if (p) for (const memory of levels) rows.push({ memory, series, value: p.value, kind: "paper", detail: `paper: median ${p.value} ms (${p.section}; no memory level given)` });
    }
    const x = { field: "memory", type: "ordinal", sort: levels, title: "Memory limit (MB)", axis: { labelAngle: 0 } };
    const xOffset = { field: "series", type: "nominal", scale: { domain: colors.domain, paddingInner: 0.3 } };
    const color = { field: "series", type: "nominal", title: "platform", scale: colors };
    const tooltip = [{ field: "series", title: "platform" }, { field: "memory", title: "memory (MB)" }, { field: "detail", title: "time to ready" }];
    const y = { field: "value", type: "quantitative", title: "Time to ready (ms)", scale: { zero: true } };
    const measured = { filter: `datum.kind === 'measured' && datum.marker !== '${MARKERS.failed}'` };
    return {
      title: { text: runtime, fontSize: 12 },
      width: 260,
      height: 260,
      data: { values: rows },
      layer: [
        { transform: [measured], mark: { type: "rule", strokeWidth: 1.2 }, encoding: { x, xOffset, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color: { ...color, legend: null } } },
        { transform: [measured], mark: { type: "bar", width: 10, opacity: 0.35 }, encoding: { x, xOffset, y: { field: "q1", type: "quantitative" }, y2: { field: "q3" }, color: { ...color, legend: null } } },
        {
          transform: [{ filter: "datum.kind === 'measured'" }],
          mark: { type: "point", size: 70, strokeWidth: 2, opacity: 1 },
          encoding: {
            x,
            xOffset,
            y,
            color,
            shape: { field: "marker", type: "nominal", title: "marker", scale: markerScale(presentMarkers(rows)) },
            fill: { condition: { test: `datum.marker === '${MARKERS.ok}'`, field: "series", type: "nominal", scale: colors, legend: null }, value: "white" },
            stroke: { condition: { test: `datum.marker === '${MARKERS.failed}'`, value: FAILED_COLOR }, field: "series", type: "nominal", scale: colors, legend: null },
            tooltip,
          },
        },
        {
          transform: [{ filter: "datum.kind === 'paper'" }],
          mark: { type: "point", shape: "diamond", size: 90, filled: false, strokeWidth: 1.5, color: PAPER_COLOR },
          encoding: { x, xOffset, y, tooltip },
        },
      ],
    };
  });
  return {
    id: "fig03-time-to-ready",
    title: "Time to ready",
    paperFigure: "Fig. 3",
    caption: "Time from the launch command to the first HTTP 200, every launch of every startup cell: dot = median, box = interquartile range, line = min to max. The paper gives one median per runtime and platform (diamonds, repeated at each level).",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      config,
      title: { text: "Time to ready", subtitle: "reproduces the paper's Fig. 3" },
      hconcat: panels,
      resolve: { scale: { y: "shared" } },
    } as TopLevelSpec,
  };
}

/** The paper's numbering: I/O then compute, Go then Node.js, throughput then latency. */
const SWEEP_NUMBERS: Record<string, [string, string]> = {
  "go|io": ["Fig. 5", "Fig. 6"],
  "node|io": ["Fig. 7", "Fig. 8"],
  "go|compute": ["Fig. 10", "Fig. 11"],
  "node|compute": ["Fig. 12", "Fig. 13"],
};
const RICH_NUMBERS: Record<string, string> = { io: "Fig. 4", compute: "Fig. 9" };

/** Every figure the data supports, in the paper's order; what the data lacks is not drawn. */
export function allFigures(scenarios: readonly Scenario[], sizes: readonly ArtifactSize[], reference: PaperReference): Figure[] {
  const figures: (Figure | null)[] = [imageSizeFigure(sizes, reference), ttrFigure(scenarios, reference)];
  const load = scenarios.filter((s) => s.spec.workload !== "startup");
  const maxCpus = Math.max(0, ...load.map((s) => s.spec.cpus));
  for (const workload of ["io", "compute"]) {
    if (maxCpus > 1) {
      const rich = load.filter((s) => s.spec.workload === workload && s.spec.cpus === maxCpus);
      const top = Math.max(0, ...rich.map((s) => s.spec.memoryMB));
      figures.push(richFigure(`fig${RICH_NUMBERS[workload] === "Fig. 4" ? "04" : "09"}-rich-${workload}`, RICH_NUMBERS[workload] ?? "", rich.filter((s) => s.spec.memoryMB === top), reference));
    }
    for (const runtime of ["go", "node"]) {
      const numbers = SWEEP_NUMBERS[`${runtime}|${workload}`] ?? ["", ""];
      const byCpus = new Map<number, Scenario[]>();
      for (const s of load) {
        if (s.spec.runtime !== runtime || s.spec.workload !== workload) continue;
        byCpus.set(s.spec.cpus, [...(byCpus.get(s.spec.cpus) ?? []), s]);
      }
      for (const [cpus, group] of [...byCpus].sort((a, b) => a[0] - b[0])) {
        if (new Set(group.map((s) => s.spec.memoryMB)).size < 2) continue; // one level is no sweep (the rich figure shows it)
        const suffix = cpus === 1 ? "" : `-${cpus}cpu`;
        const num = (n: string) => n.replace("Fig. ", "").padStart(2, "0");
        figures.push(memorySweepFigure(`fig${num(numbers[0])}-${runtime}-${workload}-throughput${suffix}`, numbers[0], group, "throughputRps", reference));
        figures.push(memorySweepFigure(`fig${num(numbers[1])}-${runtime}-${workload}-latency${suffix}`, numbers[1], group, "latencyMeanMs", reference));
      }
    }
  }
  return figures.filter((f): f is Figure => f !== null).sort((a, b) => a.id.localeCompare(b.id));
}
