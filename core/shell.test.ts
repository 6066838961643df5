import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { sh, shellCode, shellComment, shellEnv, shellHeredoc, shellLines, shellQuote } from "./shell";

/** What bash makes of a script's words: one line per argument of printf. */
function words(script: string): string[] {
  const out = execFileSync("bash", ["-c", `printf '%s\\0' ${script}`], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

const HOSTILE = [
  "$(touch /tmp/pwned)",
  "`id`",
  "a'b",
  'a"b',
  "two words",
  "line\nbreak",
  "; rm -rf /",
  "*",
  "$HOME",
  "-n",
  "",
  "ünïcødé ✓",
  "\\",
  "a\tb",
];

describe("sh", () => {
  it("turns every hostile string into exactly one word that bash reads back unchanged", () => {
    for (const value of HOSTILE) assert.deepEqual(words(sh`${value}`.text), [value], JSON.stringify(value));
  });

  it("quotes each item of a list as its own word", () => {
    assert.deepEqual(words(sh`${HOSTILE}`.text), HOSTILE);
  });

  it("inserts nested shell as code and plain words unquoted", () => {
    const inner = sh`echo ${"a b"}`;
    assert.equal(sh`if true; then ${inner}; fi`.text, "if true; then echo 'a b'; fi");
    assert.equal(sh`docker rm -f ${"edgelab-1"} ${8080}`.text, "docker rm -f edgelab-1 8080");
    assert.equal(sh`cd ${shellCode('"$HOME"')}`.text, 'cd "$HOME"');
  });

  it("refuses values that are not words", () => {
    assert.throws(() => sh`${Number.NaN}`, /not a finite number/);
    assert.throws(() => sh`${undefined as unknown as string}`, /cannot interpolate undefined/);
    assert.throws(() => sh`${{} as unknown as string}`, /cannot interpolate object/);
  });

  it("joins lines, dropping the empty and the false", () => {
    assert.equal(shellLines([sh`a`, false, sh``, sh`b ${"c d"}`]).text, "a\nb 'c d'");
  });

  it("exports inputs as variables whose values arrive as data", () => {
    const script = `${shellEnv({ RUN_ID: "$(id)", PORT: 8080 }).text}\nprintf '%s|%s' "$RUN_ID" "$PORT"`;
    assert.equal(execFileSync("bash", ["-c", script], { encoding: "utf8" }), "$(id)|8080");
    assert.throws(() => shellEnv({ "A B": "x" }), /not a variable name/);
  });

  it("leaves plain words readable", () => {
    assert.equal(shellQuote("edgelab-go-docker.1:8080"), "edgelab-go-docker.1:8080");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
  });

  it("keeps a value with newlines inside its comment", () => {
    const script = `${shellComment("purpose: a\n$(touch /tmp/pwned-comment)\necho out").text}\nprintf done`;
    assert.equal(script.split("\n").filter((line) => !line.startsWith("#")).length, 1);
    assert.equal(execFileSync("bash", ["-c", script], { encoding: "utf8" }), "done");
  });

  it("carries a here-document's content verbatim and refuses its delimiter as a line", () => {
    for (const value of HOSTILE) {
      const script = sh`cat ${shellHeredoc(value)}`.text;
      const expected = value === "" || value.endsWith("\n") ? value : `${value}\n`;
      assert.equal(execFileSync("bash", ["-c", script], { encoding: "utf8" }), expected, JSON.stringify(value));
    }
    assert.throws(() => shellHeredoc("a\nEOF\nrm -rf /", "EOF"), /holds its delimiter EOF/);
    assert.throws(() => shellHeredoc("a", "E OF"), /not a here-document delimiter/);
  });
});
