/**
 * The end of a mocked `pulumi up`, for real: the pull-back (or the local target's summary) is
 * mocked by copying a captured results folder (analysis/fixtures/quick-run) where the run's results
 * go, and the report step really runs its script (`npm run report`'s CLI) on it. A program test
 * passes `endOfRun.stdout` to runProgram and checks that the outputs name a report that exists.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../core/paths";

export const CAPTURED_RUN = join(repoRoot, "analysis", "fixtures", "quick-run");

export interface EndOfRun {
  stdout: (name: string, inputs: Record<string, unknown>) => Promise<string | undefined>;
  /** Remove what the run left here (its results folder, its reports, its build folder's logs). */
  cleanUp(): void;
}

const runIdOf = (inputs: Record<string, unknown>) => String((inputs.triggers as unknown[] | undefined)?.[0] ?? "");

/** Cells by status in a folder, as the lab CLI counts them (one line of JSON). */
function counts(stack: string, runId: string): string {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "lab/runner/cli.ts", "counts", "--results", `results/${stack}`, "--run-id", runId],
    { cwd: repoRoot, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`counts failed: ${r.stderr}`);
  return r.stdout;
}

export function endOfRun(stack: string): EndOfRun {
  const made: { runId: string | null } = { runId: null };
  return {
    async stdout(name, inputs) {
      const pulls = name.endsWith("-results-pull") || name.endsWith("-results-summary");
      if (pulls) {
        const runId = runIdOf(inputs);
        made.runId = runId;
        const dest = join(repoRoot, "results", stack, runId);
        if (!existsSync(dest)) cpSync(CAPTURED_RUN, dest, { recursive: true });
        return counts(stack, runId);
      }
      if (name.endsWith("-report-make")) {
        const r = spawnSync("bash", ["-c", String(inputs.create)], { cwd: repoRoot, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`the report step failed: ${r.stderr}`);
        return r.stdout;
      }
      return undefined;
    },
    cleanUp() {
      if (made.runId === null) return;
      rmSync(join(repoRoot, "results", stack, made.runId), { recursive: true, force: true });
      const reports = join(repoRoot, "reports", stack);
      if (existsSync(reports)) {
        for (const name of readdirSync(reports)) {
          if (name.startsWith(made.runId)) rmSync(join(reports, name), { recursive: true, force: true });
        }
      }
      rmSync(join(repoRoot, "build", "pulumi", stack, "logs", "report.log"), { force: true });
      // The stack's folders too, when this run was all they held.
      for (const dir of [join(repoRoot, "results", stack), reports]) {
        if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
      }
    },
  };
}

/** What a program test checks at the end of a mocked `pulumi up` (see endOfRun). */
export function assertEndsWithReport(
  run: {
    outputs: Record<string, unknown>;
    resources: { name: string; type: string; inputs: Record<string, unknown> }[];
  },
  stack: string,
): void {
  const runId = String(run.outputs.runId);
  const results = String(run.outputs.resultsPath);
  const report = String(run.outputs.reportPath);
  assert.equal(results, `results/${stack}/${runId}`);
  assert.ok(existsSync(join(repoRoot, results, "manifest.json")), "the results are where resultsPath says");
  assert.match(report, new RegExp(`^reports/${stack}/${runId}(-\\d+)?/report\\.html$`));
  assert.ok(existsSync(join(repoRoot, report)), "the report exists where reportPath says");
  assert.match(
    String(run.outputs.summary),
    new RegExp(
      `^cells: \\d+ [a-z]+(, \\d+ [a-z-]+)*; paper claims: \\d+ reproduced, \\d+ not reproduced, \\d+ not measured; report: ${report.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`,
    ),
  );
  // pulumi destroy leaves both: neither the pull-back nor the report has a delete.
  const ends = run.resources.filter((r) => /-results-(pull|summary)$|-report-make$/.test(r.name));
  assert.ok(ends.some((r) => r.name.endsWith("-report-make")));
  for (const r of ends) assert.equal(r.inputs.delete, undefined, `${r.name} deletes nothing on destroy`);
}
