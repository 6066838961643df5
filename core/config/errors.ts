import type { z } from "zod";

/** A bad value in something the user gave the lab: it names the key, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Characters that reorder or hide text on a terminal (bidi controls, zero widths, BOM): shown as escapes. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

function jsonOf(value: unknown): string {
  if (typeof value === "number" || typeof value === "bigint") return String(value); // NaN, Infinity, 10n
  try {
    const text = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === "bigint" || (typeof v === "number" && !Number.isFinite(v)) ? String(v) : v,
    );
    if (text !== undefined) return text;
  } catch {
    // circular (a YAML alias to its own parent) or nested past the stack: describe the shape instead
  }
  if (Array.isArray(value)) return `a list of ${value.length} item(s)`;
  if (value !== null && typeof value === "object") return `an object with keys ${Object.keys(value).join(", ")}`;
  return String(value);
}

/** A value as an error shows it: JSON, at most 60 characters, never throwing (whatever the input was). */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = jsonOf(value).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const chars = [...text]; // by code point: an emoji is never cut in half
  return chars.length > 60 ? `${chars.slice(0, 57).join("")}...` : text;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * One line per zod issue: `versions.node = "24" is not allowed: expected a version like 1.2.3`.
 * A refinement reports the whole object it checked as its input, so for those the value shown is
 * the one at the issue's path in `data`.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], data?: unknown): string[] {
  return issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.map(describeKey).join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.length > 0 ? `${key}.` : "";
      const shown = issue.keys.slice(0, MAX_KEYS_SHOWN).map((k) => `${where}${describeKey(k)}`);
      const more = issue.keys.length > MAX_KEYS_SHOWN ? ` and ${issue.keys.length - MAX_KEYS_SHOWN} more` : "";
      return `${shown.join(", ")}${more}: unknown key(s); remove or correct the spelling`;
    }
    const value = issue.code === "custom" ? valueAt(data, issue.path) : issue.input;
    return `${key} = ${describeValue(value)} is not allowed: ${issue.message}`;
  });
}

/** A file of something else (a passwd file given as a revision) has hundreds of keys: a few name the problem. */
const MAX_KEYS_SHOWN = 8;

/** A key as an error shows it: plain keys as they are, any other (spaces, escapes, unicode) quoted. */
export function describeKey(key: PropertyKey): string {
  const text = String(key);
  return /^[A-Za-z0-9_-]{1,60}$/.test(text) ? text : describeValue(text);
}

/** Parse with a schema or throw a ConfigError that lists every problem at once. */
export function parseOrThrow<S extends z.ZodType>(schema: S, data: unknown, source: string): z.output<S> {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(source, describeIssues(result.error.issues, data));
}

/** Input the user gave that cannot be used (a results folder, a run id): printed as-is, exit 2. */
export class InputError extends Error {
  override name = "InputError";
}
