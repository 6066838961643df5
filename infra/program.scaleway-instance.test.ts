/**
 * The program on Scaleway with an instance as the load generator (mocked engine): the SUT stays an
 * Elastic Metal server with the host firewall; the instance gets a security group (Scaleway has
 * one for instances) with the same rules, a flexible IP and a private NIC at its fixed address.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  assertSecretsKept,
  byType,
  MADE_KEY_NEEDLE,
  named,
  type ProgramRun,
  runProgram,
  SECRET_KEYS,
  TEST_PUBLIC_KEY,
  TEST_REVISION,
  unwrap,
  withoutSecrets,
} from "./testing/mockProgram";

let run: ProgramRun;
/** A secret key of Scaleway's shape (a UUID), from the environment. */
const ENV_SECRET = "e0e0e0e0-7e57-4e11-8000-0000000e0e0e";

before(async () => {
  process.env.SCW_ACCESS_KEY = "SCWTESTACCESSKEY0000";
  process.env.SCW_SECRET_KEY = ENV_SECRET;
  process.env.SCW_DEFAULT_PROJECT_ID = "22222222-2222-2222-2222-222222222222";
  run = await runProgram(
    {
      "edge-lab:target": "scaleway",
      "edge-lab:revision": TEST_REVISION,
      "edge-lab:loadgenKind": "instance",
      "edge-lab:loadgenInstanceType": "POP2-2C-8G",
      // Spelled as a user might: the security group and nftables get the parsed networks.
      "edge-lab:sshAllowedCidrs": JSON.stringify(["::ffff:81.2.69.160/128", "2A01:04F8::/48"]),
      "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
    },
    SECRET_KEYS,
    "metal",
  );
});

describe("scaleway target with an instance load generator (mocked engine)", () => {
  it("makes an Elastic Metal SUT and an Ubuntu 24.04 instance, both on the private network", () => {
    assert.deepEqual(
      byType(run, "scaleway:elasticmetal/server:Server").map((s) => s.name),
      ["edgelab-hosts-sut"],
    );
    const lg = named(run, "edgelab-hosts-loadgen");
    assert.equal(lg.type, "scaleway:instance/server:Server");
    assert.deepEqual([lg.inputs.type, lg.inputs.image, lg.inputs.zone], ["POP2-2C-8G", "ubuntu_noble", "nl-ams-1"]);
    assert.equal(lg.inputs.ipId, named(run, "edgelab-hosts-loadgen-public-ip").id);
    const nic = named(run, "edgelab-hosts-loadgen-private-nic").inputs;
    assert.deepEqual(
      [nic.serverId, nic.privateNetworkId, nic.ipamIpIds],
      [lg.id, named(run, "edgelab-hosts-network").id, [named(run, "edgelab-hosts-loadgen-ip").id]],
    );
    assert.equal(named(run, "edgelab-hosts-loadgen-ip").inputs.address, "10.42.1.11");
  });

  it("filters the instance with a security group, the Elastic Metal SUT on the host", () => {
    const group = named(run, "edgelab-hosts-loadgen-security-group").inputs;
    assert.equal(group.inboundDefaultPolicy, "drop");
    assert.deepEqual(group.inboundRules, [
      { action: "accept", protocol: "TCP", port: 22, ipRange: "81.2.69.160/32" },
      { action: "accept", protocol: "TCP", port: 22, ipRange: "2a01:4f8::/48" },
      { action: "accept", protocol: "TCP", port: 22, ipRange: "10.42.1.10/32" },
    ]);
    assert.equal(
      named(run, "edgelab-hosts-loadgen").inputs.securityGroupId,
      named(run, "edgelab-hosts-loadgen-security-group").id,
    );
    assert.equal(run.resources.filter((r) => r.name.startsWith("edgelab-loadgen-prepare-")).length, 0);
    const sutFirewall = String(named(run, "edgelab-sut-prepare-host-firewall").inputs.create);
    assert.match(sutFirewall, /tcp dport 22 ip6 saddr \{ 2a01:4f8::\/48 \} accept/);
    assert.match(sutFirewall, /tcp dport 8080 ip saddr \{ 10\.42\.1\.11\/32 \} accept/);
  });

  it("lets no credential out of a secret: not in what it hands over, not in a plain input, not in a stack output", async () => {
    await assertSecretsKept(run, [MADE_KEY_NEEDLE, { what: "the Scaleway secret key", text: ENV_SECRET }]);
  });

  it("takes the API key from the environment as a secret, and reaches the instance on its flexible IP", () => {
    const provider = byType(run, "pulumi:providers:scaleway")[0];
    assert.ok(provider);
    assert.equal(unwrap(provider.inputs.secretKey), ENV_SECRET);
    assert.ok(
      !JSON.stringify(run.resources.map((r) => withoutSecrets(r.inputs))).includes('"scw-secret-from-the-environment'),
    );
    const step = named(run, "edgelab-loadgen-steps-base");
    assert.match(String((unwrap(step.inputs.connection) as Record<string, unknown>).host), /^198\.51\.100\.\d+$/);
    assert.equal(run.outputs.estimatedCostPerHourEur, null, "no dated price for instances: unknown, not invented");
  });
});
