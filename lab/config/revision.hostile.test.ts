/**
 * Hostile revision files: the shipped revision mutated at random (wrong types, huge and negative
 * numbers, NaN, unknown and missing keys, shell metacharacters, unicode, broken bytes) and a set of
 * adversarial files (empty, not YAML, alias bombs, nesting past the stack, prototype keys). Every
 * one is read by `loadRevision` and ends in a revision or a named error (ConfigError naming the key
 * and the value, InputError for a file that is not there), never another exception.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMap, isSeq, parseDocument } from "yaml";
import { ConfigError, describeKey, InputError } from "../../core/config/errors";
import { revisionPath } from "../../core/config/revision";
import { MAX_YAML_BYTES } from "../../core/config/yamlFile";
import { caseCount, HOSTILE_SEED, Rng, randomString, randomValue, replay } from "../../core/testing/hostile";
import { loadRevision } from "./revision";

const shipped = readFileSync(revisionPath("paper-2025"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "hostile-revision-"));
let fileNo = 0;

function writeCase(text: string | Buffer): string {
  const path = join(dir, `case-${fileNo++}.yaml`);
  writeFileSync(path, text);
  return path;
}

type Outcome = { ok: true } | { ok: false; error: ConfigError | InputError };

/** Load a file; anything but a revision, a ConfigError or an InputError fails the test. */
function outcome(path: string, what: string): Outcome {
  try {
    loadRevision(path);
    return { ok: true };
  } catch (error) {
    assert.ok(
      error instanceof ConfigError || error instanceof InputError,
      replay(`${what}: expected a named error, got ${(error as Error)?.stack ?? error}`),
    );
    assert.doesNotMatch(error.message, /^\s+at /m, replay(`${what}: a stack trace in the message`));
    if (error instanceof ConfigError) {
      assert.ok(error.problems.length > 0, replay(`${what}: a ConfigError without a problem`));
      for (const problem of error.problems) {
        assert.ok(
          !/[\n\r]/.test(problem) && !problem.includes("\u001b"),
          replay(`${what}: one line per problem, no terminal escapes`),
        );
        assert.match(problem, / is not allowed: |: unknown key/, replay(`${what}: ${problem}`));
      }
    }
    return { ok: false, error };
  }
}

function problemsOf(path: string, what: string): string[] {
  const result = outcome(path, what);
  assert.ok(!result.ok, `${what}: accepted`);
  assert.ok(result.error instanceof ConfigError, `${what}: ${result.error.message}`);
  return [...result.error.problems];
}

/** Every path of the shipped revision, leaves and the maps and lists above them. */
function pathsOf(value: unknown, at: (string | number)[] = [], found: (string | number)[][] = []) {
  if (at.length > 0) found.push(at);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) pathsOf(v, [...at, i], found);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], found);
  }
  return found;
}

const shippedDoc = parseDocument(shipped);
const paths = pathsOf(shippedDoc.toJS());

/** What was changed where; `named` is the key a problem must name (the top key of the path, or the added key). */
type Mutation = { kind: "set" | "delete" | "unknown-key"; path: (string | number)[]; named: string; text: string };

function mutate(rng: Rng): Mutation {
  const doc = shippedDoc.clone();
  const path = rng.pick(paths);
  const kind = rng.pick(["set", "set", "delete", "unknown-key"] as const);
  if (kind === "set") doc.setIn(path, randomValue(rng));
  else if (kind === "delete") doc.deleteIn(path);
  else {
    // A key added to the map at `path` (or above it); to a list, an item is added instead.
    const mapPath = isMap(doc.getIn(path, true)) || isSeq(doc.getIn(path, true)) ? path : path.slice(0, -1);
    const key = rng.chance(0.5) ? randomString(rng) || "k" : "extra";
    if (isSeq(doc.getIn(mapPath, true))) doc.addIn(mapPath, randomValue(rng));
    else doc.setIn([...mapPath, key], randomValue(rng));
    return { kind, path: mapPath, named: describeKey(mapPath[0] ?? key), text: String(doc) };
  }
  return { kind, path, named: describeKey(path[0] ?? ""), text: String(doc) };
}

