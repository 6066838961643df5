/** How host pairs agree, read from a run folder laid out as the Pulumi lab's pull-back merges it. */
import assert from "node:assert/strict";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadPaperReference } from "../core/paper/reference";
import { analyze } from "./analyze";
import { renderHtml } from "./html";
import { renderMarkdown } from "./markdown";
import { pairAgreement, pairAgreementMarkdown } from "./pairs";
import { readRuns } from "./read";

const FIXTURE = join(__dirname, "fixtures", "quick-run");
const ID = "04e5b14d705c7643"; // a captured go-native-io cell

describe("pair agreement", () => {
  it("compares every pair's run of the calibration cell with the owner's", () => {
    const run = mkdtempSync(join(tmpdir(), "pairs-"));
    mkdirSync(join(run, "cells"));
    const owner = JSON.parse(readFileSync(join(FIXTURE, "cells", `${ID}.json`), "utf8"));
    writeFileSync(join(run, "cells", `${ID}.json`), JSON.stringify({ ...owner, pair: 1 }));
    for (const [pair, factor] of [
      [2, 0.95],
      [3, 1.02],
    ] as const) {
      const dir = join(run, "calibration", `pair-${pair}`, "cells");
      mkdirSync(dir, { recursive: true });
      const load = { ...owner.load, throughputRps: owner.load.throughputRps * factor };
      writeFileSync(join(dir, `${ID}.json`), JSON.stringify({ ...owner, pair, load }));
    }
    const a = pairAgreement(run);
    assert.ok(a);
    assert.equal(a.cellName, "go-native-io-1cpu-128mb-r1");
    assert.deepEqual(
      a.rows.map((r) => [r.pair, r.throughputDeltaPct]),
      [
        [1, 0],
        [2, -5],
        [3, 2],
      ],
    );
    const md = pairAgreementMarkdown(a);
    assert.match(md, /\| 2 \| ok \| \d+ \| [\d.]+ \| [\d.]+ \| -5\.0% \|/);
    assert.match(md, /\| 3 \| ok \| \d+ \| [\d.]+ \| [\d.]+ \| \+2\.0% \|/);
  });

  it("says there is nothing to compare for a run on one pair", () => {
    const run = mkdtempSync(join(tmpdir(), "pairs-"));
    mkdirSync(join(run, "cells"));
    copyFileSync(join(FIXTURE, "cells", `${ID}.json`), join(run, "cells", `${ID}.json`));
    assert.equal(pairAgreement(run), null);
  });

  it("the report shows how the pairs agree", () => {
    const run = mkdtempSync(join(tmpdir(), "pairs-report-"));
    cpSync(FIXTURE, run, { recursive: true });
    const owner = JSON.parse(readFileSync(join(FIXTURE, "cells", `${ID}.json`), "utf8"));
    const dir = join(run, "calibration", "pair-2", "cells");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${ID}.json`), JSON.stringify({ ...owner, pair: 2 }));
    const analysis = analyze(readRuns([run]), loadPaperReference());
    assert.equal(analysis.hostPairs.length, 1);
    const meta = { name: "t", generatedAt: "now", csvFile: "c", scenariosCsvFile: "s", figuresDir: "f" };
    assert.match(renderMarkdown(analysis, [], meta), /## How the host pairs agree\n\nCalibration cell `go-native-io/);
    assert.match(renderHtml(analysis, [], meta), /<h3>How the host pairs agree<\/h3>/);
  });
});
