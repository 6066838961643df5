/**
 * Firewall sources parsed as networks (infra/network.ts): every spelling of "the whole internet"
 * refused with the key and the value named, short prefixes warned about, host names resolved at
 * plan time or refused. The only lookups that leave the process are `localhost` (answered from
 * /etc/hosts) and a name under `.invalid` (RFC 6761: never resolves); the others are injected.
 */
import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { describe, it } from "node:test";
import { ConfigError } from "../core/config/errors";
import { parseLabConfig } from "./config";
import {
  hostNetwork,
  isAmbiguousAddress,
  type Lookup,
  type Network,
  networkContains,
  networkOf,
  parseNetwork,
  resolveHost,
  shortPrefixWarning,
  wholeFamilies,
} from "./network";
import { providerOf } from "./providers";
import { resolveHostAddresses } from "./providers/addresses";
import { firewallRules } from "./providers/common";
import { ipInCidr } from "./providers/keys";
import type { LabPlan } from "./stackPlan";
import { TEST_PRIVATE_KEY, TEST_PUBLIC_KEY } from "./testing/mockProgram";

const reasonOf = (text: string) => {
  const parsed = parseNetwork(text);
  assert.ok(!parsed.ok, `${text} was accepted as ${parsed.ok ? parsed.network.cidr : ""}`);
  return parsed;
};
const cidrOf = (text: string) => {
  const parsed = parseNetwork(text);
  assert.ok(parsed.ok, `${text} was refused: ${parsed.ok ? "" : parsed.reason}`);
  return parsed.network.cidr;
};

const hcloud = {
  target: "hcloud",
  sshPublicKey: TEST_PUBLIC_KEY,
};
/** The bare-metal target reaches your own SUT with your key. */
const operatorKey = { sshPrivateKey: TEST_PRIVATE_KEY };

function configProblems(raw: Record<string, unknown>): string[] {
  try {
    parseLabConfig(raw, "dev");
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return [...error.problems];
  }
  assert.fail("the config was accepted");
}

/** Every spelling of "every address" the issue found accepted, and a few more. */
const WHOLE_INTERNET = [
  "0.0.0.0/0",
  "::/0",
  "0::/0",
  "0:0:0:0:0:0:0:0/0",
  "000.0.0.0/0",
  "10.1.2.3/0",
  "203.0.113.7/0",
  "::ffff:0.0.0.0/0",
  "2001:db8::/0",
  "0.0.0.0/00",
  "::/000",
  "foo/0",
];

