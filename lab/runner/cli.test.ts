/** Bad command lines get one clear message naming the flag, the value and what is allowed (exit 2). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { paperRunOptions, writeSyntheticRun } from "../../analysis/fixtures/synthetic";
import { repoRoot } from "../../core/paths";
import type { ReportAfterRun } from "./afterRun";
import { main } from "./cli";
import { planRun } from "./prepare";

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
      /^--platform "docker,lxc": lxc not allowed; use any of native, docker, gvisor, microvm, nanos, nanos-direct$/m,
    ],
    [["--memory", "256,12x"], /^--memory "256,12x": "12x" is not allowed; use whole MB like 256,128$/m],
    [
      ["--profile", "fancy"],
      /^profile "fancy" is not in revision paper-2025: use one of paper, paper-2x2, quick, attribution, paper-attribution, floor, vm-row$/m,
    ],
    [["--generator", "ab"], /^--generator "ab" is not allowed: use k6, wrk, autocannon, auto$/m],
    [["--cross-check", "auto"], /^--cross-check "auto" is not allowed: use k6, wrk, autocannon$/m],
    [["--resume", "x", "--profile", "paper"], /^--resume takes the run's own settings: drop --profile$/m],
    [["--resume", "x", "--generator", "wrk"], /^--resume takes the run's own settings: drop --generator$/m],
    [["--cell", "abc"], /^--cell picks cells of an existing run: use it with --resume RUN_ID$/m],
    [["--bind-address", "localhost"], /^--bind-address "localhost" is not allowed: use an IPv4 address/m],
    [["--resume", "no-such-run"], /no-such-run is not a run folder: it does not exist/],
    [["--resume", "../elsewhere"], /^--resume "\.\.\/elsewhere" is not allowed: use letters, digits/m],
    [["--run-id", "a b", "--dry-run"], /^--run-id "a b" is not allowed: use letters, digits/m],
    [["--pair", "2"], /^--pair names the host pair resuming a run: use it with --resume RUN_ID$/m],
    [["--resume", "x", "--pair", "0"], /^--pair "0": use a whole number of 1 or more$/m],
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

/** `npm run lab -- QUERY ...`: the query word comes first. */
function query(name: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "lab/runner/cli.ts", name, "--results", results, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("npm run lab -- QUERY: what the Pulumi lab's scripts ask", () => {
  const fixture = join(repoRoot, "analysis", "fixtures", "quick-run");
  /** A copy of a real run (54 cells of an older quick profile) under the test's results root. */
  const runCopy = (runId: string) => {
    cpSync(fixture, join(results, runId), { recursive: true });
    return join(results, runId);
  };
  const planned = query("cells", "--profile", "quick");

  it("cells: the plan's cells, id and name per line", () => {
    assert.equal(planned.status, 0, planned.stderr);
    const lines = planned.stdout.trim().split("\n");
    assert.ok(lines.length > 10);
    assert.ok(
      lines.every((l) => /^[0-9a-f]{16} [A-Za-z0-9.-]+-r\d+$/.test(l)),
      lines[0],
    );
  });

  it("plan-check: new without a manifest, existing with exactly the plan's cells, refused with other cells", () => {
    assert.equal(query("plan-check", "--run-id", "not-yet", "--profile", "quick").stdout, "new\n");
    const dir = runCopy("same-cells");
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    manifest.cells = planned.stdout
      .trim()
      .split("\n")
      .map((l) => ({ id: l.slice(0, 16), name: l.slice(17) }));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    const same = query("plan-check", "--run-id", "same-cells", "--profile", "quick");
    assert.equal(same.stdout, "existing\n", same.stderr);
    runCopy("other-cells");
    const other = query("plan-check", "--run-id", "other-cells", "--profile", "quick");
    assert.equal(other.status, 2);
    assert.match(
      other.stderr,
      /^run try1 was planned with other cells \(\d+ of \d+ not in it, 54 planned then\): the revision or profile changed under the same run id; plan it under a new run id$/m,
    );
  });

  it("cell: one recorded cell as a line of JSON; a truncated file is named, without a stack trace", () => {
    const dir = runCopy("cells-run");
    const ok = query("cell", "--run-id", "cells-run", "--cell", "04e5b14d705c7643");
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), {
      id: "04e5b14d705c7643",
      name: "go-native-io-1cpu-128mb-r1",
      status: "ok",
      flags: ["generator-bound"],
      pair: null,
    });
    const file = join(dir, "cells", "04e5b14d705c7643.json");
    writeFileSync(file, readFileSync(file, "utf8").slice(0, 300));
    const broken = query("cell", "--run-id", "cells-run", "--cell", "04e5b14d705c7643");
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, new RegExp(`^${file} is not valid JSON, truncated or damaged`, "m"));
    assert.doesNotMatch(broken.stderr, /^\s+at /m);
    const absent = query("cell", "--run-id", "cells-run", "--cell", "0000000000000000");
    assert.match(absent.stderr, /0000000000000000\.json does not exist: cell 0000000000000000 has no result in /);
    const counts = query("counts", "--run-id", "cells-run");
    assert.deepEqual(JSON.parse(counts.stdout), { ok: 31, skipped: 18, oom: 4, unreadable: 1 });
  });

  it("merge-pair: a pair's own cells into the run folder, its calibration run apart", () => {
    const stage = runCopy("pair-stage");
    const ids = ["04e5b14d705c7643", "070dff1172c02c48"];
    mkdirSync(join(stage, "cells", ids[0] as string, "load"), { recursive: true });
    writeFileSync(join(stage, "cells", ids[0] as string, "load", "summary.json"), "{}");
    const r = query(
      "merge-pair",
      "--run-id",
      "merged",
      "--from",
      stage,
      "--pair",
      "2",
      "--cells",
      ids.join(","),
      "--calibration",
      "0e1ce6ed70ee3867",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { pair: 2, merged: 2, problems: 0 });
    const into = join(results, "merged");
    assert.ok(existsSync(join(into, "manifest.json")));
    assert.ok(existsSync(join(into, "cells", `${ids[1]}.json`)));
    assert.ok(existsSync(join(into, "calibration", "pair-2", "cells", "0e1ce6ed70ee3867.json")));
    assert.deepEqual(JSON.parse(query("counts", "--run-id", "merged").stdout), { ok: 2 });
  });

  it("artifact-sizes: the builder's manifest as one line, refs relative to the repository", () => {
    const id = `cli-test-${process.pid}`;
    const revisionFile = join(results, `${id}.yaml`);
    writeFileSync(
      revisionFile,
      readFileSync(join(repoRoot, "revisions", "paper-2025.yaml"), "utf8").replace(/^id: .*$/m, `id: ${id}`),
    );
    const dir = join(repoRoot, "build", "artifacts", id);
    mkdirSync(dir, { recursive: true });
    try {
      const missing = query("artifact-sizes", "--revision", revisionFile);
      assert.match(missing.stderr, /manifest\.json does not exist: no artifact was built for this revision yet/);
      const record = {
        runtime: "go",
        kind: "binary",
        ref: join(dir, "bin", "edgeapp-go"),
        status: "built",
        size: { apparentBytes: 4931736, allocatedBytes: 4935680 },
        builtWith: { go: "1.22.2" },
        buildMs: 300,
        notes: [],
      };
      writeFileSync(join(dir, "manifest.json"), JSON.stringify({ revision: id, createdAt: "x", artifacts: [record] }));
      const r = query("artifact-sizes", "--revision", revisionFile);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), [
        {
          runtime: "go",
          kind: "binary",
          status: "built",
          ref: `build/artifacts/${id}/bin/edgeapp-go`,
          apparentBytes: 4931736,
          allocatedBytes: 4935680,
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bad query flags are named", () => {
    const r = query("counts", "--run-id", "$(reboot)");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^--run-id: run id "\$\(reboot\)" is not allowed/m);
    assert.match(
      query("cell", "--run-id", "x", "--cell", "nope").stderr,
      /^--cell "nope": use a cell id \(16 hex digits\)$/m,
    );
    assert.match(query("merge-pair", "--run-id", "x").stderr, /^merge-pair needs --cells/m);
  });
});

