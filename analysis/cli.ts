import { join, relative, resolve } from "node:path";
import { folderFlag, parseCommandLine, runMain, shown, UsageError } from "../core/cli/args";
import { repoRoot } from "../core/paths";
import { groupLine } from "./claimReasons";
import { summaryLines } from "./findings";
import { newestRun } from "./read";
import { generateReport } from "./report";

const usage = `usage: npm run report -- [runDir ...] [options]
  runDir            results/<runId> or results/<stack>/<runId> folder(s); several are merged by cell id
                    (default: the newest run under --results, a Pulumi stack's runs included)
  --name NAME       report folder name (default: the run id, or the ids of a merge)
  --out DIR         where report folders go (default reports/)
  --results DIR     results root searched when no runDir is given (default results/)`;

function options(argv: string[]) {
  return parseCommandLine(
    {
      name: { type: "string" },
      out: { type: "string" },
      results: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    usage,
    argv,
  );
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values, positionals } = options(argv);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  // npm runs scripts from the package root; paths the user typed are relative to where they typed them.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  let runDirs = positionals.map((p) => resolve(cwd, p));
  if (runDirs.length === 0) {
    const root = values.results
      ? folderFlag("results", values.results, resolve(cwd, values.results))
      : join(repoRoot, "results");
    const newest = newestRun(root);
    if (!newest) throw new UsageError(`no run folder given and none found under ${root}\n${usage}`);
    process.stdout.write(`no run folder given: using the newest run under ${relative(cwd, root) || "."}: ${newest}\n`);
    runDirs = [newest];
  }
  if (values.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/.test(values.name)) {
    throw new UsageError(
      `--name ${shown(values.name)} is not allowed: use letters, digits, '.', '_', '+' and '-' (a folder name, at most 200)`,
    );
  }
  const result = await generateReport({
    runDirs,
    reportsRoot: values.out ? folderFlag("out", values.out, resolve(cwd, values.out)) : join(repoRoot, "reports"),
    name: values.name,
  });
  const a = result.analysis;
  for (const error of a.input.errors) process.stderr.write(`error: ${error}\n`);
  for (const warning of a.warnings) process.stderr.write(`warning: ${warning}\n`);
  const verdict = (v: string) => a.claims.filter((c) => c.verdict === v).length;
  process.stdout.write(
    [
      `read ${a.input.cells.length} cells from ${a.input.runs.length} run(s) into ${a.scenarios.length} scenarios` +
        (a.input.errors.length > 0 ? ` (${a.input.errors.length} file(s) could not be used)` : ""),
      ...a.pairs
        .filter((p) => p.crossovers.length > 0)
        .map((p) => `crossover: ${p.runtime} ${p.workload} ${p.cpus} CPU ${p.metric}: ${p.summary}`),
      "findings:",
      ...summaryLines(a.findings, 5).map((line) => `  ${line}`),
      `paper claims: ${verdict("reproduced")} reproduced, ${verdict("not reproduced")} not reproduced, ${verdict("not measured")} not measured`,
      ...a.unmeasured.map((g) => `  ${groupLine(g)}`),
      `${result.figures.length} figures`,
      `report: ${result.html}`,
      `summary: ${result.markdown}`,
      `tidy data: ${result.csv}`,
      "",
    ].join("\n"),
  );
}

if (require.main === module) runMain(() => main());
