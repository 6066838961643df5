import type { TopLevelSpec } from "vega-lite";
import type { PaperReference } from "../../core/paper/reference";
import { allPlatforms } from "../../lab/platforms/registry";
import { ARTIFACT_KIND_LABELS, type ArtifactSize } from "../artifactSizes";
import { keyPanel, markerLayers, paperRow, plotWithKey } from "./points";
import {
  config,
  type Figure,
  KEY_COLOR,
  PLOT_HEIGHT,
  PLOT_WIDTH,
  paperValue,
  platformColor,
  type Row,
  SCHEMA,
} from "./style";

/** Fig. 2: artifact size per runtime and kind, with the paper's numbers. */
export function imageSizeFigure(sizes: readonly ArtifactSize[], reference: PaperReference): Figure | null {
  if (sizes.length === 0) return null;
  const kinds = [...new Set(sizes.map((s) => s.kind))];
  const label = (kind: string) => ARTIFACT_KIND_LABELS[kind] ?? kind;
  const kindColor = (kind: string) => {
    const runsIt = allPlatforms().find((p) => p.artifact.kind === kind);
    return (runsIt && platformColor(runsIt.name)) ?? KEY_COLOR;
  };
  const domain = kinds.map(label);
  const range = kinds.map(kindColor);
  const rows: Row[] = sizes.map((s) => ({
    runtime: s.runtime,
    artifact: label(s.kind),
    kind: "bar",
    value: s.apparentMB,
    detail: `${s.apparentMB.toFixed(1)} MB apparent${s.allocatedMB !== null ? `, ${s.allocatedMB.toFixed(1)} MB allocated` : ""}`,
  }));
  const paperOf: Record<string, [string, string]> = {
    binary: ["binarySizeMB", "raw"],
    "docker-paper": ["imageSizeMB", "docker"],
    "docker-offline": ["imageSizeMB", "docker"],
    nanos: ["imageSizeMB", "nanos"],
  };
  for (const s of sizes) {
    const where = paperOf[s.kind];
    const p = where && paperValue(reference, where[0], s.runtime, where[1], "none");
    if (p)
      rows.push(
        paperRow(
          { runtime: s.runtime, artifact: label(s.kind) },
          label(s.kind),
          p.value,
          `paper: ${p.value} MB (${p.section}); this run: ${s.apparentMB.toFixed(1)} MB`,
        ),
      );
  }
  const x = { field: "runtime", type: "nominal", title: "Runtime", axis: { labelAngle: 0 } };
  const xOffset = { field: "artifact", type: "nominal", scale: { domain, paddingInner: 0.1 } };
  const y = { field: "value", type: "quantitative", title: "Size (MB = 10^6 bytes)" };
  const tooltip = [{ field: "runtime" }, { field: "artifact" }, { field: "detail", title: "size" }];
  const layers: unknown[] = [
    {
      transform: [{ filter: "datum.kind === 'bar'" }],
      mark: { type: "bar" },
      encoding: {
        x,
        xOffset,
        y,
        color: {
          field: "artifact",
          type: "nominal",
          title: "artifact",
          scale: { domain, range },
          legend: { columns: domain.length },
        },
        tooltip,
      },
    },
    {
      transform: [{ filter: "datum.kind === 'bar'" }],
      mark: { type: "text", dy: -14, fontSize: 10, color: "#333" },
      encoding: { x, xOffset, y, text: { field: "value", type: "quantitative", format: ".1f" } },
    },
  ];
  if (rows.some((r) => r.kind === "point")) {
    layers.push(...markerLayers(rows, { x, xOffset, y, tooltip }, null));
  }
  return {
    id: "fig02-image-size",
    title: "Artifact size per runtime",
    paperFigure: "Fig. 2",
    caption:
      "Size of each artifact built for the run (apparent bytes; a Nanos image is sparse and its allocated size is in the table), with the paper's numbers as diamonds.",
    spec: {
      $schema: SCHEMA,
      config,
      title: { text: "Artifact size per runtime", subtitle: "reproduces the paper's Fig. 2" },
      data: { values: rows },
      ...plotWithKey({ width: PLOT_WIDTH, height: PLOT_HEIGHT, layer: layers }, keyPanel(rows, PLOT_WIDTH)),
    } as TopLevelSpec,
  };
}
