import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadPaperReference } from "../core/paperReference";
import { loadRevision } from "../lab/config/revision";
import { generatorCeilingWarning, paperPeak } from "./generatorCeiling";

const reference = loadPaperReference();
const revision = loadRevision("paper-2025");
const paper = revision.profiles.paper;
if (!paper) throw new Error("the paper revision has a paper profile");

describe("the load generator's ceiling at plan time", () => {
  it("finds the highest throughput the paper published for the profile's cells", () => {
    const peak = paperPeak(paper, reference);
    assert.ok(peak && peak.rps >= 148_822, `peak ${peak?.rps} (${peak?.id})`);
    const nodeOnly = paperPeak({ ...paper, runtimes: ["node"], resources: [{ cpus: 1, memoryMB: 64 }] }, reference);
    assert.ok(nodeOnly && nodeOnly.rps < (peak?.rps ?? 0), "only the profile's own cells count");
  });

  it("warns when k6 on the load generator's cores stays below it, naming both figures", () => {
    const warning = generatorCeilingWarning("k6", 4, paper, reference);
    assert.match(
      warning ?? "",
      /^k6 on the load generator's 4 cores reaches about 28,960 ok req\/s \(7,240 per core, measured\), below the 148,823 req\/s the paper published for this profile \(go-docker-io-rich-throughput\)/,
    );
  });

  it("says nothing when the estimate reaches the peak, or when the cores are unknown", () => {
    assert.equal(generatorCeilingWarning("wrk", 8, paper, reference), null);
    assert.equal(generatorCeilingWarning("k6", null, paper, reference), null);
  });
});
