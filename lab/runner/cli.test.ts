/** Bad command lines get one clear message naming the flag, the value and what is allowed (exit 2). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../core/paths";

const results = mkdtempSync(join(tmpdir(), "cli-"));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "lab/runner/cli.ts", "--results", results, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("npm run lab: bad input", () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["--platform", "docker,lxc"],
      /^--platform "docker,lxc": lxc not allowed; use any of native, docker, gvisor, microvm, nanos$/m,
    ],
    [["--memory", "256,12x"], /^--memory "256,12x": "12x" is not allowed; use whole MB like 256,128$/m],
    [
      ["--profile", "fancy"],
      /^profile "fancy" is not in revision paper-2025: use one of paper, paper-2x2, quick, attribution, paper-attribution$/m,
    ],
    [["--generator", "ab"], /^--generator "ab" is not allowed: use k6, wrk, autocannon, auto$/m],
    [["--cross-check", "auto"], /^--cross-check "auto" is not allowed: use k6, wrk, autocannon$/m],
    [["--resume", "x", "--profile", "paper"], /^--resume takes the run's own settings: drop --profile$/m],
    [["--resume", "x", "--generator", "wrk"], /^--resume takes the run's own settings: drop --generator$/m],
    [["--cell", "abc"], /^--cell picks cells of an existing run: use it with --resume RUN_ID$/m],
    [["--bind-address", "localhost"], /^--bind-address "localhost" is not allowed: use an IPv4 address/m],
    [["--resume", "no-such-run"], /no-such-run is not a run folder: manifest\.json is missing/],
    [["--memory", "999", "--dry-run"], /^the selection leaves no cell to run/m],
    [["--frobnicate"], /Unknown option '--frobnicate'/],
  ];
  for (const [args, message] of cases) {
    it(args.join(" "), () => {
      const r = lab(...args);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace for bad input");
    });
  }

  it("--dry-run prints the plan and an estimate, and runs nothing", () => {
    const r = lab("--dry-run", "--platform", "native", "--memory", "128");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /9 cells: 0 already recorded, 9 to run, 0 skipped; estimated \d+s/);
  });
});
