import { parseArgs } from "node:util";

/** A bad command line: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parse a comma-separated flag against the allowed values, naming the flag in the error. */
export function parseList<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T[] {
  if (raw === undefined || raw.trim() === "") return [...allowed];
  const values = raw.split(",").map((v) => v.trim());
  const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length > 0) {
    throw new UsageError(
      `--${flag} ${JSON.stringify(raw)}: ${bad.join(", ")} not allowed; use any of ${allowed.join(", ")}`,
    );
  }
  return [...new Set(values)] as T[];
}

/** Run a CLI main: usage and config errors print as one clear message. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const known = error instanceof Error && ["UsageError", "ConfigError", "InputError"].includes(error.name);
    const text = error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`${text}\n`);
    process.exit(known ? 2 : 1);
  });
}

type FlagOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

/** node:util parseArgs with the lab's conventions: strict, no positionals, errors as UsageError with the usage text. */
export function parseFlags<const O extends FlagOptions>(options: O, usage: string, args?: string[]) {
  try {
    return parseArgs({ options, strict: true, allowPositionals: false, ...(args ? { args } : {}) }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
}

/** A flag that must be a whole number of 1 or more. */
export function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${flag} ${JSON.stringify(raw)}: use a whole number of 1 or more`);
  return n;
}
