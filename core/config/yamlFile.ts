import { readFileSync, statSync } from "node:fs";
import { parseDocument } from "yaml";
import { ConfigError, describeValue, InputError } from "./errors";

/** A revision is about 10 KB; far larger is a wrong file, and a huge one only costs time and memory. */
export const MAX_YAML_BYTES = 256 * 1024;
/** Aliases a file may expand (yaml's own default, stated here): more is a "billion laughs" bomb. */
export const MAX_YAML_ALIASES = 100;

/**
 * Read a YAML file the user gave the lab. Every way it can be unusable ends in a named error:
 * missing or not a file (InputError), too large, not YAML, a tag or alias bomb (ConfigError
 * naming the file). `what` names the file in the not-found message, e.g. `revision "x"`.
 */
export function readYamlFile(path: string, what: string, allowed: string): unknown {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new InputError(`${what} is not allowed: ${path} is not a file; ${allowed}`);
    size = stat.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${what} not found at ${path}: ${allowed}`);
  }
  if (size > MAX_YAML_BYTES) {
    throw new ConfigError(path, [`(file) = ${size} bytes is not allowed: expected at most ${MAX_YAML_BYTES} bytes`]);
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new InputError(`${what} cannot be read at ${path} (${(error as NodeJS.ErrnoException).code}): ${allowed}`);
  }
  return parseYamlText(text, path);
}

/** Parse YAML text; syntax errors, unknown tags and alias bombs become a ConfigError naming `source`. */
export function parseYamlText(text: string, source: string): unknown {
  // prettyErrors off: yaml's pretty printer runs out of memory on a line of 100k brackets.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: "silent" });
  const problems = [...doc.errors, ...doc.warnings].slice(0, 5).map((e) => {
    return `${where(text, e.pos[0])} is not allowed: ${e.message.split("\n")[0]} (expected valid YAML)`;
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb; a RangeError for nesting past the stack
    const why = (error as Error).message.split("\n")[0];
    throw new ConfigError(source, [
      `(file) = aliases or nesting without end is not allowed: ${why} (at most ${MAX_YAML_ALIASES} aliases, nested a few levels deep)`,
    ]);
  }
}

/** `line 3, column 5 = "the line's text"`: the key and value of a YAML syntax error. */
function where(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  const line = text.slice(0, start).split("\n").length;
  const end = text.indexOf("\n", start);
  return `line ${line}, column ${offset - start + 1} = ${describeValue(text.slice(start, end === -1 ? undefined : end))}`;
}
