/**
 * The report's memory floor on a floor run of known floors: each bracket holds its floor to the
 * resolution, the findings name the smallest and largest floors and each platform's overhead over
 * native, the figure draws a bracket per finished search with the paper's 64 MB line, and the run
 * validates (its probes are planned, though its manifest lists only where each search starts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRunFolder } from "../core/results/read";
import { residentMB } from "../lab/testing/floorStandIn";
import { floorFigure } from "./charts/floor";
import { knownFloor, writeFloorRun } from "./fixtures/floorRun";
import { floorAnalysis, floorFindings, floorTable } from "./floor";
import { readRuns } from "./read";
import { generateReport } from "./report";

const root = mkdtempSync(join(tmpdir(), "floor-report-"));
const runDir = writeFloorRun(join(root, "results"), "floor-known");

describe("the memory floor in the report", () => {
  const floor = floorAnalysis(readRuns([runDir]));

  it("each scenario's bracket holds its known floor, to the resolution, with the OOM kill as evidence", () => {
    assert.ok(floor);
    assert.equal(floor.rows.length, 24);
    for (const row of floor.rows) {
      const known = knownFloor(row.bracket.scenario);
      const { servesMB, failsMB, failure } = row.bracket;
      assert.ok(servesMB !== null && failsMB !== null, `${row.bracket.scenario.name}: a bracket`);
      assert.ok(failsMB < known && known <= servesMB, `${failsMB} < ${known} <= ${servesMB}`);
      assert.ok(servesMB - failsMB <= floor.resolutionMB);
      assert.equal(failure?.evidence, "OOM kill");
      assert.equal(row.cgroupPeakMB, residentMB(servesMB, known - 2));
    }
  });

  it("names the smallest and largest floors and each platform's overhead over native", () => {
    assert.ok(floor);
    const texts = floorFindings(floor).map((f) => f.text);
    // Go native tuned needs 5 MB: on the 4 MB grid from 4 MB it serves at 8; Node on gVisor needs 74: 76.
    assert.match(
      texts[0] ?? "",
      /^Smallest memory floor: go (io|compute) 1cpu native \(goMaxProcs=cpus\) serves at 8 MB, fails at 4 MB \(OOM kill\);/,
    );
    assert.match(
      texts[0] ?? "",
      /largest: node (io|compute) 1cpu gvisor serves at 76 MB, fails at 72 MB \(OOM kill\)$/,
    );
    // Docker needs 2 MB more than native (0 or 4 on the grid), gVisor 28 or 29 (28 on the grid).
    const docker = texts.find((t) => t.startsWith("docker needs"));
    const gvisor = texts.find((t) => t.startsWith("gvisor needs"));
    assert.equal(
      docker,
      "docker needs +0 MB over native at the floor (median of 8 scenarios, from +0 to +4 MB; resolution 4 MB)",
    );
    assert.match(
      gvisor ?? "",
      /^gvisor needs \+28 MB over native at the floor \(median of 8 scenarios, from \+28 to \+28 MB/,
    );
  });

  it("the table has a row per search with its evidence; the figure a bracket per search and the 64 MB line", () => {
    assert.ok(floor);
    const table = floorTable(floor);
    assert.equal(table.rows.length, 24);
    const figure = floorFigure(floor);
    assert.ok(figure);
    const values = (figure.spec as unknown as { data: { values: unknown[] } }).data.values;
    assert.equal(values.length, 24);
    assert.match(JSON.stringify(figure.spec), /the paper's lowest level \(64 MB\)/);
  });

  it("the run validates: a probe the search decided is planned, a cell no search makes is not", () => {
    const run = readRunFolder(runDir);
    assert.deepEqual(run.unplanned, []);
    assert.deepEqual(run.missing, []);
    assert.ok(run.cells.length > 24);
  });

  it("report.html and report.md carry the floor's figure and table, after the findings", async () => {
    const report = await generateReport({ runDirs: [runDir], reportsRoot: join(root, "reports"), pngScale: 1 });
    const html = readFileSync(report.html, "utf8");
    assert.ok(html.indexOf('id="findings"') < html.indexOf('id="floor"'));
    assert.match(html, /<figure id="floor-memory">/);
    assert.match(html, /serves at \(MB\)/);
    const md = readFileSync(report.markdown, "utf8");
    assert.match(md, /## The memory floor/);
    assert.match(md, /\| go io 1cpu native \|/);
  });
});
