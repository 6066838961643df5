/**
 * The lab CLI's queries (`npm run lab -- <query> [flags]`): what the Pulumi lab's scripts ask of a
 * plan, a results folder and the built artifacts, each answered by the lab's own code
 * (lab/results/queries.ts over the one reader) and printed as one line of JSON or one id per line,
 * so the scripts stay shell and carry no program of their own.
 */
import { resolve } from "node:path";
import { parseFlags, positiveInt, UsageError } from "../../core/cli/args";
import { profileOf } from "../../core/config/profileLookup";
import { DEFAULT_REVISION_ID } from "../../core/config/revision";
import type { Cell } from "../../core/matrix";
import { repoRoot } from "../../core/paths";
import { runIdProblem } from "../../core/results/runId";
import { artifactsDir } from "../../workloads/artifacts/build";
import { loadRevision } from "../config/revision";
import { expandMatrix } from "../matrix";
import { artifactSizes, cellSummary, mergePair, planState, runCounts } from "../results/queries";

export const QUERY_USAGE = `queries (one line of JSON, or one cell per line; what the Pulumi lab's scripts ask):
  cells [--revision ID|FILE] [--profile NAME]
                        the plan's cells: id and name, one per line
  plan-check --run-id ID [--results DIR] [--revision ID|FILE] [--profile NAME]
                        "new" (no manifest yet) or "existing" (planned with exactly
                        these cells); a run planned with other cells is refused
  cell --run-id ID --cell CELL_ID [--results DIR]
                        one recorded cell: {"id","name","status","flags","pair"}
  counts --run-id ID [--results DIR]
                        the run's cells by status: {"ok":170,"oom":6}
  artifact-sizes [--revision ID|FILE]
                        each built artifact: runtime, kind, status, ref and sizes
  merge-pair --run-id ID --from DIR --pair N --cells ID,... [--calibration ID] [--results DIR]
                        a host pair's cells from its copy of the run into the run folder`;

type Print = (line: string) => void;

const common = {
  results: { type: "string", default: "results" },
  "run-id": { type: "string" },
  revision: { type: "string" },
  profile: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

function runIdOf(raw: string | undefined, query: string): string {
  if (raw === undefined) throw new UsageError(`${query} needs --run-id ID\n${QUERY_USAGE}`);
  const problem = runIdProblem(raw);
  if (problem) throw new UsageError(`--run-id: ${problem}`);
  return raw;
}

function required(flag: string, raw: string | undefined, query: string): string {
  if (raw === undefined || raw === "") throw new UsageError(`${query} needs --${flag}\n${QUERY_USAGE}`);
  return raw;
}

/** The cells `--plan-only` plans for this revision and profile (no selection: the whole profile). */
function planCells(revision: string | undefined, profileName: string | undefined): Cell[] {
  const loaded = loadRevision(revision ?? DEFAULT_REVISION_ID);
  const profile = profileOf(loaded, profileName ?? "quick", (problem) => new UsageError(problem));
  return expandMatrix(profile, loaded.id);
}

const QUERIES: Record<string, (args: string[], print: Print) => void> = {
  cells(args, print) {
    const v = parseFlags({ ...common }, QUERY_USAGE, args);
    for (const cell of planCells(v.revision, v.profile)) print(`${cell.id} ${cell.name}`);
  },
  "plan-check"(args, print) {
    const v = parseFlags({ ...common }, QUERY_USAGE, args);
    const runId = runIdOf(v["run-id"], "plan-check");
    print(planState(resolve(repoRoot, v.results, runId), planCells(v.revision, v.profile)));
  },
  cell(args, print) {
    const v = parseFlags({ ...common, cell: { type: "string" } }, QUERY_USAGE, args);
    const runId = runIdOf(v["run-id"], "cell");
    const id = required("cell", v.cell, "cell");
    if (!/^[0-9a-f]{16}$/.test(id)) throw new UsageError(`--cell ${JSON.stringify(id)}: use a cell id (16 hex digits)`);
    print(JSON.stringify(cellSummary(resolve(repoRoot, v.results, runId), id)));
  },
  counts(args, print) {
    const v = parseFlags({ ...common }, QUERY_USAGE, args);
    print(JSON.stringify(runCounts(resolve(repoRoot, v.results, runIdOf(v["run-id"], "counts")))));
  },
  "artifact-sizes"(args, print) {
    const v = parseFlags({ ...common }, QUERY_USAGE, args);
    const revision = loadRevision(v.revision ?? DEFAULT_REVISION_ID);
    print(JSON.stringify(artifactSizes(resolve(artifactsDir(revision), "manifest.json"))));
  },
  "merge-pair"(args, print) {
    const v = parseFlags(
      {
        ...common,
        from: { type: "string" },
        pair: { type: "string" },
        cells: { type: "string" },
        calibration: { type: "string" },
      },
      QUERY_USAGE,
      args,
    );
    const runId = runIdOf(v["run-id"], "merge-pair");
    const cells = v.cells === undefined ? undefined : v.cells.split(",").filter((c) => c !== "");
    if (cells === undefined) throw new UsageError(`merge-pair needs --cells (the pair's cell ids, comma-separated)`);
    const pair = positiveInt("pair", required("pair", v.pair, "merge-pair"));
    const outcome = mergePair({
      from: resolve(repoRoot, required("from", v.from, "merge-pair")),
      into: resolve(repoRoot, v.results, runId),
      cells,
      calibration: v.calibration || null,
      pair,
    });
    for (const problem of outcome.problems) process.stderr.write(`not merged: ${problem}\n`);
    print(JSON.stringify({ pair, merged: outcome.merged, problems: outcome.problems.length }));
  },
};

export function isQuery(word: string | undefined): word is string {
  return word !== undefined && Object.hasOwn(QUERIES, word);
}

export function runQuery(query: string, args: string[], print: Print): void {
  if (args.includes("--help") || args.includes("-h")) {
    print(QUERY_USAGE);
    return;
  }
  (QUERIES[query] as (args: string[], print: Print) => void)(args, print);
}
