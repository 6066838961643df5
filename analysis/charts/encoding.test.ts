/**
 * Every series of every figure is told apart by its encoding, not only by its label: two legend
 * entries of one figure never share both colour and shape (outline, fill and dash), and every
 * series the figure plots has an entry. Checked on the rendered SVG, what the reader sees.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { loadPaperReference } from "../../core/paper/reference";
import { analyze } from "../analyze";
import { writeQuickShapedRun } from "../fixtures/quickShaped";
import { paperRunOptions, writeSyntheticRun } from "../fixtures/synthetic";
import { readRuns } from "../read";
import { renderSvg } from "../render";
import { allFigures } from "./all";
import { FAILED_COLOR, platformColor } from "./style";

export interface LegendEntry {
  label: string;
  /** The symbol's colour: its fill, or its stroke when it is hollow. */
  color: string;
  /** Everything else the symbol shows: outline path, hollow or filled, dash. */
  shape: string;
}

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? "";
const HOLLOW = new Set(["", "none", "transparent", "white", "#fff", "#ffffff"]);

/** The entries of every Vega legend in an SVG, in drawing order. */
export function legendEntries(svg: string): LegendEntry[] {
  const entries: LegendEntry[] = [];
  const pattern =
    /<g class="mark-symbol role-legend-symbol"[^>]*>(<path [^>]*>)<\/g><g class="mark-text role-legend-label"[^>]*><text [^>]*>([^<]*)<\/text>/g;
  for (const [, path = "", label = ""] of svg.matchAll(pattern)) {
    const fill = attr(path, "fill").toLowerCase();
    const hollow = HOLLOW.has(fill) || attr(path, "fill-opacity") === "0";
    entries.push({
      label,
      color: (hollow ? attr(path, "stroke") : fill).toLowerCase(),
      shape: [attr(path, "d"), hollow ? "hollow" : "filled", attr(path, "stroke-dasharray")].join(" "),
    });
  }
  return entries;
}

/** Legend entries of one figure that look the same: [a, b] label pairs. */
function lookalikes(entries: readonly LegendEntry[]): [string, string][] {
  const out: [string, string][] = [];
  entries.forEach((a, i) => {
    for (const b of entries.slice(i + 1)) if (a.color === b.color && a.shape === b.shape) out.push([a.label, b.label]);
  });
  return out;
}

const root = mkdtempSync(join(tmpdir(), "analysis-encoding-"));

type Rendered = { id: string; svg: string; series: string[] }[];
const rendered = new Map<string, Promise<Rendered>>();

/** Every figure of a run, rendered once per run folder. */
function renderedFigures(runDir: string): Promise<Rendered> {
  let figures = rendered.get(runDir);
  if (!figures) {
    figures = renderAll(runDir);
    rendered.set(runDir, figures);
  }
  return figures;
}

async function renderAll(runDir: string): Promise<Rendered> {
  const a = analyze(readRuns([runDir]), loadPaperReference());
  const out: Rendered = [];
  for (const figure of allFigures(a.scenarios, a.sizes, a.reference)) {
    const { svg } = await renderSvg(figure);
    const json = JSON.stringify(figure.spec);
    const series = [...new Set(a.scenarios.map((s) => s.series))].filter((s) => json.includes(`"series":"${s}"`));
    out.push({ id: figure.id, svg, series });
  }
  return out;
}

describe("figure encodings", () => {
  const runs: Record<string, string> = {};
  before(() => {
    runs.quick = writeQuickShapedRun(join(root, "results"));
    runs.paper = writeSyntheticRun(join(root, "results"), paperRunOptions("paper", 2, 0.01, 3));
    runs.capture = join(__dirname, "..", "fixtures", "quick-run");
  });

  for (const name of ["quick", "paper", "capture"]) {
    it(`no two legend entries share colour and shape (${name} run)`, async () => {
      const figures = await renderedFigures(runs[name] ?? "");
      assert.ok(figures.length > 0);
      const problems: Record<string, string[]> = {};
      for (const f of figures) {
        const entries = legendEntries(f.svg);
        const labels = new Set(entries.map((e) => e.label));
        const found = [
          ...lookalikes(entries).map(([a, b]) => `"${a}" and "${b}" share colour and shape`),
          ...f.series.filter((s) => !labels.has(s)).map((s) => `no legend entry for "${s}"`),
        ];
        if (found.length > 0) problems[f.id] = found;
      }
      assert.deepEqual(problems, {});
    });
  }

  it("colour is the platform: the registry's colour for it in every figure of every run", async () => {
    const wrong: string[] = [];
    for (const name of ["quick", "paper", "capture"]) {
      for (const f of await renderedFigures(runs[name] ?? "")) {
        for (const e of legendEntries(f.svg)) {
          const platform = e.label.split(" ")[0] ?? "";
          const expected = platformColor(platform);
          if (f.series.includes(e.label) && e.color !== expected)
            wrong.push(`${name} ${f.id}: "${e.label}" is ${e.color}, ${platform} is ${expected}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("every mark of a series is drawn in its platform's colour (or white, or the failure's red)", async () => {
    const wrong = new Set<string>();
    for (const name of ["quick", "paper", "capture"]) {
      for (const f of await renderedFigures(runs[name] ?? "")) {
        for (const [tag = "", series = ""] of f.svg.matchAll(/<path aria-label="[^"]*series: ([^;"]+)[^"]*"[^>]*>/g)) {
          if (!f.series.includes(series)) continue;
          const allowed = new Set([platformColor(series.split(" ")[0] ?? ""), FAILED_COLOR, ...HOLLOW]);
          for (const channel of ["fill", "stroke"]) {
            const color = attr(tag, channel).toLowerCase();
            if (!allowed.has(color)) wrong.add(`${name} ${f.id}: ${series} has ${channel} ${color}`);
          }
        }
      }
    }
    assert.deepEqual([...wrong], []);
  });

  it("a knob-variant run's Figures 12 and 13 have a legend entry per platform and variant", async () => {
    const figures = await renderedFigures(runs.quick ?? "");
    for (const id of ["fig12-node-compute-throughput", "fig13-node-compute-latency"]) {
      const f = figures.find((x) => x.id === id);
      assert.ok(f, `${id} was not drawn`);
      const labels = legendEntries(f.svg).map((e) => e.label);
      for (const platform of ["native", "docker", "gvisor"])
        for (const heap of ["default", "fit"]) assert.ok(labels.includes(`${platform} (nodeHeap=${heap})`), id);
    }
  });
});
