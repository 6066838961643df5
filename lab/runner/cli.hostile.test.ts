/**
 * Hostile command lines for the lab's CLIs (the runner, results:validate, build:artifacts): random
 * and adversarial flags (wrong types, huge numbers, unknown flags, empty strings, shell
 * metacharacters, unicode, path traversal in --run / --results / run ids) and profiles given with
 * --revision FILE --profile NAME. Each ends in success or exit code 2 with one message and no stack
 * trace, never a crash, and writes nothing into the results root (snapshot before and after).
 * Most cases run in-process (each CLI exports main); a sample runs as real processes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseDocument } from "yaml";
import { failure } from "../../core/cli/args";
import { revisionPath } from "../../core/config/revision";
import { repoRoot } from "../../core/paths";
import {
  brief,
  type CliOutcome,
  caseCount,
  HOSTILE_SEED,
  HOSTILE_STRINGS,
  Rng,
  randomString,
  randomValue,
  replay,
  runInProcess,
  STACK_FRAME,
  safeString,
  snapshotTree,
} from "../../core/testing/hostile";
import { loadRevision } from "../config/revision";
import { main as validateMain } from "../results/validateCli";
import { main as labMain } from "./cli";

const work = mkdtempSync(join(tmpdir(), "hostile-cli-"));
/** The results root every case is given: it holds one real run, which no case may change. */
const root = join(work, "results");
const fixtureRunId = "20260101-000000-quick-fixture";
cpSync(join(repoRoot, "analysis/fixtures/quick-run"), join(root, fixtureRunId), { recursive: true });
/** A command that ran a shell on a value would leave this file behind. */
const CANARY = "/tmp/hostile-pwned";

const FLAGS = [
  "profile",
  "revision",
  "runtime",
  "platform",
  "workload",
  "memory",
  "generator",
  "cross-check",
  "results",
  "run-id",
  "resume",
  "cell",
  "bind-address",
  "load-ssh",
  "load-lab-dir",
  "ssh-identity",
  "origin",
] as const;
const UNKNOWN_FLAGS = ["--frobnicate", "--Profile", "-x", "--profile-", "---profile", "--run_id", "--🙂"];

