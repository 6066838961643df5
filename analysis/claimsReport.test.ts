import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { loadPaperReference } from "../core/paper/reference";
import { analyze } from "./analyze";
import { groupLine, whyNotRun } from "./claimReasons";
import { QUICK_SHAPED_SKIPS, writeQuickShapedRun } from "./fixtures/quickShaped";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { readRuns } from "./read";
import { generateReport } from "./report";

const root = mkdtempSync(join(tmpdir(), "analysis-claims-report-"));
const reference = loadPaperReference();

describe("the claims this run cannot measure, one line per reason", () => {
  let quick = "";
  before(() => {
    quick = writeQuickShapedRun(join(root, "results"));
  });

  it("groups the quick run's 31 unmeasured claims by the platform that did not run and the cells the profile lacks", () => {
    const a = analyze(readRuns([quick]), reference);
    assert.equal(a.claims.filter((c) => c.verdict === "not measured").length, a.claims.length);
    assert.deepEqual(a.unmeasured.map(groupLine), [
      `27 claims need nanos (kernel own, isolation vm), which did not run here: ${QUICK_SHAPED_SKIPS.nanos}; this host's KVM cannot run guests (KVM_CREATE_VM succeeded but KVM_RUN failed: nested virtualisation is off)`,
      "4 claims need cells this run's profile does not plan: docker compute at 1 CPU with 512 and 64 MB; docker io at 1 CPU with 512, 128 and 64 MB",
    ]);
    assert.equal(
      a.unmeasured.reduce((n, g) => n + g.claims.length, 0),
      a.claims.length,
    );
  });

  it("says why from what the run recorded and the platform's class: KVM only for a VM, the profile when it left the platform out", () => {
    const input = readRuns([quick]);
    const a = analyze(input, reference);
    // nanos's recorded reason names ops only: its class (a VM) adds the host's KVM probe.
    assert.match(whyNotRun("nanos", input.runs, a.scenarios), /ops not installed; this host's KVM cannot run guests/);
    // the microVM's own reason already names /dev/kvm: not said twice.
    assert.equal(whyNotRun("microvm", input.runs, a.scenarios), QUICK_SHAPED_SKIPS.microvm);
    const dockerOnly = writeSyntheticRun(join(root, "results"), {
      ...paperRunOptions("docker-only", 2),
      profile: { platforms: ["docker"] },
    });
    const b = analyze(readRuns([dockerOnly]), reference);
    assert.match(
      b.unmeasured[0] ? groupLine(b.unmeasured[0]) : "",
      /need nanos .*: the paper profile does not include nanos$/,
    );
  });

  it("a run with every platform names no reason and lists every claim with its verdict", () => {
    const a = analyze(readRuns([writeSyntheticRun(join(root, "results"), paperRunOptions("full", 3))]), reference);
    assert.deepEqual(
      a.unmeasured.map((g) => g.claims.map((c) => c.claim.id)),
      [],
      "the paper's design measures every claim",
    );
  });
});

describe("the report's first screen on a run without Nanos", () => {
  let html = "";
  let md = "";
  before(async () => {
    const result = await generateReport({
      runDirs: [writeQuickShapedRun(join(root, "results"), "first-screen")],
      reportsRoot: join(root, "reports"),
    });
    html = readFileSync(result.html, "utf8");
    md = readFileSync(result.markdown, "utf8");
  });

  it("says in two lines why no claim is measured, then the local analogues this run answers, with every claim one click away", () => {
    const start = html.indexOf('<h2 id="claims">');
    const details = html.indexOf("<details><summary>Every claim of the paper (31)", start);
    assert.ok(start > 0 && details > start, "the claims block and its full list");
    const firstScreen = html.slice(0, details);
    assert.ok(start < html.indexOf('<h2 id="explain">'), "the claims come before what explains the gap");
    assert.doesNotMatch(firstScreen, /b-na">not measured</, "no row of 'not measured' before the full list");
    assert.match(firstScreen, /None of the paper's 31 claims can be measured in this run:/);
    assert.match(firstScreen, /<li><strong>27 claims<\/strong> need nanos \(kernel own, isolation vm\)/);
    assert.match(firstScreen, /<li><strong>4 claims<\/strong> need cells this run's profile does not plan/);
    assert.match(firstScreen.slice(start), /local-node-heap-fit-failures/, "an answered analogue takes their place");
    const full = html.slice(details, html.indexOf("<h3>Significant crossovers</h3>", details));
    assert.equal((full.match(/b-na">not measured</g) ?? []).length, 31, "the full list keeps every claim");
    assert.match(html, /<div class="v">0 of 31<\/div><div class="k">paper claims measurable here<\/div>/);
  });

  it("report.md says the same after the findings, and lists every claim further down", () => {
    const section = md.slice(md.indexOf("## The paper's claims in this run"), md.indexOf("### Every claim"));
    assert.match(section, /^- 27 claims need nanos/m);
    assert.match(section, /^- 4 claims need cells/m);
    assert.doesNotMatch(section, /\| not measured \|/);
    assert.match(section, /local-node-heap-fit-failures/);
    assert.ok(md.indexOf("## The paper's claims in this run") < md.indexOf("## What explains the gap"));
  });
});
