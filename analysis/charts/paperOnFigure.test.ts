/**
 * Where the paper published a number for a plotted cell, the figure shows it: a diamond with the
 * number, just right of this run's marker and interval for the same series and level (the series
 * at the paper's settings when knob variants ran beside it).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadPaperReference } from "../../core/paper/reference";
import { analyze } from "../analyze";
import { writeKnownEffectRun } from "../fixtures/knownEffects";
import { paperRunOptions, writeSyntheticRun } from "../fixtures/synthetic";
import { readRuns } from "../read";
import { renderSvg } from "../render";
import { allFigures } from "./all";

const root = mkdtempSync(join(tmpdir(), "analysis-paper-on-figure-"));

async function figureSvg(runDir: string, id: string): Promise<string> {
  const a = analyze(readRuns([runDir]), loadPaperReference());
  const figure = allFigures(a.scenarios, a.sizes, a.reference).find((f) => f.id === id);
  assert.ok(figure, `${id} was not drawn`);
  return (await renderSvg(figure)).svg;
}

interface Placed {
  series: string;
  memory: string;
  x: number;
  text: string;
}

const translateX = (tag: string) => Number(/transform="translate\(([-\d.]+),/.exec(tag)?.[1] ?? Number.NaN);
const field = (label: string, name: string) => new RegExp(`(?:^|; )${name}: ([^;]*)`).exec(label)?.[1] ?? "";

/** Text marks of the plot: where each sits and what it says. */
function texts(svg: string): Placed[] {
  return [...svg.matchAll(/<text aria-label="([^"]*)"[^>]*>([^<]*)<\/text>/g)].map(
    ([tag = "", label = "", text = ""]) => ({
      series: field(label, "series"),
      memory: field(label, "Memory limit \\(MB\\)"),
      x: translateX(tag),
      text,
    }),
  );
}

/** Where the run's own marker of a series sits at a level. */
function runMarkerX(svg: string, series: string, memory: string): number {
  const tags = [...svg.matchAll(/<path aria-label="([^"]*)"[^>]*aria-roledescription="point"[^>]*>/g)];
  const own = tags.find(
    ([, label = ""]) => field(label, "series") === series && field(label, "Memory limit \\(MB\\)") === memory,
  );
  assert.ok(own, `no marker of ${series} at ${memory} MB`);
  return translateX(own[0]);
}

/** Each diamond of the figure with the number drawn beside it. */
function paperMarks(svg: string): { series: string; memory: string; x: number; number: string }[] {
  const all = texts(svg);
  return all
    .filter((t) => t.text === "◇" && t.series !== "")
    .map((d) => {
      const label = all.find((t) => t.series === d.series && t.memory === d.memory && t.text !== "◇");
      return { series: d.series, memory: d.memory, x: d.x, number: label?.text ?? "" };
    });
}

describe("the paper's value on the figure", () => {
  it("every published number of a sweep is drawn beside the run's marker of the same platform and level", async () => {
    const svg = await figureSvg(
      writeSyntheticRun(join(root, "results"), paperRunOptions("paper", 3)),
      "fig07-node-io-throughput",
    );
    const marks = paperMarks(svg);
    const wanted = loadPaperReference().measurements.filter(
      (m) => m.metric === "throughputRps" && m.runtime === "node" && m.workload === "io" && m.cpus === 1,
    );
    assert.equal(marks.length, wanted.length);
    for (const m of wanted) {
      const mark = marks.find((x) => x.series === m.platform && x.memory === String(m.memoryMB));
      assert.ok(mark, `no diamond for ${m.id}`);
      assert.equal(mark.number, Math.round(m.value).toLocaleString("en-US"), m.id);
      const beside = mark.x - runMarkerX(svg, m.platform, String(m.memoryMB));
      assert.ok(beside > 0 && beside <= 20, `${m.id}: the diamond is ${beside} px from the run's marker`);
    }
  });

  it("with knob variants, the paper's number sits beside the series at the paper's settings", async () => {
    const run = writeKnownEffectRun(join(root, "results"), {
      runId: "variants",
      seed: 7,
      noise: 0.01,
      runtimes: ["node"],
      platforms: ["docker", "nanos"],
      resources: [
        { cpus: 1, memoryMB: 512 },
        { cpus: 1, memoryMB: 128 },
      ],
      knobVariants: [{ nodeHeap: "fit" }],
      throughput: (spec) => (spec.platform === "docker" ? 30_000 : 20_000),
    });
    const svg = await figureSvg(run, "fig07-node-io-throughput");
    const marks = paperMarks(svg);
    assert.deepEqual(marks.map((m) => `${m.series} ${m.memory}: ${m.number}`).sort(), [
      "docker (nodeHeap=default) 128: 34,052",
      "docker (nodeHeap=default) 512: 34,412",
      "nanos (nodeHeap=default) 128: 6,993",
      "nanos (nodeHeap=default) 512: 43,425",
    ]);
    for (const m of marks) {
      const beside = m.x - runMarkerX(svg, m.series, m.memory);
      assert.ok(beside > 0 && beside <= 20, `${m.series} ${m.memory}: ${beside} px from the run's marker`);
    }
  });
});
