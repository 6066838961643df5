/**
 * The host firewall's ruleset fed hostile rules: a description, a port or a source with a newline,
 * a quote, a brace or anything else that is not what nftables reads as one token. Each rule is
 * refused with its field named, or the ruleset has exactly the rules it was given: nothing a rule
 * carries can add a rule, close the table or open another.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caseCount, HOSTILE_SEED, HOSTILE_STRINGS, Rng, randomString, replay } from "../../core/testing/hostile";
import type { FirewallRule } from "../providers/common";
import { checkedRule, nftRuleset } from "./network";

const SAFE: FirewallRule = {
  direction: "in",
  protocol: "tcp",
  port: "22",
  sourceIps: ["198.51.100.7/32", "2001:db8::/48"],
  description: "SSH from the operator's networks",
};
const APP: FirewallRule = { ...SAFE, port: "32768-60999", sourceIps: ["10.42.1.11/32"], description: "the app ports" };

/** The ruleset's lines that decide something (accept, drop, a chain, a table), as a shape without comments. */
function shape(ruleset: string): string[] {
  return ruleset
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .map((line) => line.replace(/ comment "[^"\n]*"$/, ' comment "?"'));
}

const baseline = shape(nftRuleset([SAFE, APP]));

/** A ruleset made with `rule` in place of SAFE: refused naming the field, or the baseline's shape. */
function outcome(rule: FirewallRule, field: keyof FirewallRule, what: string): "refused" | "accepted" {
  let ruleset: string;
  try {
    ruleset = nftRuleset([rule, APP]);
  } catch (error) {
    assert.ok(error instanceof Error, replay(`${what}: ${String(error)}`));
    const named = field === "sourceIps" ? "source" : field;
    assert.match(error.message, new RegExp(`^firewall rule for port .*: .*${named} `), replay(what));
    assert.doesNotMatch(error.message, /\n/, replay(`${what}: one line`));
    return "refused";
  }
  const lines = shape(ruleset);
  if (field === "description") assert.deepEqual(lines, baseline, replay(`${what}: the rules changed`));
  assert.equal(lines.length, baseline.length, replay(`${what}: a line was added`));
  assert.equal(lines.filter((l) => l.includes(" accept")).length, baseline.filter((l) => l.includes(" accept")).length);
  const code = lines.join("\n");
  assert.equal(
    code.split("{").length,
    code.split("}").length,
    replay(`${what}: braces outside comments do not pair up`),
  );
  return "accepted";
}

describe(`host firewall ruleset, hostile rules (seed ${HOSTILE_SEED})`, () => {
  it("a newline in a description adds no rule: the rule is refused, naming its description", () => {
    for (const description of ["a\nb", 'x" accept\n    tcp dport 1-65535 accept comment "y', "ok\r", "tab\there"]) {
      assert.throws(
        () => nftRuleset([{ ...SAFE, description }, APP]),
        /^Error: firewall rule for port "22": description ".*" is not allowed: expected 1 to 128 printable ASCII characters without " or \\/,
        JSON.stringify(description),
      );
    }
    assert.equal(checkedRule(SAFE), SAFE, "a plain description is kept as it is");
  });

  it("every hostile string as a description, a port or a source: refused by name, or the same rules", () => {
    let accepted = 0;
    for (const value of HOSTILE_STRINGS) {
      const what = JSON.stringify(value.slice(0, 40));
      if (outcome({ ...SAFE, description: value }, "description", `description ${what}`) === "accepted") accepted++;
      outcome({ ...SAFE, port: value }, "port", `port ${what}`);
      outcome({ ...SAFE, sourceIps: [value] }, "sourceIps", `source ${what}`);
    }
    assert.ok(accepted > 0, "some hostile strings are plain comments (a test that refuses everything proves nothing)");
  });

  it("random descriptions, ports and sources end the same way", () => {
    const rng = new Rng(HOSTILE_SEED + 31);
    for (let i = 0; i < caseCount(400); i++) {
      const value = randomString(rng);
      const field = rng.pick(["description", "port", "sourceIps"] as const);
      const rule = field === "sourceIps" ? { ...SAFE, sourceIps: [value] } : { ...SAFE, [field]: value };
      outcome(rule, field, `case ${i}: ${field} ${JSON.stringify(value.slice(0, 40))}`);
    }
  });

  it("a source not in its canonical spelling, and a rule with no source, are refused", () => {
    assert.throws(
      () => checkedRule({ ...SAFE, sourceIps: ["2001:DB8::/48"] }),
      /source "2001:DB8::\/48" .*\(2001:db8::\/48\)/,
    );
    assert.throws(() => checkedRule({ ...SAFE, sourceIps: [] }), /it has no source/);
  });
});
