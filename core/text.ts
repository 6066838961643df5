/**
 * Text the lab takes from programs it does not control (a guest's serial console, QEMU's stderr,
 * a tool's output) made safe to show: no terminal control sequence ever reaches a reason, a log
 * excerpt, a CSV field or a report line. SeaBIOS, for one, clears the screen on every boot
 * (`ESC c ESC [?7l ESC [2J`); copied raw into a terminal or a report, that wipes or garbles it.
 * This is the one place that rule lives: what makes reasons and excerpts calls it, and so do
 * the CSV and report writers.
 */

/**
 * ECMA-48 sequences: CSI (`ESC [` ... final byte), OSC/DCS/PM/APC strings (ended by BEL or
 * `ESC \`), character-set designations (`ESC ( B`) and the two-byte escapes (`ESC c`, `ESC 7`).
 * Their 8-bit C1 forms (0x9b CSI, 0x9d OSC) are matched too.
 */
const ESCAPE_SEQUENCE = new RegExp(
  [
    "(?:\\u001b\\[|\\u009b)[\\u0030-\\u003f]*[\\u0020-\\u002f]*[\\u0040-\\u007e]",
    "(?:\\u001b[\\]P^_]|[\\u009d\\u0090\\u009e\\u009f])[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?",
    "\\u001b[\\u0020-\\u002f]+[\\u0030-\\u007e]",
    "\\u001b[\\u0030-\\u007e]",
  ].join("|"),
  "g",
);

/** Every control character but newline and tab (C0, DEL, C1), after the sequences are gone. */
const CONTROL_RANGES = "\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f";
const CONTROL_CHARACTER = new RegExp(`[${CONTROL_RANGES}]`, "g");
const ANY_CONTROL_CHARACTER = new RegExp(`[${CONTROL_RANGES}]`);

/**
 * `text` without terminal escape sequences or control characters. Line ends become "\n" (a
 * serial console writes "\r\n"); newlines and tabs are kept, everything else of C0/C1 goes.
 */
export function plainText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, "").replace(/\r\n?/g, "\n").replace(CONTROL_CHARACTER, "");
}

/** Whether `text` holds anything plainText would remove or change (tests and checks of written files). */
export function hasControlCharacters(text: string): boolean {
  return ANY_CONTROL_CHARACTER.test(text);
}

/**
 * The last `count` non-empty lines of `text`, cleaned and joined with " | " on one line, at most
 * `maxChars` long: how a log is quoted in a cell's reason or a skip line.
 */
export function lastLinesExcerpt(text: string, count: number, maxChars: number): string {
  const lines = plainText(text)
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter((line) => line !== "");
  return lines.slice(-count).join(" | ").slice(0, maxChars);
}

/** One line of plain text: cleaned, whitespace runs (newlines included) made one space. */
export function oneLine(text: string): string {
  return plainText(text).replace(/\s+/g, " ").trim();
}