/** The runner in-process: native only (its availability check is quick) and always --dry-run. */
async function lab(argv: string[]): Promise<CliOutcome> {
  const signals = new Map((["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => [s, process.listeners(s)]));
  try {
    return await runInProcess(labMain, ["--results", root, "--platform", "native", "--dry-run", ...argv], failure);
  } finally {
    // A run that got as far as the sweep installs its interrupt handlers: take them off again.
    for (const [signal, kept] of signals) {
      for (const l of process.listeners(signal)) if (!kept.includes(l)) process.off(signal, l);
    }
  }
}

/** A verdict (main returned), or exit 2 with one message naming what was wrong; never a crash, never a stack trace. */
function assertNamed(r: CliOutcome, what: string, names: readonly string[]): void {
  assert.ok(!r.threw || r.code === 2, replay(`${what}: exit ${r.code}\n${r.stderr}`));
  assert.doesNotMatch(r.stderr, STACK_FRAME, replay(`${what}: a stack trace\n${r.stderr}`));
  if (r.code === 2) {
    assert.ok(
      // as typed, or quoted the way messages show values (escaped, cut at 80 characters)
      names.some((n) => n !== "" && (r.stderr.includes(n) || r.stderr.includes(JSON.stringify(n).slice(0, 40)))),
      replay(`${what}: the message names none of ${names.map((n) => JSON.stringify(n)).join(", ")}:\n${r.stderr}`),
    );
  }
}

function argvFor(rng: Rng, flag: string, value: string): string[] {
  return rng.chance(0.3) ? [`--${flag}=${value}`] : [`--${flag}`, value];
}

describe(`hostile command lines (seed ${HOSTILE_SEED})`, () => {
  let snapshot: Map<string, string>;
  const repoResults = snapshotTree(join(repoRoot, "results"));
  before(() => {
    snapshot = snapshotTree(root);
  });
  after(() => {
    assert.deepEqual(snapshotTree(root), snapshot, "no case created or changed anything in the results root");
    assert.deepEqual(snapshotTree(join(repoRoot, "results")), repoResults, "nor in the checkout's results/");
    assert.equal(existsSync(CANARY), false, "no value was run by a shell");
    rmSync(work, { recursive: true, force: true });
  });

  it("npm run lab: one hostile flag at a time ends in a dry run or a named error", async () => {
    const rng = new Rng(HOSTILE_SEED);
    let refused = 0;
    const cases = caseCount(120);
    for (let i = 0; i < cases; i++) {
      const flag = rng.pick(FLAGS);
      let value = randomString(rng);
      // --results must stay inside this test's folder: a hostile name below it.
      if (flag === "results") value = join(root, value);
      const r = await lab(argvFor(rng, flag, value));
      assertNamed(r, `case ${i}: --${flag} ${brief(value)}`, [flag, value]);
      if (r.code === 2) refused++;
    }
    assert.ok(refused > cases * 0.7, replay(`only ${refused} of ${cases} hostile flags were refused`));
  });

  it("npm run lab: unknown flags, stray words and hostile values of every shape", async () => {
    const rng = new Rng(HOSTILE_SEED + 1);
    for (const unknown of UNKNOWN_FLAGS) {
      const r = await lab([unknown, "x"]);
      assert.equal(r.code, 2, unknown);
      assertNamed(r, unknown, [unknown.replace(/=.*/, "").replace(/^-+/, "")]);
    }
    for (const word of ["quick", "$(id)", "../../etc"]) {
      const r = await lab([word]);
      assert.equal(r.code, 2, word);
      assertNamed(r, word, [word]);
    }
    // Non-string values turned into argv as a careless caller would.
    for (let i = 0; i < caseCount(30); i++) {
      const flag = rng.pick(FLAGS.filter((f) => f !== "results"));
      const value = safeString(randomValue(rng));
      assertNamed(await lab(argvFor(rng, flag, value)), `--${flag} ${brief(value)}`, [flag, value]);
    }
  });

  it("npm run lab: the specific holes found (each refused before anything runs)", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--profile", "constructor"], /^profile "constructor" is not in revision paper-2025: use one of paper,/],
      [["--profile", "__proto__"], /^profile "__proto__" is not in revision paper-2025/],
      [["--profile", "toString"], /^profile "toString" is not in revision paper-2025/],
      [["--run-id", "../escape"], /^--run-id "\.\.\/escape" is not allowed: use letters, digits/],
      [["--run-id", "a/b"], /^--run-id "a\/b" is not allowed/],
      [["--resume", "../../etc"], /^--resume "\.\.\/\.\.\/etc" is not allowed/],
      [["--resume", `..${"/.."}/${fixtureRunId}`], /^--resume .* is not allowed/],
      [["--runtime", ""], /^--runtime "": give a value$/m],
      [["--platform", " "], /^--platform " ": give a value$/m],
      [["--resume", fixtureRunId, "--cell", ""], /^--cell "": give a value$/m],
      [["--resume", fixtureRunId, "--cell", "a,,b"], /^--cell "a,,b": an empty cell name/],
      [["--memory", "0x100"], /^--memory "0x100": "0x100" is not allowed/],
      [["--memory", "1e3"], /^--memory "1e3": "1e3" is not allowed/],
      [["--memory", "99999999999999999999"], /is not allowed; use whole MB/],
      [["--bind-address", "999.1.1.1"], /^--bind-address "999\.1\.1\.1" is not allowed: use an IPv4 address/],
      [["--load-ssh=-oProxyCommand=id@x"], /^--load-ssh "-oProxyCommand=id@x" is not allowed: use user@host/],
      [["--load-ssh", "root@-oProxyCommand"], /^--load-ssh "root@-oProxyCommand" is not allowed/],
      [["--results", "/etc/passwd"], /^--results "\/etc\/passwd" is not allowed: it is a file; give a folder/],
      [
        ["--revision", "/nonexistent.yaml"],
        /^revision "\/nonexistent\.yaml" not found at \/nonexistent\.yaml: use a revision id/,
      ],
      [["--revision", "/dev/zero"], /^revision "\/dev\/zero" is not allowed: \/dev\/zero is not a file/],
      [["--revision", "/etc/passwd"], /^\/etc\/passwd is not valid:\n {2}- \(top level\) = "root:/],
      [["--origin", "a\u0000b"], /^--origin "a\\u0000b": a NUL byte is not allowed/],
      [["--runtime", "go,\u202erust"], /^--runtime "go,\u202erust": "\u202erust" not allowed; use any of go, node/],
    ];
    for (const [argv, message] of cases) {
      const r = await lab(argv);
      assert.equal(r.code, 2, `${argv.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, argv.join(" "));
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    }
  });

  it("profiles: hostile names and hostile contents through --revision FILE --profile NAME", async () => {
    const rng = new Rng(HOSTILE_SEED + 2);
    const shipped = readFileSync(revisionPath("paper-2025"), "utf8");
    const copy = join(work, "copy.yaml");
    writeFileSync(copy, shipped);
    const names = Object.keys(loadRevision(copy).profiles);
    for (const name of [...HOSTILE_STRINGS, "valueOf", "isPrototypeOf", "quick ", "QUICK", "quick\n"]) {
      if (names.includes(name)) continue;
      const r = await lab(["--revision", copy, "--profile", name]);
      assert.equal(r.code, 2, replay(`--profile ${JSON.stringify(name)}: exit ${r.code}\n${r.stderr}`));
      assertNamed(r, `--profile ${JSON.stringify(name)}`, ["profile"]);
    }
    // The quick profile broken at random: the file is refused naming the key, or (a harmless change) it runs.
    const doc = parseDocument(shipped);
    const leaves: (string | number)[][] = [];
    const walk = (value: unknown, at: (string | number)[]) => {
      leaves.push(at);
      if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) walk(v, [...at, Array.isArray(value) ? Number(k) : k]);
      }
    };
    walk(doc.getIn(["profiles", "quick"]) && (doc.toJS() as { profiles: { quick: unknown } }).profiles.quick, [
      "profiles",
      "quick",
    ]);
    let refused = 0;
    const cases = caseCount(40);
    for (let i = 0; i < cases; i++) {
      const mutated = doc.clone();
      const path = rng.pick(leaves.slice(1));
      if (rng.chance(0.25)) mutated.deleteIn(path);
      else mutated.setIn(path, randomValue(rng));
      const file = join(work, `profile-${i}.yaml`);
      writeFileSync(file, String(mutated));
      const r = await lab(["--revision", file, "--profile", "quick"]);
      assertNamed(r, `case ${i}: ${path.join(".")}`, ["profiles.quick", "--platform", "selection"]);
      if (r.code === 2) refused++;
    }
    assert.ok(refused > cases / 2, replay(`only ${refused} of ${cases} broken profiles were refused`));
  });

  it("npm run results:validate: hostile folders and flags end in a verdict or a named error", async () => {
    const rng = new Rng(HOSTILE_SEED + 3);
    const validate = (argv: string[]) => runInProcess(validateMain, argv, failure);
    // The fixture keeps no raw folders: a verdict with problems (exit 1), not an error.
    const verdict = await validate([join(root, fixtureRunId)]);
    assert.equal(verdict.threw, false, verdict.stderr);
    assert.match(verdict.stdout, /: 54 cells \(32 ok, 18 skipped, 4 oom\), 0 not yet run/);
    for (const argv of [[], ["--frobnicate", join(root, fixtureRunId)], ["-x"], [""], ["a\u0000b"]]) {
      const r = await validate(argv);
      assert.equal(r.code, 2, `${JSON.stringify(argv)}: exit ${r.code}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    }
    for (let i = 0; i < caseCount(40); i++) {
      const value = rng.chance(0.5) ? join(root, randomString(rng)) : randomString(rng);
      const r = await validate([value]);
      assertNamed(r, `results:validate ${brief(value)}`, [value, "usage", "manifest", "run folder"]);
    }
    // A run folder whose manifest is cut short: named, not a JSON.parse stack trace.
    const broken = join(work, "broken-run");
    cpSync(join(root, fixtureRunId), broken, { recursive: true });
    writeFileSync(join(broken, "manifest.json"), '{"runId": "x", ');
    const r = await validate([broken]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /broken-run is not a usable run folder: manifest\.json is not valid JSON, truncated or damaged/,
    );
  });

  it("real processes: a sample of the above ends the same way, exit 2 and one paragraph on stderr", async () => {
    const bomb = join(work, "bomb.yaml");
    let text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (let i = 1; i < 10; i++)
      text += `l${i}: &l${i} [${Array(9)
        .fill(i === 1 ? "*a" : `*l${i - 1}`)
        .join(", ")}]\n`;
    writeFileSync(bomb, text);
    const samples: Array<[string, string[], RegExp]> = [
      // No --dry-run: a defect here would start a sweep, so each must stop at the command line.
      [
        "lab/runner/cli.ts",
        ["--results", root, "--platform", "native", "--profile", "constructor"],
        /^profile "constructor"/,
      ],
      [
        "lab/runner/cli.ts",
        ["--results", root, "--platform", "native", "--run-id", "../escape"],
        /^--run-id "\.\.\/escape"/,
      ],
      ["lab/runner/cli.ts", ["--results", root, "--revision", bomb], /Excessive alias count/],
      ["lab/results/validateCli.ts", ["--frobnicate", join(root, fixtureRunId)], /Unknown option '--frobnicate'/],
      [
        "lab/cli/buildArtifacts.ts",
        ["--kind", "docker;$(touch /tmp/hostile-pwned)"],
        /^--kind ".*" not allowed; use any of/,
      ],
      ["lab/cli/buildArtifacts.ts", ["--revision", "/etc/passwd"], /^\/etc\/passwd is not valid:/],
    ];
    const results = await Promise.all(samples.map(([script, argv]) => child(script, argv)));
    samples.forEach(([script, argv, message], i) => {
      const r = results[i] as CliOutcome;
      const what = `${script} ${argv.join(" ")}`;
      assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.doesNotMatch(r.stderr, STACK_FRAME, what);
      assert.doesNotMatch(r.stderr.trim(), /\n\s*\n/, `${what}: one paragraph`);
    });
    assert.equal(existsSync(join(work, "escape")), false, "no run folder outside the results root");
  });
});

function child(script: string, argv: string[]): Promise<CliOutcome> {
  return new Promise((resolve) => {
    // threw: a real process that exits 2 or 1 ended through runMain.
    const p = spawn(process.execPath, ["--import", "tsx", script, ...argv], { cwd: repoRoot });
    const out = { stdout: "", stderr: "" };
    p.stdout.on("data", (d) => (out.stdout += d));
    p.stderr.on("data", (d) => (out.stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, threw: code !== 0, ...out });
    });
  });
}
