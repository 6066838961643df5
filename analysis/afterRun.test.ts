import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { reportAfterRun } from "./afterRun";
import { writeKnownEffectRun } from "./fixtures/knownEffects";

const root = mkdtempSync(join(tmpdir(), "analysis-after-run-"));

describe("reportAfterRun (the end of npm run lab)", () => {
  it("makes the report and prints where it is and at most five finding lines", async () => {
    // Go at four memory levels where GOMAXPROCS = CPUs closes each docker-nanos gap: more than five findings.
    const dir = writeKnownEffectRun(join(root, "results"), {
      runId: "after-run",
      seed: 2,
      noise: 0.005,
      runtimes: ["go"],
      platforms: ["docker", "nanos"],
      resources: [512, 256, 128, 64].map((memoryMB) => ({ cpus: 1, memoryMB })),
      knobVariants: [{ goMaxProcs: "cpus" }],
      throughput: (spec) => (spec.platform === "nanos" ? 30_000 : spec.knobs.goMaxProcs === "cpus" ? 28_000 : 20_000),
    });
    const { ok, lines } = await reportAfterRun(dir, join(root, "reports"));
    assert.equal(ok, true);
    assert.equal(lines[0], `report: ${join(root, "reports", "after-run", "report.html")}`);
    assert.ok(existsSync(join(root, "reports", "after-run", "report.md")));
    // The claims this run cannot measure: one line per reason, as on the report's first screen.
    const reasons = lines.slice(lines.indexOf("not measured here:") + 1, lines.indexOf("findings:"));
    assert.ok(reasons.length > 0, lines.join("\n"));
    for (const line of reasons) assert.match(line, /^ {2}\d+ claims? (need|needs|has|have) /);
    assert.equal(new Set(reasons).size, reasons.length, "one line per reason");
    const findings = lines.slice(lines.indexOf("findings:") + 1);
    assert.equal(findings.length, 5);
    assert.match(
      findings[0] ?? "",
      /^ {2}GOMAXPROCS = CPU limit closes \d+% \[\d+, \d+\] of the Go io docker-nanos throughput gap at 1 CPU, 512 MB$/,
    );
    assert.match(findings[4] ?? "", /^ {2}\.\.\. and \d+ more finding\(s\) in the report$/);
  });

  it("a report that cannot be made is one line, never an exception", async () => {
    const { ok, lines } = await reportAfterRun(join(root, "no-such-run"), join(root, "reports"));
    assert.equal(ok, false);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /^report not made \(.+\); make it with: npm run report -- .*no-such-run$/);
  });
});
