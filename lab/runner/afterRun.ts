/**
 * The runner's one way to the report. `npm run lab` makes the report of a finished run through
 * here, and only here does the engine reach `analysis/` (loaded only after a run, so a report
 * problem cannot stop a sweep). Tests hand `main` their own.
 */
export type ReportAfterRun = (runDir: string, reportsRoot: string) => Promise<{ ok: boolean; lines: string[] }>;

/** analysis/afterRun.ts: the report's files and its findings in a few lines; never throws. */
export const reportWithAnalysis: ReportAfterRun = async (runDir, reportsRoot) =>
  (await import("../../analysis/afterRun.js")).reportAfterRun(runDir, reportsRoot);
