/**
 * Hostile stack configs: every `edge-lab:*` key given hostile strings (as Pulumi hands them over),
 * and base configs of each target mutated at random (wrong types, huge numbers, unknown and
 * prototype keys, shell metacharacters, unicode). Each ends in a LabConfig or a ConfigError whose
 * every problem names an `edge-lab:` key, never shows the private key, and never throws anything
 * else; accepted configs go on through planLab and end the same way.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, describeKey } from "../core/config/errors";
import {
  caseCount,
  HOSTILE_SEED,
  HOSTILE_STRINGS,
  Rng,
  randomString,
  randomValue,
  replay,
} from "../core/testing/hostile";
import { loadRevision } from "../lab/config/revision";
import { CONFIG_KEYS, type ConfigKey, type LabConfig, parseLabConfig, readRaw } from "./config";
import { readStackConfig } from "./stackConfig";
import { planLab } from "./stackPlan";
import { TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, TEST_REVISION } from "./testing/mockProgram";

const KEYS = Object.keys(CONFIG_KEYS) as ConfigKey[];
const PROTOTYPE_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
const secretBody = TEST_PRIVATE_KEY.split("\n")[1] ?? TEST_PRIVATE_KEY;

const BASES: Record<string, Record<string, unknown>> = {
  local: { target: "local" },
  static: {
    target: "static",
    sshPrivateKey: TEST_PRIVATE_KEY,
    sut: { address: "10.0.0.2" },
    loadgen: { address: "10.0.0.3" },
  },
  hcloud: {
    target: "hcloud",
    sshAllowedCidrs: ["81.2.69.160/32"],
    sshPublicKey: TEST_PUBLIC_KEY,
    sshPrivateKey: TEST_PRIVATE_KEY,
  },
};

/** A config or a ConfigError whose every problem names a key; anything else fails the test. */
function parsed(raw: Record<string, unknown>, what: string): LabConfig | ConfigError {
  try {
    return parseLabConfig(raw, "dev");
  } catch (error) {
    assert.ok(error instanceof ConfigError, replay(`${what}: expected a ConfigError, got ${(error as Error)?.stack}`));
    for (const problem of error.problems) {
      assert.match(problem, /^edge-lab:/, replay(`${what}: a problem that names no key: ${problem}`));
      assert.ok(!problem.includes(secretBody), replay(`${what}: the private key is shown`));
      assert.ok(!/[\n\r]/.test(problem), replay(`${what}: one line per problem`));
    }
    return error;
  }
}

