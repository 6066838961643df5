import { resolve } from "node:path";
import { runMain, UsageError } from "../../core/cli/args";
import { validateRun } from "./validate";

runMain(async () => {
  const dirs = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  if (dirs.length === 0) throw new UsageError("usage: npm run results:validate -- results/<runId> [...]");
  let bad = 0;
  for (const dir of dirs) {
    const report = validateRun(resolve(dir));
    const counts = new Map<string, number>();
    for (const c of report.cells) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
    process.stdout.write(
      `${dir}: ${report.cells.length} cells (${[...counts].map(([s, n]) => `${n} ${s}`).join(", ") || "none"}), ` +
        `${report.missing.length} not yet run, ${report.problems.length} problems\n`,
    );
    for (const problem of report.problems) process.stdout.write(`  problem: ${problem}\n`);
    for (const name of report.missing) process.stdout.write(`  not yet run: ${name}\n`);
    if (report.problems.length > 0) bad++;
  }
  if (bad > 0) process.exit(1);
});