describe("network rules: the whole internet in any spelling", () => {
  it("refuses a prefix length of 0 whatever the address is", () => {
    for (const text of WHOLE_INTERNET) {
      const parsed = reasonOf(text);
      assert.equal(parsed.ok ? "" : parsed.problem, "zero-prefix", text);
    }
  });

  it("refuses the IPv4-mapped range and any IPv6 network that contains it (every IPv4 address spelled as IPv6)", () => {
    for (const text of ["::ffff:0.0.0.0/96", "::ffff:0:0/96", "0:0:0:0:0:ffff:0:0/96", "::/80", "::/64", "::/1"]) {
      const parsed = reasonOf(text);
      assert.equal(parsed.ok ? "" : parsed.problem, "zero-prefix", text);
      assert.match(parsed.ok ? "" : parsed.reason, /whole IPv4 internet/);
    }
  });

  it("names the key and the value in the stack's error, for every spelling", () => {
    for (const text of [...WHOLE_INTERNET, "::ffff:0.0.0.0/96"]) {
      const lines = configProblems({ ...hcloud, sshAllowedCidrs: ["81.2.69.160/32", text] });
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.ok(
        (lines[0] ?? "").startsWith(`edge-lab:sshAllowedCidrs.1 = ${JSON.stringify(text)} is not allowed: `),
        lines[0],
      );
      assert.match(
        lines[0] ?? "",
        /SSH open to the whole internet is not allowed; use your own public address as a \/32/,
      );
    }
  });

  it("refuses networks that add up to a whole family, as the key's value", () => {
    for (const list of [
      ["0.0.0.0/1", "128.0.0.0/1"],
      ["128.0.0.0/2", "0.0.0.0/1", "192.0.0.0/2", "81.2.69.160/32"],
      ["::ffff:0.0.0.0/97", "128.0.0.0/1"],
    ]) {
      const lines = configProblems({ ...hcloud, sshAllowedCidrs: list });
      assert.equal(lines.length, 1, `${list}: ${lines.join("\n")}`);
      assert.match(
        lines[0] ?? "",
        /^edge-lab:sshAllowedCidrs = \[.* is not allowed: together these networks admit every IPv[46] address/,
      );
    }
    assert.equal(wholeFamilies(["0.0.0.0/1", "128.0.0.0/2", "2001:db8::/32"].map((n) => networkOf("k", n))).length, 0);
    assert.deepEqual(wholeFamilies(["0.0.0.0/1", "128.0.0.0/1", "2001:db8::/32"].map((n) => networkOf("k", n))), [4]);
    // IPv6 halves (each refused alone, as it contains the IPv4-mapped range; the union is checked too).
    const half = (address: string): Network => ({ family: 6, address, prefix: 1, cidr: `${address}/1` });
    assert.deepEqual(wholeFamilies([half("8000::"), half("::")]), [6]);
  });

  it("refuses the same spellings for the other targets that open SSH", () => {
    const sut = { address: "192.0.2.50" };
    for (const raw of [
      { ...hcloud, target: "scaleway", sshAllowedCidrs: ["0::/0"] },
      { ...hcloud, ...operatorKey, target: "hcloud-baremetal", sut, sshAllowedCidrs: ["0:0:0:0:0:0:0:0/0"] },
    ]) {
      assert.match(configProblems(raw).join("\n"), /sshAllowedCidrs\.0 = "0(::|(:0){7})\/0" is not allowed/);
    }
  });
});

describe("network rules: syntax, range and host bits", () => {
  it("refuses addresses that are not one, naming what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["010.1.2.3/32", /"010\.1\.2\.3" is not an IPv4 address: .*leading zeros \(a leading zero reads as octal/],
      ["1.2.3/24", /"1\.2\.3" is not an IPv4 address/],
      ["256.0.0.0/8", /"256\.0\.0\.0" is not an IPv4 address/],
      ["fe80::1%eth0/128", /has a zone id \(%\.\.\.\): it names one machine's interface/],
      ["sut.example.net/32", /"sut\.example\.net" is not an IP address/],
      [" 10.0.0.0/8", /is not an IP address/],
      ["10.0.0.0/8/8", /expected one address and one prefix length/],
      ["10.0.0.0/x", /prefix length "x" is not a number/],
      ["10.0.0.0/-8", /prefix length "-8" is not a number/],
    ];
    for (const [text, reason] of cases) {
      const parsed = reasonOf(text);
      assert.match(parsed.ok ? "" : parsed.reason, reason, text);
    }
  });

  it("requires the prefix, and says how to write one address", () => {
    assert.match(JSON.stringify(reasonOf("203.0.113.7")), /write 203\.0\.113\.7\/32 for this one address/);
    assert.match(JSON.stringify(reasonOf("2001:db8::1")), /write 2001:db8::1\/128 for this one address/);
  });

  it("checks the prefix against the family", () => {
    assert.match(JSON.stringify(reasonOf("10.0.0.1/33")), /prefix length 33 is out of range: IPv4 takes 1 to 32/);
    assert.match(JSON.stringify(reasonOf("2001:db8::/129")), /prefix length 129 is out of range: IPv6 takes 1 to 128/);
    assert.equal(cidrOf("10.0.0.1/32"), "10.0.0.1/32");
    assert.equal(cidrOf("2001:db8::1/128"), "2001:db8::1/128");
  });

  it("refuses host bits, offering the network and the single address (a /3 typo never opens an eighth of the internet)", () => {
    const parsed = reasonOf("203.0.113.7/3");
    assert.equal(parsed.ok ? "" : parsed.problem, "host-bits");
    assert.match(parsed.ok ? "" : parsed.reason, /write 192\.0\.0\.0\/3 for the network or 203\.0\.113\.7\/32/);
    assert.match(JSON.stringify(reasonOf("2001:db8::1/48")), /write 2001:db8::\/48 for the network/);
  });

  it("spells every accepted network canonically, an IPv4-mapped one as IPv4", () => {
    const cases: [string, string][] = [
      ["2001:DB8:0:0::/48", "2001:db8::/48"],
      ["2001:0db8:0000:0000:0000:0000:0000:0000/32", "2001:db8::/32"],
      ["0:0:0:0:0:0:0:1/128", "::1/128"],
      ["::ffff:198.51.100.7/128", "198.51.100.7/32"],
      ["::ffff:c633:6400/120", "198.51.100.0/24"],
      ["198.51.100.0/24", "198.51.100.0/24"],
      ["2001:db8::c633:6407/128", "2001:db8::c633:6407/128"],
      ["2001:db8::198.51.100.7/128", "2001:db8::c633:6407/128"],
      ["198.51.100.7/032", "198.51.100.7/32"],
    ];
    for (const [text, cidr] of cases) assert.equal(cidrOf(text), cidr, text);
  });

  it("networkOf names the key and the value; hostNetwork makes a network of one", () => {
    assert.throws(() => networkOf("edge-lab:x", "0::/0"), /^Error: edge-lab:x = "0::\/0" is not allowed: a prefix/);
    assert.equal(hostNetwork("192.0.2.5").cidr, "192.0.2.5/32");
    assert.equal(hostNetwork("2001:DB8::5").cidr, "2001:db8::5/128");
    assert.equal(hostNetwork("::ffff:192.0.2.5").cidr, "192.0.2.5/32");
    assert.throws(() => hostNetwork("sut.example.net"), /not an IP address/);
  });

  it("answers containment as numbers (the vSwitch checks), across families without confusion", () => {
    const lab = networkOf("k", "10.42.0.0/16");
    assert.ok(networkContains(lab, "10.42.2.20"));
    assert.ok(!networkContains(lab, "10.43.0.1"));
    assert.ok(!networkContains(lab, "::ffff:10.43.0.1"));
    assert.ok(networkContains(lab, "::ffff:10.42.0.1"));
    assert.ok(!networkContains(networkOf("k", "2001:db8::/32"), "10.42.0.1"));
    assert.ok(ipInCidr("10.42.2.20", "10.42.2.0/24"));
    assert.ok(!ipInCidr("10.42.1.11", "10.42.2.0/24"));
    assert.ok(!ipInCidr("10.42.1.11", "10.42.2.0"));
    assert.ok(!ipInCidr("fe80::1%eth0", "fe80::/10"));
    assert.ok(!ipInCidr("sut.example.net", "10.42.2.0/24"));
  });
});

