/**
 * The bare-metal SUT given by host name, without a vSwitch (mocked engine): the load generator's
 * firewall admits the SUT's runner by the addresses the name resolves to at plan time, never by
 * `name/32`. The name is `localhost`, which this machine answers without a network.
 */
import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { before, describe, it } from "node:test";
import { hostNetwork, parseNetwork } from "./network";
import {
  assertSecretsKept,
  byType,
  KEY_NEEDLE,
  named,
  type ProgramRun,
  runProgram,
  SECRET_KEYS,
  TEST_PRIVATE_KEY,
  TEST_PUBLIC_KEY,
  TEST_REVISION,
  TEST_TOKEN,
  TOKEN_NEEDLE,
  unwrap,
} from "./testing/mockProgram";

let run: ProgramRun;

before(async () => {
  run = await runProgram(
    {
      "edge-lab:target": "hcloud-baremetal",
      "edge-lab:revision": TEST_REVISION,
      "edge-lab:sshAllowedCidrs": JSON.stringify(["81.2.69.0/24", "2A01:4F8:0:0::/48", "81.0.0.0/10"]),
      "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
      "edge-lab:sshPrivateKey": TEST_PRIVATE_KEY,
      "edge-lab:sut": JSON.stringify({ address: "localhost", privateAddress: "192.0.2.50", user: "ubuntu" }),
      "hcloud:token": TEST_TOKEN,
    },
    SECRET_KEYS,
    "metal",
  );
});

describe("hcloud-baremetal, SUT by host name, no vSwitch (mocked engine)", () => {
  it("admits the SUT's runner by every address its name resolves to, as /32 or /128", async () => {
    const resolved = (await lookup("localhost", { all: true, verbatim: true })).map((a) => hostNetwork(a.address).cidr);
    const rules = named(run, "edgelab-hosts-loadgen-firewall").inputs.rules as Record<string, unknown>[];
    assert.deepEqual(
      rules.map((r) => [r.port, r.description, r.sourceIps]),
      [
        ["22", "SSH from the operator's networks", ["81.2.69.0/24", "2a01:4f8::/48", "81.0.0.0/10"]],
        ["22", "the SUT's runner starts the load generator here over SSH", [...new Set(resolved)]],
      ],
    );
    assert.ok(!JSON.stringify(rules).includes("localhost"), "no host name in a firewall rule");
  });

  it("warns at plan time (pulumi.log.warn) about a source wider than one site's network, naming key and value", () => {
    const wide = run.warnings.filter((w) => w.startsWith("edge-lab:sshAllowedCidrs"));
    assert.deepEqual(wide.length, 1, run.warnings.join("\n"));
    assert.match(
      wide[0] ?? "",
      /^edge-lab:sshAllowedCidrs contains "81\.0\.0\.0\/10": a \/10 admits 4,194,304 addresses/,
    );
  });

  it("gives every firewall only parsed networks, spelled canonically, none of prefix 0", () => {
    const firewalls = byType(run, "hcloud:index/firewall:Firewall");
    assert.equal(firewalls.length, 1);
    const sources = firewalls.flatMap((f) => (f.inputs.rules as { sourceIps: string[] }[]).flatMap((r) => r.sourceIps));
    assert.ok(sources.length >= 3);
    for (const source of sources) {
      const parsed = parseNetwork(source);
      assert.ok(parsed.ok, `${source}: ${parsed.ok ? "" : parsed.reason}`);
      assert.equal(parsed.network.cidr, source, "canonical spelling");
      assert.ok(parsed.network.prefix > 0);
    }
  });

  it("still reaches the SUT by its name over ssh", () => {
    const base = unwrap(named(run, "edgelab-sut-steps-base").inputs.connection) as Record<string, unknown>;
    assert.deepEqual([base.host, base.user], ["localhost", "ubuntu"]);
    const cell = run.resources.find((r) => r.name.includes("-sweep-cell-"));
    assert.match(String(cell?.inputs.create), /--bind-address 192\.0\.2\.50 /);
  });

  it("lets no credential out of a secret: not in what it hands over, not in a plain input, not in a stack output", async () => {
    await assertSecretsKept(run, [KEY_NEEDLE, TOKEN_NEEDLE]);
  });
});
