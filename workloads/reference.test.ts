import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { GOLDEN_PAYLOADS, patternBytes } from "./contract";
import { referenceDigest } from "./reference";

function opensslChain(payload: Buffer, rounds: number): string {
  let digest = payload;
  for (let i = 0; i < rounds; i++) digest = createHash("sha256").update(digest).digest();
  return digest.toString("hex");
}

describe("the /compute reference", () => {
  it("is plain SHA-256 for one round (FIPS 180-2 vectors)", () => {
    assert.equal(
      referenceDigest(Buffer.alloc(0), 1),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(
      referenceDigest(Buffer.from("abc"), 1),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("chains over raw digest bytes, 100 rounds", () => {
    // Fixed once from the Go app and checked against two independent implementations below.
    assert.equal(
      referenceDigest(Buffer.from("abc")),
      "45b9d3cf77ffa0063dc37b84bcb3db9cef42eac523ec3f6a3ead7e40d2c4776b",
    );
    for (const { name, body } of GOLDEN_PAYLOADS) {
      assert.equal(referenceDigest(body), opensslChain(body, 100), name);
    }
  });

  it("uses deterministic golden payloads", () => {
    assert.deepEqual(patternBytes(8), patternBytes(8));
    assert.notDeepEqual(patternBytes(8, 1), patternBytes(8, 2));
    assert.equal(GOLDEN_PAYLOADS.find((p) => p.name === "1MiB")?.body.length, 1 << 20);
  });
});
