import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * Seeded hostile input for property tests. Every case comes from one seed: a failing test prints
 * it, and `HOSTILE_SEED=<seed>` replays exactly that run (`HOSTILE_CASES=<n>` runs more cases).
 */

/** The seed of this run: fixed by default, so CI always tries the same cases. */
export const HOSTILE_SEED = Number(process.env.HOSTILE_SEED ?? 20251130);
/** How many random cases a property tries (scaled by HOSTILE_CASES for a longer hunt). */
export function caseCount(base: number): number {
  const n = Number(process.env.HOSTILE_CASES);
  return Number.isSafeInteger(n) && n > 0 ? n : base;
}

/** mulberry32: small, fast and the same on every machine. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A value for an assertion message: quoted, escaped, at most 100 characters. */
export function brief(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : safeString(value);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** String(value) that also works for objects without a prototype. */
export function safeString(value: unknown): string {
  return value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Replay hint for an assertion message. */
export function replay(what: string): string {
  return `${what} (replay with HOSTILE_SEED=${HOSTILE_SEED})`;
}

/** Strings that break naive parsers, shells, paths and terminals. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "\t",
  "\n",
  "a\nb",
  "$(touch /tmp/hostile-pwned)",
  "`id`",
  "; rm -rf /",
  "a|b&&c",
  "'",
  '"',
  "\\",
  "$" + "{HOME}", // a shell expansion, written so the linter does not take it for a template
  "*",
  "~",
  "../../etc/passwd",
  "/etc/passwd",
  "..",
  ".",
  "-",
  "--",
  "--help",
  "-h",
  "-oProxyCommand=id",
  "ünïcödé",
  "日本語",
  "🙂",
  "e\u0301",
  "\u202eevil",
  "\u0000",
  "\u001b[31mred",
  "\ufeffbom",
  "x".repeat(5000),
  "NaN",
  "Infinity",
  "-Infinity",
  "1e400",
  "-1",
  "0",
  "0x10",
  "1e3",
  "1.5",
  " 12 ",
  "99999999999999999999999",
  "null",
  "undefined",
  "true",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "%s%n",
  "C:\\Windows",
  "\r\n",
];

/** Values of every JSON/YAML type, including the numbers JSON cannot say. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  [],
  {},
  [1, "a", null],
  { a: 1 },
  { __proto__: null, constructor: "x" },
  [[[[[[[[["deep"]]]]]]]]],
];

/** A random string: hostile pieces and random characters (ASCII, metacharacters, unicode, controls). */
export function randomString(rng: Rng): string {
  if (rng.chance(0.5)) return rng.pick(HOSTILE_STRINGS);
  const pool = "abcXYZ019 -_./:;,'\"`$(){}[]<>|&*?!#%=+~\\\n\t\u0000é日🙂\u202e";
  const chars = [...pool];
  let s = "";
  for (let i = rng.int(0, 24); i > 0; i--) s += rng.pick(chars);
  return s;
}

/** A random value of a random type (a string half of the time). */
export function randomValue(rng: Rng): unknown {
  return rng.chance(0.5) ? randomString(rng) : rng.pick(HOSTILE_VALUES);
}

/** What a CLI main did when called in-process: its exit code and what it printed. */
export interface CliOutcome {
  code: number;
  /** Whether main threw (the code is then runMain's: 2 for the user's error, 1 for a bug). */
  threw: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Call a CLI's exported `main(argv)` the way `runMain` would end it, with stdout and stderr captured:
 * exit 0 (or process.exitCode), 2 for a user's error, 1 with a stack trace for a bug.
 */
export async function runInProcess(
  main: (argv: string[]) => Promise<void>,
  argv: string[],
  failure: (error: unknown) => { code: number; text: string },
): Promise<CliOutcome> {
  const out = { stdout: "", stderr: "" };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  // The CLIs write strings; node:test reports from a test file's process in binary chunks on the
  // same stdout, which must pass through or the test's own results are lost.
  const capture = (stream: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== "string")
        return (writes[stream] as (...a: unknown[]) => boolean).call(process[stream], chunk, ...rest);
      out[stream] += chunk;
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  const exitCode = process.exitCode;
  try {
    await main(argv);
    return { code: Number(process.exitCode ?? 0), threw: false, ...out };
  } catch (error) {
    const { code, text } = failure(error);
    return { code, threw: true, stdout: out.stdout, stderr: `${out.stderr}${text}\n` };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = exitCode;
  }
}

/** Every file and folder under `root` with a hash of its content: equal snapshots mean nothing was written. */
export function snapshotTree(root: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!existsSync(root)) return found;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        found.set(relative(root, path), "dir");
        walk(path);
      } else {
        found.set(relative(root, path), createHash("sha256").update(readFileSync(path)).digest("hex"));
      }
    }
  };
  walk(root);
  return found;
}

/** A stack frame as Node prints it: what a user must never see for bad input. */
export const STACK_FRAME = /^ {4}at /m;
