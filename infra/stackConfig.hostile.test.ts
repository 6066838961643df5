/**
 * PULUMI_CONFIG_SECRET_KEYS fed hostile text: the list of secret keys is read as a JSON list of
 * config keys or refused with the variable named, never thrown as a SyntaxError and never taken
 * for "nothing is secret" (which would switch the plain-text check off).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../core/config/errors";
import {
  caseCount,
  HOSTILE_SEED,
  HOSTILE_STRINGS,
  HOSTILE_VALUES,
  Rng,
  randomString,
  randomValue,
  replay,
} from "../core/testing/hostile";
import { parseSecretKeyList, SECRET_KEYS_ENV } from "./stackConfig";

/** A list, or a ConfigError naming the variable in one line; anything else fails the test. */
function outcome(raw: string, what: string): string[] | null | "refused" {
  try {
    const keys = parseSecretKeyList(raw);
    if (keys !== null) {
      assert.ok(Array.isArray(keys), replay(what));
      for (const k of keys)
        assert.match(k, /^[^:\s]+:\S+$/, replay(`${what}: ${JSON.stringify(k)} is not a config key`));
    }
    return keys;
  } catch (error) {
    assert.ok(error instanceof ConfigError, replay(`${what}: threw ${(error as Error)?.stack}`));
    assert.equal(error.problems.length, 1);
    const problem = error.problems[0] ?? "";
    assert.match(
      problem,
      new RegExp(`^${SECRET_KEYS_ENV} = .{1,60} is not allowed: .*expected a JSON list of config keys`, "u"),
      replay(what),
    );
    assert.doesNotMatch(problem, /[\n\r]/, replay(`${what}: one line`));
    return "refused";
  }
}

describe(`${SECRET_KEYS_ENV}, hostile values (seed ${HOSTILE_SEED})`, () => {
  it("reads what the Pulumi CLI passes, and unset as no list", () => {
    assert.deepEqual(parseSecretKeyList('["edge-lab:sshPrivateKey","hcloud:token"]'), [
      "edge-lab:sshPrivateKey",
      "hcloud:token",
    ]);
    assert.deepEqual(parseSecretKeyList("[]"), []);
    assert.equal(parseSecretKeyList(undefined), null);
    assert.equal(parseSecretKeyList(""), null);
  });

  it("refuses text that is not a JSON list of config keys, naming the variable", () => {
    for (const raw of [
      "hcloud:token",
      "{}",
      '"hcloud:token"',
      "[1]",
      "[null]",
      '["no colon"]',
      '["a:b\\nc"]',
      "[",
      "null",
    ]) {
      assert.equal(outcome(raw, raw), "refused", raw);
    }
  });

  it("every hostile string, every hostile value as JSON, and random text: a list or a named refusal", () => {
    let refused = 0;
    for (const raw of HOSTILE_STRINGS) if (outcome(raw, JSON.stringify(raw.slice(0, 40))) === "refused") refused++;
    for (const value of HOSTILE_VALUES) {
      let raw: string | undefined;
      try {
        raw = JSON.stringify(value);
      } catch {
        continue; // a value JSON cannot write is no text Pulumi could pass
      }
      if (raw !== undefined) outcome(raw, `JSON of ${String(raw).slice(0, 40)}`);
    }
    const rng = new Rng(HOSTILE_SEED + 41);
    for (let i = 0; i < caseCount(300); i++) {
      const raw = rng.chance(0.5) ? randomString(rng) : JSON.stringify([randomValue(rng), randomString(rng)]);
      outcome(raw ?? "", `case ${i}`);
    }
    assert.ok(refused > HOSTILE_STRINGS.length / 2, "most hostile strings are refused");
  });
});