describe("network rules: short prefixes warn", () => {
  it("warns below IPv4 /16 and IPv6 /48, naming the key and the value", () => {
    const warn = (text: string) => shortPrefixWarning("edge-lab:sshAllowedCidrs", text, networkOf("k", text));
    assert.match(
      warn("10.0.0.0/8") ?? "",
      /^edge-lab:sshAllowedCidrs contains "10\.0\.0\.0\/8": a \/8 admits 16,777,216 addresses, more than one site's network \(IPv4 warns below \/16\)/,
    );
    assert.match(
      warn("2001:db8::/32") ?? "",
      /"2001:db8::\/32": a \/32 admits 2\^96 addresses,.*IPv6 warns below \/48/,
    );
    assert.match(warn("::ffff:10.0.0.0/104") ?? "", /a \/8 admits 16,777,216 addresses/);
    assert.equal(warn("198.51.0.0/16"), null);
    assert.equal(warn("2001:db8::/48"), null);
    assert.equal(warn("198.51.100.7/32"), null);
  });

  it("reaches the plan's warnings of every target that opens SSH (logged with pulumi.log.warn)", () => {
    const sshAllowedCidrs = ["81.2.69.160/32", "81.0.0.0/10"];
    for (const raw of [
      { ...hcloud, sshAllowedCidrs },
      { ...hcloud, target: "scaleway", sshAllowedCidrs },
      { ...hcloud, ...operatorKey, target: "hcloud-baremetal", sut: { address: "192.0.2.50" }, sshAllowedCidrs },
    ]) {
      const config = parseLabConfig(raw, "dev");
      const plan = providerOf(config.target).plan({ config, minCores: 1, kvmCells: 0, allowEmulation: false });
      const warnings = plan.warnings.filter((w) => w.includes("sshAllowedCidrs"));
      assert.equal(warnings.length, 1, `${config.target}: ${plan.warnings.join("\n")}`);
      assert.match(warnings[0] ?? "", /contains "81\.0\.0\.0\/10": a \/10 admits 4,194,304 addresses/);
    }
  });
});