describe(`hostile revision files (seed ${HOSTILE_SEED})`, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the shipped revision loads (the mutations start from a valid file)", () => {
    assert.deepEqual(outcome(writeCase(shipped), "shipped"), { ok: true });
  });

  it("random mutations of the shipped revision end in a revision or a ConfigError naming the key", () => {
    const rng = new Rng(HOSTILE_SEED);
    const cases = caseCount(120);
    let refused = 0;
    for (let i = 0; i < cases; i++) {
      const m = mutate(rng);
      const what = `case ${i}: ${m.kind} ${m.path.join(".")}`;
      const result = outcome(writeCase(m.text), what);
      if (result.ok) continue;
      refused++;
      assert.ok(result.error instanceof ConfigError, replay(`${what}: ${result.error.message}`));
      // The problem names where the file went wrong: the mutated key, or the key above it.
      assert.ok(
        result.error.problems.some((p) => p.startsWith(m.named) || p.includes(`, ${m.named}`)),
        replay(`${what}: no problem names ${m.named}:\n${result.error.problems.join("\n")}`),
      );
    }
    // Most mutations break the file: a parser that accepted everything would pass no test above.
    assert.ok(refused > cases / 2, replay(`only ${refused} of ${cases} mutations were refused`));
  });

  it("random byte damage (truncated, garbage inserted) ends in a revision or a named error", () => {
    const rng = new Rng(HOSTILE_SEED + 1);
    const bytes = Buffer.from(shipped);
    for (let i = 0; i < caseCount(40); i++) {
      const at = rng.int(0, bytes.length);
      const garbage = Buffer.from(Array.from({ length: rng.int(1, 16) }, () => rng.int(0, 255)));
      const text = rng.chance(0.5)
        ? bytes.subarray(0, at)
        : Buffer.concat([bytes.subarray(0, at), garbage, bytes.subarray(at)]);
      outcome(writeCase(text), `damage case ${i} at byte ${at}`);
    }
  });

  it("files that are not a revision at all: empty, a comment, a scalar, a list, binary, another file", () => {
    for (const [what, text] of [
      ["empty", ""],
      ["a comment", "# nothing here\n"],
      ["null", "null\n"],
      ["a number", "42\n"],
      ["a list", "- a\n- b\n"],
      ["binary", Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a])],
      ["NUL bytes", "id: paper\u0000-2025\n"],
      ["a shell script", "#!/bin/sh\nrm -rf / $(id) `id`\n"],
      ["JSON garbage", "{]"],
    ] as const) {
      const problems = problemsOf(writeCase(text), what);
      assert.ok(problems.length > 0, what);
    }
  });

  it("a file not there, a folder, a device: InputError naming the revision and what to give", () => {
    for (const path of [join(dir, "missing.yaml"), dir, "/dev/zero", "/dev/null", "no-such-revision", ""]) {
      assert.throws(
        () => loadRevision(path),
        (e: unknown) =>
          e instanceof InputError && e.message.includes(JSON.stringify(path)) && /use a revision id/.test(e.message),
        path,
      );
    }
  });

  it("a billion-laughs alias bomb is refused at the alias limit, quickly", () => {
    let text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (let i = 1; i < 10; i++)
      text += `l${i}: &l${i} [${Array(9)
        .fill(i === 1 ? "*a" : `*l${i - 1}`)
        .join(", ")}]\n`;
    const started = Date.now();
    const problems = problemsOf(writeCase(text), "billion laughs");
    assert.ok(Date.now() - started < 2000, "the limit holds before the expansion");
    assert.match(problems.join("\n"), /Excessive alias count .* \(at most 100 aliases/);
  });

  it("an alias to its own parent (a circular value) is shown, not a crash", () => {
    const text = shipped.replace(/^title: .*$/m, "title: &t [ *t ]");
    const problems = problemsOf(writeCase(text), "circular alias");
    assert.ok(
      problems.includes("title = a list of 1 item(s) is not allowed: Invalid input: expected string, received array"),
      problems.join("\n"),
    );
  });

  it("nesting past the parser's stack (100 000 brackets) is a ConfigError, not an out-of-memory abort", () => {
    const problems = problemsOf(writeCase(`${"[".repeat(100_000)}${"]".repeat(100_000)}`), "deep nesting");
    assert.match(
      problems[0] ?? "",
      /^line 1, column \d+ = "\[\[\[.*\.\.\. is not allowed: Maximum call stack size exceeded \(expected valid YAML\)$/,
    );
    const blocks = Array.from({ length: 1200 }, (_, i) => `${" ".repeat(i)}a:`).join("\n");
    assert.ok(problemsOf(writeCase(`${blocks} 1\n`), "deep block nesting").length > 0);
  });

  it("a file larger than a revision can be is refused by its size", () => {
    const problems = problemsOf(writeCase(`# ${"x".repeat(MAX_YAML_BYTES)}\n`), "too large");
    assert.match(problems[0] ?? "", /^\(file\) = \d+ bytes is not allowed: expected at most 262144 bytes$/);
  });

  it("YAML features a revision never needs: duplicate keys, unknown tags, merge keys", () => {
    assert.match(problemsOf(writeCase(`${shipped}\nid: again\n`), "duplicate")[0] ?? "", /Map keys must be unique/);
    assert.match(problemsOf(writeCase(shipped.replace("title:", "title: !js/function")), "tag")[0] ?? "", /tag/i);
    const merged = shipped.replace(/^images:/m, "base: &b { goRuntime: scratch }\nimages:");
    assert.match(problemsOf(writeCase(merged), "anchor at the top").join("\n"), /^base: unknown key/m);
  });

  it("prototype keys (__proto__, constructor) are keys like any other, and no profile name finds Object's members", () => {
    const polluted = shipped.replace(/^profiles:$/m, "__proto__: { polluted: 1 }\nprofiles:\n  constructor: {}");
    const problems = problemsOf(writeCase(polluted), "prototype keys").join("\n");
    assert.match(problems, /__proto__: unknown key/);
    assert.match(problems, /^profiles\.constructor\.description = missing is not allowed/m);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "nothing reached Object.prototype");
    const revision = loadRevision("paper-2025");
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      assert.equal(revision.profiles[name], undefined, name);
    }
  });

  it("huge, negative and NaN numbers are shown as they were written, with the key", () => {
    const text = shipped
      .replace("repetitions: 3", "repetitions: .nan")
      .replace("{ cpus: 8, memoryMB: 2048 }", "{ cpus: -1, memoryMB: 1e400 }");
    const problems = problemsOf(writeCase(text), "numbers").join("\n");
    assert.match(problems, /^profiles\.paper\.repetitions = NaN is not allowed/m);
    assert.match(problems, /^profiles\.paper\.resources\.0\.cpus = -1 is not allowed: expected 1 or more \(CPUs\)$/m);
    assert.match(problems, /^profiles\.paper\.resources\.0\.memoryMB = Infinity is not allowed/m);
  });

  it("unicode, terminal escapes and shell metacharacters in keys and values are quoted in the message", () => {
    const text = shipped
      .replace("title: ", 'title_\u202e: 1\n"k\\e[31m$(id)": 2\ntitle: ')
      .replace("goRuntime: scratch", 'goRuntime: "scratch; rm -rf / \\e[2J"');
    const problems = problemsOf(writeCase(text), "escapes").join("\n");
    assert.match(problems, /"title_\\u202e", "k\\u001b\[31m\$\(id\)": unknown key/);
    assert.match(problems, /^images\.goRuntime = "scratch; rm -rf \/ \\u001b\[2J" is not allowed/m);
  });

  it("a floor search's settings out of range name the key, the value and what is allowed", () => {
    const floor = "floor: { lowestMB: 4, resolutionMB: 4, retries: 1 }";
    assert.ok(shipped.includes(floor), "the shipped revision has a floor profile");
    const cases: [string, RegExp][] = [
      [
        "floor: { lowestMB: 4, resolutionMB: 0, retries: 1 }",
        /^profiles\.floor\.floor\.resolutionMB = 0 is not allowed: expected 1 or more \(MB\)$/m,
      ],
      [
        "floor: { lowestMB: 4, resolutionMB: 2.5, retries: 1 }",
        /^profiles\.floor\.floor\.resolutionMB = 2\.5 is not allowed: expected a whole number \(MB\)$/m,
      ],
      [
        "floor: { lowestMB: 0, resolutionMB: 4, retries: 1 }",
        /^profiles\.floor\.floor\.lowestMB = 0 is not allowed: expected 1 or more \(MB\)$/m,
      ],
      [
        "floor: { lowestMB: 4, resolutionMB: 4, retries: 9 }",
        /^profiles\.floor\.floor\.retries = 9 is not allowed: expected at most 5 \(retries\)$/m,
      ],
      ["floor: { lowestMB: 4, resolutionMB: 4, step: 1 }", /^profiles\.floor\.floor\.step: unknown key/m],
      // The starting level must leave room to bisect: above the lowest by at least the resolution.
      [
        "floor: { lowestMB: 254, resolutionMB: 4, retries: 1 }",
        /^profiles\.floor\.resources\.0\.memoryMB = 256 is not allowed: a floor search starts here and bisects down to floor\.lowestMB \(254\): expected at least floor\.lowestMB \+ floor\.resolutionMB = 258, not 256$/m,
      ],
      ["floor: { lowestMB: 4, resolutionMB: 4, retries: 1 }\n    extra: 1", /^profiles\.floor\.extra: unknown key/m],
    ];
    for (const [replacement, expected] of cases) {
      const problems = problemsOf(writeCase(shipped.replace(floor, replacement)), replacement).join("\n");
      assert.match(problems, expected, replacement);
    }
    const twice = shipped
      .replace(floor, floor)
      .replace("repetitions: 1 # a search repeats a noisy probe itself (floor.retries)", "repetitions: 3");
    assert.match(
      problemsOf(writeCase(twice), "repetitions").join("\n"),
      /^profiles\.floor\.repetitions = 3 is not allowed: a floor search repeats its probes itself \(floor\.retries\): expected 1, not 3$/m,
    );
    const at = shipped.indexOf("\n  floor:\n");
    const startup =
      shipped.slice(0, at) +
      shipped.slice(at).replace("ttr: { launches: 0, timeoutS: 20 }", "ttr: { launches: 2, timeoutS: 20 }");
    assert.match(
      problemsOf(writeCase(startup), "launches").join("\n"),
      /^profiles\.floor\.ttr\.launches = 2 is not allowed: a floor search loads each probe; time to ready has no floor/m,
    );
  });

  it("a folder named like a revision file is refused as not a file", () => {
    const folder = join(dir, "folder.yaml");
    mkdirSync(folder);
    assert.throws(() => loadRevision(folder), /is not a file/);
  });
});
