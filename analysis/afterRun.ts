/**
 * What `npm run lab` prints after a completed run: where the report is, one line per reason the
 * run could not measure some of the paper's claims (as the report's first screen says it), and at
 * most five lines of findings. Never throws: a report that cannot be made is one line, and the run's exit code stands.
 */
import { groupLine } from "./claimReasons";
import { summaryLines } from "./findings";
import { generateReport } from "./report";

export async function reportAfterRun(runDir: string, reportsRoot: string): Promise<{ ok: boolean; lines: string[] }> {
  try {
    const result = await generateReport({ runDirs: [runDir], reportsRoot });
    return {
      ok: true,
      lines: [
        `report: ${result.html}`,
        `summary: ${result.markdown}`,
        ...(result.analysis.unmeasured.length > 0 ? ["not measured here:"] : []),
        ...result.analysis.unmeasured.map((group) => `  ${groupLine(group)}`),
        "findings:",
        ...summaryLines(result.analysis.findings, 5).map((line) => `  ${line}`),
      ],
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    return { ok: false, lines: [`report not made (${reason}); make it with: npm run report -- ${runDir}`] };
  }
}
