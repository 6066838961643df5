import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failure, ipv4Flag, parseCommandLine, parseFlags, parseList, positiveInt, UsageError } from "./args";

describe("parseList", () => {
  const allowed = ["go", "node"] as const;
  it("defaults to every allowed value", () =>
    assert.deepEqual(parseList("runtime", undefined, allowed), ["go", "node"]));
  it("keeps the order given and drops repeats", () =>
    assert.deepEqual(parseList("runtime", "node,go,node", allowed), ["node", "go"]));
  it("names the flag, the bad value and the allowed ones", () => {
    assert.throws(
      () => parseList("runtime", "go,rust", allowed),
      (e: unknown) =>
        e instanceof UsageError && e.message === '--runtime "go,rust": rust not allowed; use any of go, node',
    );
  });
});

describe("hostile flag values", () => {
  it("quotes a bad list item that is not a plain word (escapes, unicode, empty items)", () => {
    assert.throws(
      () => parseList("runtime", "go,,\u001b[2J", ["go", "node"] as const),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === '--runtime "go,,\\u001b[2J": "", "\\u001b[2J" not allowed; use any of go, node',
    );
  });
  it("takes whole numbers in decimal digits only, and exactly", () => {
    assert.equal(positiveInt("repeats", "12"), 12);
    for (const raw of ["0", "-1", "1.5", "0x10", "1e3", "", "NaN", "Infinity", "99999999999999999999"]) {
      assert.throws(() => positiveInt("repeats", raw), /use a whole number of 1 or more/, raw);
    }
  });
  it("takes an IPv4 address with each part 0-255", () => {
    assert.equal(ipv4Flag("bind-address", "10.0.1.2"), "10.0.1.2");
    for (const raw of ["999.1.1.1", "10.0.1", "localhost", "::1", "10.0.1.2 ", "010.0.1.2"]) {
      assert.throws(() => ipv4Flag("bind-address", raw), /use an IPv4 address/, raw);
    }
  });
  it("refuses an empty value, a NUL byte and unknown flags, each naming the flag", () => {
    const options = { name: { type: "string" }, on: { type: "boolean" } } as const;
    assert.deepEqual(parseCommandLine(options, "usage", ["--name", "x", "dir"]).positionals, ["dir"]);
    assert.throws(() => parseCommandLine(options, "usage", ["--name", " "]), /^UsageError: --name " ": give a value$/);
    assert.throws(() => parseCommandLine(options, "usage", ["--name=a\u0000b"]), /--name "a\\u0000b": a NUL byte/);
    assert.throws(() => parseCommandLine(options, "usage", ["a\u0000b"]), /"a\\u0000b": a NUL byte/);
    assert.throws(() => parseFlags(options, "usage", ["dir"]), /Unexpected argument 'dir'[\s\S]*usage/);
    assert.throws(() => parseFlags(options, "usage", ["--nam", "x"]), /Unknown option '--nam'/);
  });
  it("ends a user's error with exit 2 and its message alone; a bug with exit 1 and its stack", () => {
    assert.deepEqual(failure(new UsageError("--x: bad")), { code: 2, text: "--x: bad" });
    const bug = failure(new TypeError("oops"));
    assert.equal(bug.code, 1);
    assert.match(bug.text, /^TypeError: oops\n\s+at /);
  });
});
