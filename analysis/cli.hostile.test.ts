/**
 * Hostile command lines for `npm run report`: run folders, --results, --out and --name given as
 * hostile strings (traversal, files, unicode, shell metacharacters, empty). Each ends in exit 2 with
 * one message and no stack trace, and no report folder is made anywhere.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { failure } from "../core/cli/args";
import { repoRoot } from "../core/paths";
import {
  brief,
  caseCount,
  HOSTILE_SEED,
  Rng,
  randomString,
  replay,
  runInProcess,
  STACK_FRAME,
  snapshotTree,
} from "../core/testing/hostile";
import { main } from "./cli";

const work = mkdtempSync(join(tmpdir(), "hostile-report-"));
const out = join(work, "reports");
const reportsBefore = snapshotTree(join(repoRoot, "reports"));

/** The report CLI in-process, relative paths taken from an empty folder (as npm's INIT_CWD). */
async function report(argv: string[]) {
  const cwd = process.env.INIT_CWD;
  process.env.INIT_CWD = work;
  try {
    return await runInProcess(main, argv, failure);
  } finally {
    if (cwd === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = cwd;
  }
}

describe(`npm run report: hostile command lines (seed ${HOSTILE_SEED})`, () => {
  after(() => {
    assert.deepEqual(snapshotTree(work), new Map(), "nothing was written under the test's folder");
    assert.deepEqual(snapshotTree(join(repoRoot, "reports")), reportsBefore, "nor under the checkout's reports/");
    rmSync(work, { recursive: true, force: true });
  });

  it("the holes found: a file as --results or --out, a name that is a path", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--results", "/etc/passwd"], /^--results "\/etc\/passwd" is not allowed: it is a file; give a folder$/m],
      [["nowhere", "--out", "/etc/passwd"], /^--out "\/etc\/passwd" is not allowed: it is a file/m],
      [["nowhere", "--name", "../../x", "--out", out], /^--name "\.\.\/\.\.\/x" is not allowed: use letters, digits/m],
      [["nowhere", "--name", "-", "--out", out], /^--name "-" is not allowed/m],
      [["nowhere", "--name", "-x", "--out", out], /^Option '--name' argument is ambiguous/m],
      [["--name", "", "--out", out], /^--name "": give a value$/m],
      [["--frobnicate"], /^Unknown option '--frobnicate'/m],
    ];
    for (const [argv, message] of cases) {
      const r = await report(argv);
      assert.equal(r.code, 2, `${argv.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, argv.join(" "));
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    }
  });

  it("random folders, roots and names end in exit 2 naming what was wrong", async () => {
    const rng = new Rng(HOSTILE_SEED + 10);
    for (let i = 0; i < caseCount(60); i++) {
      const value = randomString(rng);
      const flag = rng.pick(["run folder", "--results", "--out", "--name"] as const);
      const argv =
        flag === "run folder"
          ? [value, "--out", out]
          : flag === "--results"
            ? // below the test's folder whatever the value: "/" as a look-alike, so ".." cannot climb out
              ["--results", join(work, "roots", value.replaceAll("/", "\u2215")), "--out", out]
            : [
                join(work, "no-such-run"),
                flag,
                flag === "--out" ? join(work, value) : value,
                ...(flag === "--name" ? ["--out", out] : []),
              ];
      const r = await report(argv);
      const what = `case ${i}: ${flag} ${brief(value)}`;
      // "-h" or "--help" as a folder asks for the usage, which is an answer too.
      const help = r.code === 0 && !r.threw && r.stdout.startsWith("usage: npm run report");
      assert.ok(help || (r.threw && r.code === 2), replay(`${what}: exit ${r.code}\n${r.stderr}`));
      assert.doesNotMatch(r.stderr, STACK_FRAME, replay(what));
      assert.ok(existsSync(out) === false, replay(`${what}: a report folder was made`));
    }
  });
});
