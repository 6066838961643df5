import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readRuns } from "./read";
import { buildScenarios } from "./scenarios";
import { tidyColumns, tidyRows, toCsv } from "./tidy";

const quickRun = join(__dirname, "fixtures", "quick-run");

describe("tidy table", () => {
  const scenarios = buildScenarios(readRuns([quickRun]).cells);
  const rows = tidyRows(scenarios);
  const columns = tidyColumns(rows);

  it("has one row per cell repetition with flattened camelCase columns for every spec field and metric", () => {
    assert.equal(rows.length, 54);
    for (const column of [
      "runId",
      "cellId",
      "scenario",
      "runtime",
      "platform",
      "workload",
      "cpus",
      "memoryMB",
      "repetition",
      "allowEmulation",
      "specKnobsCpuMode",
      "specLoadVus",
      "specLoadDurationS",
      "specTtrLaunches",
      "status",
      "reason",
      "flags",
      "flagged",
      "ttrSamplesMs",
      "ttrMedianMs",
      "loadThroughputRps",
      "loadLatencyMsMean",
      "loadLatencyMsStddev",
      "loadLatencyMsP99",
      "loadTimeouts",
      "generatorBound",
      "footprintRssPeakBytes",
      "appInfoGomaxprocs",
      "limitsMemoryMBEnforced",
      "exitOomKilled",
    ]) {
      assert.ok(columns.includes(column), `missing column ${column}`);
    }
    assert.ok(
      columns.every((c) => /^[a-z][A-Za-z0-9]*$/.test(c)),
      `not camelCase: ${columns.filter((c) => !/^[a-z][A-Za-z0-9]*$/.test(c))}`,
    );
    const cell = rows.find((r) => r.name === "go-native-io-1cpu-128mb-r1");
    assert.equal(cell?.loadThroughputRps, 59674.987861297544);
    assert.equal(cell?.flags, "generator-bound");
    assert.equal(cell?.flagged, true);
    const startup = rows.find((r) => r.name === "go-docker-startup-1cpu-16mb-r1");
    assert.equal(startup?.ttrSamplesMs, "576.969;518.554;480.006");
    assert.equal(startup?.loadThroughputRps, undefined, "a startup cell has no load: an empty field");
  });

  it("writes RFC 4180 CSV: quoted fields for commas, quotes and newlines, empty for missing", () => {
    const csv = toCsv([{ a: 'say "hi", then\nleave', b: null, c: 1.5, d: true }, { a: "plain" }]);
    assert.equal(csv, 'a,b,c,d\n"say ""hi"", then\nleave",,1.5,true\nplain,,,\n');
  });

  it("writes no terminal control sequence: a reason quoting SeaBIOS's screen clears comes out as plain text", () => {
    const reason =
      "microvm: a trial instance did not start: log: \u001bc\u001b[?7l\u001b[2J\u001b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1) | Booting from ROM...";
    assert.equal(
      toCsv([{ reason }]),
      "reason\nmicrovm: a trial instance did not start: log: SeaBIOS (version 1.16.2-debian-1.16.2-1) | Booting from ROM...\n",
    );
  });

  it("writes every row of the real quick run with the same number of fields", () => {
    const csv = toCsv(rows);
    const header = csv.split("\n")[0]?.split(",") ?? [];
    assert.equal(header.length, columns.length);
    assert.ok(csv.includes("go-native-io-1cpu-128mb-r1"));
  });
});
