import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { CellSpec } from "../core/matrix";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { generateReport, type ReportResult } from "./report";
import { scenarioLabel } from "./scenarios";

const root = mkdtempSync(join(tmpdir(), "analysis-report-"));
const is = (spec: CellSpec, label: string) => `${scenarioLabel(spec)}-r${spec.repetition}` === label;

/** The paper's numbers with a flagged repetition, a timed-out one and a scenario that always OOMs. */
function mixedRun(): string {
  return writeSyntheticRun(join(root, "results"), {
    ...paperRunOptions("paper-mixed", 3, 0.005, 1),
    outcome: (spec) => {
      if (is(spec, "go-docker-io-1cpu-512mb-r2")) return { flags: ["generator-bound"] };
      if (is(spec, "node-docker-io-1cpu-64mb-r3")) return { status: "timeout" };
      if (spec.runtime === "node" && spec.platform === "nanos" && spec.workload === "compute" && spec.memoryMB === 64) {
        return { status: "oom" };
      }
      return undefined;
    },
  });
}

describe("generateReport", () => {
  let result: ReportResult;
  let html: string;
  before(async () => {
    result = await generateReport({ runDirs: [mixedRun()], reportsRoot: join(root, "reports") });
    html = readFileSync(result.html, "utf8");
  });

  it("writes report.html, report.md, the CSVs and every figure as SVG and PNG into reports/<run id>/", () => {
    assert.equal(result.dir, join(root, "reports", "paper-mixed"));
    for (const f of ["report.html", "report.md", "cells.csv", "scenarios.csv"])
      assert.ok(existsSync(join(result.dir, f)), f);
    const ids = result.figures.map((f) => f.figure.id);
    assert.deepEqual(ids, [
      "fig02-image-size",
      "fig03-time-to-ready",
      "fig04-rich-io",
      "fig05-go-io-throughput",
      "fig06-go-io-latency",
      "fig07-node-io-throughput",
      "fig08-node-io-latency",
      "fig09-rich-compute",
      "fig10-go-compute-throughput",
      "fig11-go-compute-latency",
      "fig12-node-compute-throughput",
      "fig13-node-compute-latency",
    ]);
    const files = readdirSync(join(result.dir, "figures"));
    for (const id of ids) {
      assert.ok(files.includes(`${id}.svg`) && files.includes(`${id}.png`), id);
      const png = readFileSync(join(result.dir, "figures", `${id}.png`));
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${id}.png is a PNG`);
    }
    for (const f of result.figures) assert.deepEqual(f.warnings, [], `${f.figure.id}: Vega warnings`);
    const csvLines = readFileSync(result.csv, "utf8").trimEnd().split("\n");
    assert.equal(csvLines.length, 1 + 180);
  });

  it("computes statistics from ok, unflagged repetitions and counts the rest", () => {
    const scenario = (label: string) => result.analysis.scenarios.find((s) => scenarioLabel(s.spec) === label);
    const flagged = scenario("go-docker-io-1cpu-512mb");
    assert.equal(flagged?.used.length, 2);
    assert.equal(flagged?.flaggedOk, 1);
    assert.equal(flagged?.metrics.throughputRps?.n, 2);
    const timedOut = scenario("node-docker-io-1cpu-64mb");
    assert.equal(timedOut?.counts.timeout, 1);
    assert.equal(timedOut?.metrics.throughputRps?.n, 2);
    const oom = scenario("node-nanos-compute-1cpu-64mb");
    assert.equal(oom?.counts.oom, 3);
    assert.equal(oom?.basis, "none");
    assert.equal(oom?.metrics.throughputRps, undefined);
  });

  it("marks flagged and failed scenarios in the tables and the figures", () => {
    assert.match(html, /<tr class="failed"><td class="key">node-nanos-compute-1cpu-64mb<\/td>/);
    assert.match(html, /<tr class="failed"><td class="key">node-docker-io-1cpu-64mb<\/td>.*1 timeout/);
    assert.match(
      html,
      /<tr class="flagged"><td class="key">go-docker-io-1cpu-512mb<\/td>.*1 flagged repetition\(s\) left out: generator-bound/,
    );
    const fig12 = result.figures.find((f) => f.figure.id === "fig12-node-compute-throughput");
    assert.match(fig12?.svg ?? "", /stroke="#d62728"/, "a red cross for the scenario with no ok repetition");
    assert.match(fig12?.svg ?? "", /no ok repetition \(drawn at 0\)/, "and its key");
  });

  it("opens offline: inline CSS and SVG, no script, no external resource", () => {
    assert.equal((html.match(/<svg/g) ?? []).length >= 12, true);
    assert.doesNotMatch(html, /<script|<link|<iframe|<img|@import/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
    assert.doesNotMatch(html, /url\((['"]?)(https?:)?\/\//i);
  });

  it("reports the crossover, the decision table and the paper's claims", () => {
    const md = readFileSync(result.markdown, "utf8");
    assert.match(
      md,
      /node \| io \| 1 \| throughput \| docker vs nanos \| nanos better down to 512 MB, docker better from 128 MB: crossover between 256 and 128 MB/,
    );
    assert.match(md, /\| node \| compute \| docker vs nanos \| 1 CPU, 128-64 MB \| docker \|/);
    assert.match(md, /\| reproduced \| Node.js I\/O at 1 CPU: Nanos better at 512 MB/);
    assert.match(html, /not reproduced/);
  });

  it("never overwrites a report: the second one gets a suffix", async () => {
    const before = readFileSync(result.html, "utf8");
    const again = await generateReport({
      runDirs: [join(root, "results", "paper-mixed")],
      reportsRoot: join(root, "reports"),
    });
    assert.equal(again.dir, join(root, "reports", "paper-mixed-2"));
    assert.equal(readFileSync(result.html, "utf8"), before);
  });
});
