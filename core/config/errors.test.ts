import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeKey, describeValue } from "./errors";

describe("describeValue: any value a parser can produce, shown without throwing", () => {
  it("numbers JSON cannot say, as written", () => {
    assert.deepEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 10n, -0].map(describeValue), [
      "NaN",
      "Infinity",
      "-Infinity",
      "10",
      "0",
    ]);
  });
  it("a circular value (a YAML alias to its parent) and nesting past the stack, by their shape", () => {
    const loop: unknown[] = [];
    loop.push(loop);
    assert.equal(describeValue(loop), "a list of 1 item(s)");
    let deep: unknown = "x";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(describeValue(deep), "a list of 1 item(s)");
  });
  it("control and bidi characters escaped, long text cut at 60 characters by code point", () => {
    assert.equal(describeValue("a\u001b[31m\u202eb\n"), '"a\\u001b[31m\\u202eb\\n"');
    const emoji = describeValue("🙂".repeat(100));
    assert.equal([...emoji].length, 60);
    assert.ok(emoji.endsWith("🙂..."));
    assert.equal(describeValue(undefined), "missing");
  });
  it("keys: plain ones as they are, any other quoted", () => {
    assert.deepEqual(["memoryMB", "paper-2x2", 0, "a b", "\u202e", ""].map(describeKey), [
      "memoryMB",
      "paper-2x2",
      "0",
      '"a b"',
      '"\\u202e"',
      '""',
    ]);
  });
});
