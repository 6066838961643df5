/**
 * The one test command (`npm test` runs it after the linters): every *.test.ts beside the code,
 * on Node's own test runner. `--fast` leaves out *.integration.test.ts (Docker, real processes).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "../core/paths";

const SKIP_DIRS = new Set(["node_modules", ".git"]);
/** What the lab writes at the repository's top (code folders of the same name, like core/results, are searched). */
const SKIP_TOP_DIRS = new Set(["build", ".cache", "results", "reports"]);

function findTests(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      const skip = SKIP_DIRS.has(entry.name) || (dir === repoRoot && SKIP_TOP_DIRS.has(entry.name));
      if (!skip) findTests(join(dir, entry.name), found);
    } else if (entry.name.endsWith(".test.ts")) found.push(relative(repoRoot, join(dir, entry.name)));
  }
  return found;
}

const fast = process.argv.includes("--fast");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const files = findTests(repoRoot)
  .filter((f) => !fast || !f.endsWith(".integration.test.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) {
  process.stderr.write("no test files matched\n");
  process.exit(1);
}
/** The user's own results and reports: a test writes into tmp dirs, never here. */
const USER_DIRS = ["results", "reports"];
const entries = (dir: string): string[] =>
  existsSync(join(repoRoot, dir)) ? readdirSync(join(repoRoot, dir)).map((name) => `${dir}/${name}`) : [];
const before = new Set(USER_DIRS.flatMap(entries));
// Integration tests share the Docker engine and two cores: one file at a time keeps timings sane.
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
  { cwd: repoRoot, stdio: "inherit" },
);
const added = USER_DIRS.flatMap(entries).filter((entry) => !before.has(entry));
if (added.length > 0) {
  process.stderr.write(
    `tests wrote into the checkout's own folders (a test must use a tmp dir, e.g. --results and --reports): ${added.join(", ")}\n`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);