describe("npm run lab: the report after a run", () => {
  /** A finished run of one native cell: a resume has nothing to run and goes straight to the report. */
  const finished = (runId: string) =>
    writeSyntheticRun(results, {
      ...paperRunOptions(runId, 1),
      truth: () => null,
      ttr: () => 5,
      profile: {
        runtimes: ["go"],
        platforms: ["native"],
        workloads: ["io"],
        resources: [{ cpus: 1, memoryMB: 256 }],
        ttr: { launches: 0, timeoutS: 5 },
        knobVariants: [],
      },
    });

  it("a resume runs recorded lab-error cells again; --keep-lab-errors leaves them", async () => {
    const runDir = finished("lab-error-resume");
    const cells = join(runDir, "cells");
    const file = readdirSync(cells).find((f) => f.endsWith(".json")) ?? "";
    const cell = JSON.parse(readFileSync(join(cells, file), "utf8"));
    writeFileSync(join(cells, file), JSON.stringify({ ...cell, status: "lab-error", reason: "wrk died" }));
    const plan = (keepLabErrors: boolean) =>
      planRun(
        {
          run: { kind: "resume", runId: "lab-error-resume", keepLabErrors },
          resultsRoot: results,
          generatorPreference: null,
        },
        "lab-error-resume",
        runDir,
      );
    const retried = await plan(false);
    assert.deepEqual(
      retried.todo.map((c) => c.id),
      [cell.id],
    );
    assert.deepEqual(
      retried.retried.map((c) => c.id),
      [cell.id],
    );
    assert.equal(retried.earlier.length, 0);
    const kept = await plan(true);
    assert.deepEqual(kept.todo, []);
    assert.deepEqual(
      kept.earlier.map((c) => c.id),
      [cell.id],
    );
    await assert.rejects(main(["--keep-lab-errors", "--dry-run"]), /--keep-lab-errors .*use it with --resume RUN_ID/);
  });

  it("reaches the report only through the seam it is given, with the run's folder", async () => {
    const runDir = finished("seam-report");
    const asked: string[][] = [];
    const afterRun: ReportAfterRun = async (dir, reportsRoot) => {
      asked.push([dir, reportsRoot]);
      return { ok: true, lines: [] };
    };
    await main(["--resume", "seam-report", "--results", results], afterRun);
    assert.deepEqual(asked, [[runDir, join(repoRoot, "reports")]]);
    const elsewhere = join(results, "elsewhere-reports");
    await main(["--resume", "seam-report", "--results", results, "--reports", elsewhere], afterRun);
    assert.deepEqual(asked[1], [runDir, elsewhere], "--reports names where the report goes");
    asked.pop();
    await main(["--resume", "seam-report", "--results", results, "--no-report"], afterRun);
    assert.equal(asked.length, 1, "--no-report makes none");
  });
});
