import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseGoVersion } from "./goToolchain";

describe("go version parsing", () => {
  it("reads captured `go version` output", () => {
    const captured = readFileSync(join(__dirname, "fixtures", "go-version-1.22.12.txt"), "utf8");
    assert.equal(parseGoVersion(captured), "1.22.12");
    assert.equal(parseGoVersion("go version go1.19 linux/amd64"), "1.19");
  });
  it("rejects anything else", () =>
    assert.throws(() => parseGoVersion("bash: go: not found"), /cannot read a Go version/));
});
