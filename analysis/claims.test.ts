import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadPaperReference } from "../core/paper/reference";
import { analyze } from "./analyze";
import { CLAIM_CHECKS, checkClaims } from "./claims";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { measuresFromPaper } from "./measures";
import { readRuns } from "./read";

const reference = loadPaperReference();

describe("paper claims", () => {
  it("has a check for every claim in paper-reference.yaml", () => {
    const missing = reference.claims.filter((c) => !CLAIM_CHECKS[c.id]).map((c) => c.id);
    assert.deepEqual(missing, []);
  });

  it("on the paper's own numbers: every claim it has the numbers for holds, except the one the paper contradicts", () => {
    const verdicts = checkClaims(reference.claims, measuresFromPaper(reference));
    const by = (v: string) => verdicts.filter((x) => x.verdict === v).map((x) => x.claim.id);
    // The paper prints ~6,000 (Docker) and 41,167.76 (Nanos) req/s for Go I/O at 128 MB: 6.9x, not
    // the "order of magnitude" V-D claims; it also prints no Go Nanos compute number at 1 CPU.
    assert.deepEqual(by("not reproduced"), []);
    assert.equal(by("reproduced").length, 21, `reproduced: ${by("reproduced").join(", ")}`);
    for (const v of verdicts.filter((x) => x.verdict === "not measured")) {
      assert.ok(v.missing.length > 0, `${v.claim.id} is not measured but names nothing missing`);
      assert.match(v.note, /this run has no M\(/);
    }
    assert.ok(by("not measured").includes("go-nanos-order-of-magnitude-1cpu"));
  });

  it("on a synthetic run from the paper's numbers: reproduced, except the strict order-of-magnitude reading", () => {
    const root = mkdtempSync(join(tmpdir(), "analysis-claims-"));
    const runDir = writeSyntheticRun(root, paperRunOptions("paper", 3, 0.005, 1));
    const a = analyze(readRuns([runDir]), reference);
    const notReproduced = a.claims.filter((c) => c.verdict !== "reproduced").map((c) => c.claim.id);
    assert.deepEqual(notReproduced, ["go-nanos-order-of-magnitude-1cpu"]);
    const knee = a.claims.find((c) => c.claim.id === "go-io-1cpu-nanos-memory-knee");
    assert.match(knee?.detail ?? "", /drop 256 -> 128 MB = 41\.\d% \(paper 41.53%/);
    assert.ok((knee?.inputs.length ?? 0) >= 3, "the inputs behind the verdict are listed");
    const row = a.paperRows.find((r) => r.paper.id === "node-docker-io-1cpu-64mb-throughput");
    assert.ok(row?.ratio && Math.abs(row.ratio - 1) < 0.02, `ratio ${row?.ratio}`);
  });

  it("marks an unknown claim id as not measured, with a note", () => {
    const [v] = checkClaims(
      [{ id: "made-up-claim", statement: "s", section: "X", quote: "q", check: "c" }],
      measuresFromPaper(reference),
    );
    assert.equal(v?.verdict, "not measured");
    assert.match(v?.note ?? "", /no check is implemented for claim id made-up-claim/);
  });
});
