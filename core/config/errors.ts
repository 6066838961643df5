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

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
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
    const key = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.length > 0 ? `${key}.` : "";
      return `${issue.keys.map((k) => `${where}${k}`).join(", ")}: unknown key(s); remove or correct the spelling`;
    }
    const value = issue.code === "custom" ? valueAt(data, issue.path) : issue.input;
    return `${key} = ${describeValue(value)} is not allowed: ${issue.message}`;
  });
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
