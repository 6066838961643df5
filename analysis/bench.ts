/**
 * How long `npm run report` takes on a large run: a synthetic run of the paper's design with 17
 * repetitions (1,020 cells), reported several times; prints each time and the median. Target:
 * under 3 s per report (read, statistics, 12 figures as SVG and PNG, HTML, Markdown, CSV).
 *
 *   npm run bench:report -- [--runs 5] [--repetitions 17]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median } from "simple-statistics";
import { paperRunOptions, writeSyntheticRun } from "./fixtures/synthetic";
import { generateReport } from "./report";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5" }, repetitions: { type: "string", default: "17" } },
  });
  const runs = Number(values.runs);
  const repetitions = Number(values.repetitions);
  const root = mkdtempSync(join(tmpdir(), "report-bench-"));
  try {
    const runDir = writeSyntheticRun(join(root, "results"), { ...paperRunOptions("bench", repetitions, 0.02, 7) });
    const times: number[] = [];
    let cells = 0;
    let figures = 0;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const result = await generateReport({ runDirs: [runDir], reportsRoot: join(root, "reports") });
      times.push((performance.now() - started) / 1000);
      cells = result.analysis.input.cells.length;
      figures = result.figures.length;
      process.stdout.write(`run ${i + 1}: ${times[i]?.toFixed(2)} s\n`);
    }
    process.stdout.write(
      `report of ${cells} cells (${figures} figures, SVG + PNG): median ${median(times).toFixed(2)} s over ${runs} runs ` +
        `(first run includes loading vega and resvg: ${times[0]?.toFixed(2)} s); target < 3 s\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
