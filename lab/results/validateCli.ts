import { resolve } from "node:path";
import { parseCommandLine, runMain, UsageError } from "../../core/cli/args";
import { validateRun } from "./validate";

const usage = "usage: npm run results:validate -- results/<runId> [...]";

/** Check run folders; exit code 1 when one has problems (a usage error is 2). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values, positionals: dirs } = parseCommandLine(
    { help: { type: "boolean", short: "h", default: false } },
    usage,
    argv,
  );
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (dirs.length === 0) throw new UsageError(usage);
  const empty = dirs.find((d) => d.trim() === "");
  if (empty !== undefined) throw new UsageError(`a run folder is "": give results/<runId>\n${usage}`);
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
  if (bad > 0) process.exitCode = 1;
}

if (require.main === module) runMain(() => main());
