import type { Figure } from "./charts/style";

export interface RenderedFigure {
  figure: Figure;
  svg: string;
  png: Uint8Array;
  /** What Vega-Lite or Vega warned about while compiling (a figure spec bug to fix). */
  warnings: string[];
}

// vega and vega-lite ship as ES modules only; this package is CommonJS, so they are loaded with a
// dynamic import (kept as a real import() by TypeScript's NodeNext output and by tsx).
type Vega = typeof import("vega", { with: { "resolution-mode": "import" }});
type VegaLite = typeof import("vega-lite", { with: { "resolution-mode": "import" }});
let libraries: Promise<{ vega: Vega; vegaLite: VegaLite }> | null = null;
function loadLibraries() {
  libraries ??= Promise.all([import("vega"), import("vega-lite")]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  return libraries;
}

/** A loader that refuses every fetch: figures carry their data inline and a report must never reach out. */
function offlineLoader(vega: Vega) {
  const loader = vega.loader();
  loader.load = async (uri: string) => {
    throw new Error(`figures must not load external resources (asked for ${uri})`);
  };
  return loader;
}

/** Vega-Lite -> Vega -> SVG, headless (no browser, no canvas). */
export async function renderSvg(figure: Figure): Promise<{ svg: string; warnings: string[] }> {
  const { vega, vegaLite } = await loadLibraries();
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn);
  logger.warn = (...args: readonly unknown[]) => {
    warnings.push(args.map(String).join(" "));
    return logger;
  };
  const compiled = vegaLite.compile(figure.spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", loader: offlineLoader(vega), logger });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * SVG -> PNG with resvg (a prebuilt binary from npm, no system libraries). It draws text with
 * the system's fonts, the same family list the SVG asks for (DejaVu Sans on Debian).
 */
export async function renderPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import("@resvg/resvg-js");
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

export async function renderFigure(figure: Figure, pngScale = 2): Promise<RenderedFigure> {
  const { svg, warnings } = await renderSvg(figure);
  return { figure, svg, png: await renderPng(svg, pngScale), warnings };
}
