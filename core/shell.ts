/**
 * Shell quoted by construction. Every script the lab generates is written with the `sh` tag:
 * each interpolated string or number becomes one quoted shell word, so a value (a run id, an
 * address, a file name) can never become shell code, whatever a validator elsewhere lets through.
 * Shell that is meant as shell (a fragment made by another `sh`, a `$VAR` expansion) is marked so
 * explicitly: a `Shell` value from `sh`, `shellCode` or `shellLines`.
 */

/** Text that is shell code on purpose. Only this module makes one. */
export class Shell {
  readonly #text: string;
  private constructor(text: string) {
    this.#text = text;
  }
  /** @internal the module's own constructor; use `sh`, `shellCode` or `shellLines`. */
  static of(text: string): Shell {
    return new Shell(text);
  }
  toString(): string {
    return this.#text;
  }
  get text(): string {
    return this.#text;
  }
}

/** One value for `sh`: a word (quoted), a list of words (each quoted, space-separated) or shell code. */
export type ShellValue = string | number | Shell | readonly (string | number)[];

/** One shell word standing for `arg`, exactly: plain words stay readable, anything else is single-quoted. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function word(value: string | number): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`sh: ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value !== "string") throw new Error(`sh: cannot interpolate ${typeof value}`);
  return shellQuote(value);
}

function render(value: ShellValue): string {
  if (value instanceof Shell) return value.text;
  if (Array.isArray(value)) return value.map(word).join(" ");
  return word(value as string | number);
}

/** The tag: `sh\`docker rm -f ${name}\`` quotes `name`; `${sh\`...\`}` nests shell. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): Shell {
  let text = strings[0] ?? "";
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? "");
  });
  return Shell.of(text);
}

/**
 * Fixed shell text that is code on purpose, e.g. `"$HOME"` or the body of a `.sh` file the lab
 * ships. Never pass it a value that came from a user or a config file: interpolate those with `sh`.
 */
export function shellCode(text: string): Shell {
  return Shell.of(text);
}

/** Several pieces of shell, one per line (empty pieces and `false` dropped: `cond && sh\`...\``). */
export function shellLines(pieces: readonly (Shell | false | null | undefined)[], separator = "\n"): Shell {
  return Shell.of(
    pieces
      .filter((piece): piece is Shell => piece instanceof Shell && piece.text !== "")
      .map((piece) => piece.text)
      .join(separator),
  );
}

/** `export NAME=value` lines for a script's inputs: names checked, values quoted. */
export function shellEnv(vars: Readonly<Record<string, string | number>>): Shell {
  return shellLines(
    Object.entries(vars).map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`sh: ${JSON.stringify(name)} is not a variable name`);
      return Shell.of(`export ${name}=${word(value)}`);
    }),
  );
}

/**
 * Comment lines for `text`: every line of it starts with `# `, so a value with a newline (a
 * purpose naming a runtime, a version) can never end the comment and become code. Quoting would
 * not help there: a comment ends at the newline whatever quotes surround it.
 */
export function shellComment(text: string): Shell {
  return Shell.of(
    text
      .split("\n")
      .map((line) => `# ${line}`.trimEnd())
      .join("\n"),
  );
}

/**
 * A here-document carrying `content` verbatim: `<<'DELIMITER'`, the content, the delimiter. The
 * quoted delimiter turns expansion off; content holding the delimiter as a line is refused, since
 * that line would end the document early and the rest would run as code.
 */
export function shellHeredoc(content: string, delimiter = "EDGELAB_EOF"): Shell {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(delimiter))
    throw new Error(`sh: ${JSON.stringify(delimiter)} is not a here-document delimiter`);
  if (content.split("\n").includes(delimiter)) {
    throw new Error(`sh: the here-document's content holds its delimiter ${delimiter} as a line`);
  }
  return Shell.of(
    `<<'${delimiter}'\n${content.endsWith("\n") || content === "" ? content : `${content}\n`}${delimiter}`,
  );
}