describe("network rules: firewall sources", () => {
  it("are the parsed networks' canonical spellings, deduplicated", () => {
    const rules = firewallRules({
      sshAllowed: ["2001:DB8::/48", "::ffff:198.51.100.7/128", "198.51.100.7/32"].map((c) => networkOf("k", c)),
      loadgen: [hostNetwork("10.42.1.11")],
      sut: [hostNetwork("192.0.2.50"), hostNetwork("2001:db8::50")],
    });
    assert.deepEqual(
      rules.loadgen.map((r) => r.sourceIps),
      [
        ["2001:db8::/48", "198.51.100.7/32"],
        ["192.0.2.50/32", "2001:db8::50/128"],
      ],
    );
    for (const rule of rules.sut.filter((r) => r.port !== "22")) assert.deepEqual(rule.sourceIps, ["10.42.1.11/32"]);
  });
});

describe("host names where an address is needed", () => {
  const never: Lookup = async (name) => assert.fail(`${name} was looked up`);

  it("takes an address as itself, without a lookup", async () => {
    assert.deepEqual(await resolveHost("edge-lab:sut.address", "192.0.2.50", never), {
      networks: [hostNetwork("192.0.2.50")],
    });
  });

  it("resolves localhost to every address this machine gives it, as /32 and /128", async () => {
    const answer = await resolveHost("edge-lab:sut.address", "localhost");
    assert.ok("networks" in answer, JSON.stringify(answer));
    const expected = (await lookup("localhost", { all: true, verbatim: true })).map((a) => hostNetwork(a.address).cidr);
    assert.deepEqual(answer.networks.map((n) => n.cidr).sort(), [...new Set(expected)].sort());
    assert.ok(answer.networks.some((n) => n.cidr === "127.0.0.1/32"));
    for (const n of answer.networks) assert.equal(n.prefix, n.family === 4 ? 32 : 128);
  });

  it("refuses a name that does not resolve, naming the key, the value and what is allowed", async () => {
    const answer = await resolveHost("edge-lab:sut.address", "sut.lab.invalid");
    assert.deepEqual(answer, {
      problem:
        'edge-lab:sut.address = "sut.lab.invalid" is not allowed: it does not resolve (ENOTFOUND): the firewall admits the host by address; expected an IPv4 address, or a host name this machine resolves',
    });
  });

  it("gives up on a resolver that does not answer", async () => {
    const hang: Lookup = () => new Promise(() => {});
    const answer = await resolveHost("edge-lab:sut.address", "slow.example", hang, 50);
    assert.match(JSON.stringify(answer), /does not resolve \(no answer within 0\.05 s\)/);
  });

  it("keeps every address a name has, once each (IPv4-mapped answers are their IPv4, link-local ones dropped)", async () => {
    const many: Lookup = async () => ["2001:db8::5", "192.0.2.5", "::ffff:192.0.2.5", "fe80::5%eth0"];
    const answer = await resolveHost("edge-lab:sut.address", "sut.example", many);
    assert.deepEqual("networks" in answer ? answer.networks.map((n) => n.cidr) : answer, [
      "2001:db8::5/128",
      "192.0.2.5/32",
    ]);
  });

  it("refuses address spellings getaddrinfo reads in octal or with parts missing, in the config and at plan time", async () => {
    for (const value of ["010.1.2.3", "1.2.3", "127.1", "0x7f.0.0.1", "sut.example.42"]) {
      assert.ok(isAmbiguousAddress(value), value);
      assert.match(JSON.stringify(await resolveHost("edge-lab:sut.address", value, never)), /neither an IPv4 address/);
      const lines = configProblems({
        ...hcloud,
        ...operatorKey,
        target: "hcloud-baremetal",
        sshAllowedCidrs: ["81.2.69.160/32"],
        sut: { address: value },
      });
      assert.match(lines.join("\n"), new RegExp(`sut\\.address = "${value.replace(/\./g, "\\.")}" is not allowed`));
    }
    for (const value of ["sut.example.net", "10.0.0.1", "localhost", "4chan.example", "sut-1.example.org"]) {
      assert.ok(!isAmbiguousAddress(value), value);
    }
  });
});

