import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { CellSpec } from "../core/matrix";
import { loadPaperReference } from "../core/paper/reference";
import { analyze } from "./analyze";
import { NO_FINDING } from "./findings";
import { writeKnownEffectRun } from "./fixtures/knownEffects";
import { renderHtml } from "./html";
import { renderMarkdown } from "./markdown";
import { readRuns } from "./read";
import { generateReport } from "./report";

const root = mkdtempSync(join(tmpdir(), "analysis-explain-report-"));
const meta = {
  name: "t",
  generatedAt: "2025-07-01T00:00:00.000Z",
  csvFile: "c.csv",
  scenariosCsvFile: "s.csv",
  figuresDir: "f",
};

/** Go io at 1 CPU, 512 MB and Node io at 64 MB: GOMAXPROCS closes 80% of docker's gap, nodeHeap=fit saves nanos at 64 MB. */
function knownRun(runId: string) {
  return writeKnownEffectRun(join(root, "results"), {
    runId,
    seed: 4,
    noise: 0.005,
    runtimes: ["go", "node"],
    platforms: ["docker", "nanos"],
    resources: [
      { cpus: 1, memoryMB: 512, runtimes: ["go"] },
      { cpus: 1, memoryMB: 64, runtimes: ["node"] },
    ],
    knobVariants: [{ goMaxProcs: "cpus" }, { nodeHeap: "fit" }],
    throughput: (spec: CellSpec) => {
      if (spec.runtime === "go")
        return spec.platform === "nanos" ? 30_000 : spec.knobs.goMaxProcs === "cpus" ? 28_000 : 20_000;
      return spec.platform === "nanos" && spec.knobs.nodeHeap === "default" ? null : 5_000;
    },
  });
}

describe("report: findings first, then what explains the gap", () => {
  let md = "";
  let html = "";
  before(async () => {
    const result = await generateReport({ runDirs: [knownRun("explain-known")], reportsRoot: join(root, "reports") });
    md = readFileSync(result.markdown, "utf8");
    html = readFileSync(result.html, "utf8");
  });

  it("report.md opens with the findings in words", () => {
    const headings = md.split("\n").filter((l) => l.startsWith("## "));
    assert.equal(headings[0], "## Findings");
    const findings = md.slice(md.indexOf("## Findings"), md.indexOf("\n## ", md.indexOf("## Findings") + 1));
    const closes =
      /- GOMAXPROCS = CPU limit closes (\d+)% \[(\d+), (\d+)\] of the Go io docker-nanos throughput gap at 1 CPU, 512 MB\n/.exec(
        findings,
      );
    assert.ok(closes, findings);
    const [low, high] = [Number(closes[2]), Number(closes[3])];
    assert.ok(low <= 80 && high >= 80, `[${low}, ${high}] holds the true 80%`);
    assert.match(
      findings,
      /- Go io at 1 CPU, 512 MB, docker vs nanos: nanos is better \(throughput: nanos \(1\.\d\dx\)/,
    );
    assert.match(
      findings,
      /- on nanos at 64 MB \(Node io, 1 CPU\), nodeHeap=fit: 3\/3 ok where the paper's settings gave 0\/3 \(3 oom\)/,
    );
  });

  it("report.md has the table per pair and scenario and the local analogues", () => {
    assert.match(md, /## What explains the gap/);
    assert.match(md, /### Go io, 1 CPU, 512 MB: docker vs nanos/);
    assert.match(md, /\| throughput \(req\/s\) \| goMaxProcs=cpus \(both\) \| 2\d,\d{3} \[/);
    assert.match(md, /share of base gap closed \[95% CI\]/);
    assert.match(md, /### Local analogues \(tested here over platform classes; not the paper's claims\)/);
  });

  it("report.html shows the findings before any other section", () => {
    const firstH2 = html.indexOf("<h2");
    assert.equal(html.slice(firstH2, firstH2 + 20), '<h2 id="findings">Fi');
    const list = html.slice(firstH2, html.indexOf("<h2", firstH2 + 1));
    assert.match(list, /<li>GOMAXPROCS = CPU limit closes/);
    assert.match(html, /<h2 id="explain">What explains the gap<\/h2>/);
  });
});

describe("report: nothing found", () => {
  it("says so plainly in both formats", () => {
    const dir = writeKnownEffectRun(join(root, "results"), {
      runId: "explain-noise",
      seed: 1,
      noise: 0.2,
      runtimes: ["go"],
      platforms: ["docker", "nanos"],
      resources: [{ cpus: 1, memoryMB: 512 }],
      knobVariants: [{ goMaxProcs: "cpus" }],
      throughput: () => 20_000,
    });
    const a = analyze(readRuns([dir]), loadPaperReference());
    const md = renderMarkdown(a, [], meta);
    assert.ok(md.includes(`## Findings\n\n${NO_FINDING}`));
    assert.match(md, /no significant change in the Go io docker-nanos throughput gap/);
    assert.ok(renderHtml(a, [], meta).includes(`<h2 id="findings">Findings</h2>\n<p>${NO_FINDING}</p>`));
  });
});