describe(`hostile stack configs (seed ${HOSTILE_SEED})`, () => {
  it("every key read from a hostile string: its value, or a ConfigError naming the key", () => {
    for (const key of KEYS) {
      for (const value of HOSTILE_STRINGS) {
        try {
          readRaw(key, value);
        } catch (error) {
          assert.ok(error instanceof ConfigError, `${key} = ${JSON.stringify(value)}: ${error}`);
          assert.match(error.problems[0] ?? "", new RegExp(`^edge-lab:${key} = .* is not allowed: expected `));
        }
      }
    }
  });

  it("numbers are decimal and exact: hex, exponents, padding and 2^53 and beyond are refused", () => {
    for (const value of ["0x10", "1e3", " 3", "3 ", "Infinity", "NaN", "99999999999999999999", "1_000", "+1", ""]) {
      assert.throws(
        () => readRaw("pairs", value),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.problems[0] === `edge-lab:pairs = ${JSON.stringify(value)} is not allowed: expected a number`,
        value,
      );
    }
    assert.equal(readRaw("pairs", "3"), 3);
    assert.equal(readRaw("vswitchId", "-1"), -1, "the schema, not the reader, says what range is allowed");
  });

  it("random mutations of each target's config end in a config or a ConfigError naming the key", () => {
    const rng = new Rng(HOSTILE_SEED + 20);
    const revision = loadRevision(TEST_REVISION);
    let refused = 0;
    const cases = caseCount(300);
    for (let i = 0; i < cases; i++) {
      const [baseName, base] = rng.pick(Object.entries(BASES));
      const raw: Record<string, unknown> = Object.create(null);
      Object.assign(raw, structuredClone(base));
      const key = rng.chance(0.8) ? rng.pick(KEYS) : rng.chance(0.5) ? rng.pick(PROTOTYPE_KEYS) : randomString(rng);
      const deleted = rng.chance(0.15);
      if (deleted) delete raw[key];
      else Object.defineProperty(raw, key, { value: randomValue(rng), enumerable: true, writable: true });
      const what = `case ${i}: ${baseName} ${deleted ? "without" : "with"} ${JSON.stringify(key)}`;
      const result = parsed(raw, what);
      if (result instanceof ConfigError) {
        refused++;
        if (!deleted && !Object.hasOwn(CONFIG_KEYS, key)) {
          assert.match(
            result.problems.join("\n"),
            new RegExp(`^edge-lab:${regexpOf(describeKey(key))} is not a key`, "m"),
            replay(what),
          );
        }
        continue;
      }
      // Accepted: planning it against a revision ends in a plan or a ConfigError too.
      try {
        planLab(result, revision);
      } catch (error) {
        assert.ok(error instanceof ConfigError, replay(`${what}: planLab threw ${(error as Error)?.stack}`));
      }
    }
    assert.ok(refused > cases / 2, replay(`only ${refused} of ${cases} mutations were refused`));
  });

  it("a profile named like an Object member is not a profile of the revision", () => {
    const revision = loadRevision(TEST_REVISION);
    for (const profile of ["constructor"]) {
      const config = parseLabConfig({ target: "local", revision: TEST_REVISION, profile }, "dev");
      assert.throws(
        () => planLab(config, revision),
        (e: unknown) =>
          e instanceof ConfigError && /profile "constructor" is not in revision infra-test/.test(e.problems[0] ?? ""),
        profile,
      );
    }
  });

  it("the stack file as Pulumi hands it over: prototype keys, hostile numbers and JSON", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ "edge-lab:__proto__": '{"target":"hcloud"}' }, /^edge-lab:__proto__ is not a key of this lab/m],
      [{ "edge-lab:constructor": "x" }, /^edge-lab:constructor is not a key of this lab/m],
      [{ "edge-lab:toString": "x" }, /^edge-lab:toString is not a key of this lab/m],
      [{ "edge-lab:pairs": "0x2" }, /^edge-lab:pairs = "0x2" is not allowed: expected a number$/m],
      [{ "edge-lab:pairs": "99999999999999999999" }, /^edge-lab:pairs = "99999999999999999999" is not allowed/m],
      [{ "edge-lab:allowEmulation": "yes; rm -rf /" }, /^edge-lab:allowEmulation = "yes; rm -rf \/" is not allowed/m],
      [{ "edge-lab:profile": "$(id)" }, /^edge-lab:profile = "\$\(id\)" is not allowed: expected a profile name/m],
      [{ "edge-lab:runId": "../../etc" }, /^edge-lab:runId = "\.\.\/\.\.\/etc" is not allowed/m],
      [{ "edge-lab:revision": "" }, /^edge-lab:revision = "" is not allowed/m],
      [{ "edge-lab:\u202eevil": "x" }, /^edge-lab:"\\u202eevil" is not a key of this lab/m],
    ];
    for (const [extra, message] of cases) {
      pulumi.runtime.setAllConfig({ "edge-lab:target": "local", ...extra }, []);
      assert.throws(
        () => readStackConfig("dev"),
        (e: unknown) => e instanceof ConfigError && message.test(e.problems.join("\n")),
        JSON.stringify(extra),
      );
    }
    pulumi.runtime.setAllConfig({}, []);
  });
});

function regexpOf(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