describe("plan time: the bare-metal SUT by host name", () => {
  const planFor = (raw: Record<string, unknown>): LabPlan => {
    const config = parseLabConfig(raw, "metal");
    const hosts = providerOf(config.target).pairHosts(config, 1);
    return { config, pairs: [{ index: 1, hosts }], hosts } as unknown as LabPlan;
  };
  const metal = {
    ...hcloud,
    ...operatorKey,
    target: "hcloud-baremetal",
    sshAllowedCidrs: ["81.2.69.160/32"],
  };

  it("resolves the SUT's address when the load generator's firewall admits it (no vSwitch)", async () => {
    const answers: Lookup = async (name) => (name === "sut.example" ? ["192.0.2.50", "2001:db8::50"] : []);
    const plan = await resolveHostAddresses(
      planFor({ ...metal, sut: { address: "sut.example", privateAddress: "192.0.2.50" } }),
      answers,
    );
    assert.deepEqual(
      plan.hosts.sut.resolved?.map((n) => n.cidr),
      ["192.0.2.50/32", "2001:db8::50/128"],
    );
    assert.equal(plan.pairs[0]?.hosts.sut, plan.hosts.sut);
  });

  it("stops the plan for a name that does not resolve, before any resource exists", async () => {
    const plan = planFor({ ...metal, sut: { address: "sut.lab.invalid", privateAddress: "192.0.2.50" } });
    await assert.rejects(resolveHostAddresses(plan), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^stack metal \(Pulumi\.metal\.yaml\) is not valid:/);
      assert.deepEqual(error.problems, [
        'edge-lab:sut.address = "sut.lab.invalid" is not allowed: it does not resolve (ENOTFOUND): the firewall admits the host by address; expected an IPv4 address, or a host name this machine resolves',
      ]);
      return true;
    });
  });

  it("looks nothing up where no firewall admits the host by address (vSwitch, static)", async () => {
    const never: Lookup = async (name) => assert.fail(`${name} was looked up`);
    const withVswitch = planFor({
      ...metal,
      location: "fsn1",
      vswitchId: 4711,
      sut: { address: "sut.lab.invalid", privateAddress: "10.42.2.20" },
    });
    assert.equal((await resolveHostAddresses(withVswitch, never)).hosts.sut.resolved, undefined);
    const staticPlan = planFor({
      target: "static",
      sshPrivateKey: TEST_PRIVATE_KEY,
      sut: { address: "sut.lab.invalid", privateAddress: "192.168.10.2" },
      loadgen: { address: "lg.lab.invalid", privateAddress: "192.168.10.3" },
    });
    assert.equal((await resolveHostAddresses(staticPlan, never)).hosts.loadgen?.resolved, undefined);
  });
});
