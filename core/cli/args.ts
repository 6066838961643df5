import { statSync } from "node:fs";
import { isIPv4 } from "node:net";
import { parseArgs } from "node:util";

/** A bad command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Errors about what the user gave (flags, config, input files): one message, no stack trace. */
const USER_ERRORS = ["UsageError", "ConfigError", "InputError"];

/** Quote a value the user typed for an error message (control characters escaped, at most 80 characters). */
export function shown(value: string): string {
  const text = JSON.stringify(value);
  const chars = [...text];
  return chars.length > 80 ? `${chars.slice(0, 76).join("")}..."` : text;
}

/** Parse a comma-separated flag against the allowed values, naming the flag in the error. */
export function parseList<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T[] {
  if (raw === undefined) return [...allowed];
  const values = raw.split(",").map((v) => v.trim());
  const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length > 0) {
    const named = bad.map((v) => (/^[A-Za-z0-9._-]+$/.test(v) ? v : shown(v))).join(", ");
    throw new UsageError(`--${flag} ${shown(raw)}: ${named} not allowed; use any of ${allowed.join(", ")}`);
  }
  return [...new Set(values)] as T[];
}

/** How a CLI ends on an error: the user's mistakes print one message and exit 2; a bug prints its stack, exit 1. */
export function failure(error: unknown): { code: number; text: string } {
  const known = error instanceof Error && USER_ERRORS.includes(error.name);
  const text = error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error);
  return { code: known ? 2 : 1, text };
}

/** Run a CLI main: usage and config errors print as one clear message. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const { code, text } = failure(error);
    process.stderr.write(`${text}\n`);
    process.exit(code);
  });
}

type FlagOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

/** node:util parseArgs with the lab's conventions: strict, no positionals, errors as UsageError with the usage text. */
export function parseFlags<const O extends FlagOptions>(options: O, usage: string, args?: string[]) {
  return parseCommandLine(options, usage, args, false).values;
}

/** parseFlags that also takes positional arguments (folders, files). */
export function parseCommandLine<const O extends FlagOptions>(
  options: O,
  usage: string,
  args?: string[],
  allowPositionals = true,
) {
  let parsed: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>;
  try {
    parsed = parseArgs({ options, strict: true, allowPositionals, ...(args ? { args } : {}) });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
  // A string flag given as "" (an unset shell variable) would silently mean "the default": refuse it.
  // A NUL byte cannot come from a shell, only from a program calling main(): no path or argv takes it.
  for (const [flag, value] of Object.entries(parsed.values)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === "string" && v.trim() === "") throw new UsageError(`--${flag} ${shown(v)}: give a value`);
      if (typeof v === "string" && v.includes("\0"))
        throw new UsageError(`--${flag} ${shown(v)}: a NUL byte is not allowed`);
    }
  }
  const nul = parsed.positionals.find((p) => p.includes("\0"));
  if (nul !== undefined) throw new UsageError(`${shown(nul)}: a NUL byte is not allowed`);
  return parsed;
}

/** A flag that must be a whole number of 1 or more (digits only: not 0x10, 1e3 or 2.0). */
export function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || !Number.isSafeInteger(n))
    throw new UsageError(`--${flag} ${shown(raw)}: use a whole number of 1 or more`);
  return n;
}

/**
 * A folder flag (--results, --out): a folder, or nothing yet (it is made later); never a file, and
 * never a path the system cannot look up (too long, a loop of links).
 */
export function folderFlag(flag: string, raw: string, path: string): string {
  let found: ReturnType<typeof statSync>;
  try {
    found = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`--${flag} ${shown(raw)} is not allowed: the path cannot be used (${code}); give a folder`);
  }
  if (found && !found.isDirectory())
    throw new UsageError(`--${flag} ${shown(raw)} is not allowed: it is a file; give a folder`);
  return path;
}

/** A flag that must be an IPv4 address (each part 0-255). */
export function ipv4Flag(flag: string, raw: string): string {
  if (!isIPv4(raw)) throw new UsageError(`--${flag} ${shown(raw)} is not allowed: use an IPv4 address like 10.0.1.2`);
  return raw;
}
