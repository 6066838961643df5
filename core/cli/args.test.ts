import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseList, UsageError } from "./args";

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
