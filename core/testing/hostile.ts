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
