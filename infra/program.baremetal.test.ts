/**
 * The program with a bare-metal SUT beside a Hetzner Cloud load generator, joined through a
 * vSwitch subnet (mocked engine).
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  assertSecretsKept,
  byType,
  isWrappedSecret,
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
import { assertEndsWithReport, endOfRun } from "./testing/reportRun";

let run: ProgramRun;

/** The pull-back mocked with a captured results folder; the report made for real. */
const end = endOfRun("metal");
after(() => end.cleanUp());

before(async () => {
  run = await runProgram(
    {
      "edge-lab:target": "hcloud-baremetal",
      "edge-lab:revision": TEST_REVISION,
      "edge-lab:location": "fsn1",
      "edge-lab:sshAllowedCidrs": JSON.stringify(["81.2.69.160/32"]),
      "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
      "edge-lab:sshPrivateKey": TEST_PRIVATE_KEY,
      "edge-lab:sut": JSON.stringify({ address: "192.0.2.50", privateAddress: "10.42.2.20", user: "ubuntu" }),
      "edge-lab:vswitchId": "4711",
      "hcloud:token": TEST_TOKEN,
    },
    SECRET_KEYS,
    "metal",
    { stdout: end.stdout },
  );
});

describe("hcloud-baremetal target (mocked engine)", () => {
  it("creates only the load generator on Hetzner Cloud, with the vSwitch subnet in eu-central", () => {
    const servers = byType(run, "hcloud:index/server:Server");
    assert.deepEqual(
      servers.map((s) => [s.name, s.inputs.serverType, s.inputs.image, s.inputs.location]),
      [["edgelab-hosts-loadgen", "ccx23", "ubuntu-24.04", "fsn1"]],
    );
    const vswitch = named(run, "edgelab-hosts-vswitch-subnet").inputs;
    assert.deepEqual(
      [vswitch.type, vswitch.vswitchId, vswitch.networkZone, vswitch.ipRange],
      ["vswitch", 4711, "eu-central", "10.42.2.0/24"],
    );
    assert.equal(named(run, "edgelab-hosts-loadgen-network").inputs.ip, "10.42.1.11");
    assert.equal(
      byType(run, "hcloud:index/firewall:Firewall").length,
      1,
      "no firewall for a server the stack does not own",
    );
    const rules = named(run, "edgelab-hosts-loadgen-firewall").inputs.rules as Record<string, unknown>[];
    assert.deepEqual(
      rules.map((r) => [r.port, r.sourceIps]),
      [["22", ["81.2.69.160/32"]]],
    );
  });

  it("reaches the SUT as the configured user through sudo, with the secret key", () => {
    const sutSteps = run.resources.filter((r) => r.name.startsWith("edgelab-sut-steps-"));
    assert.ok(sutSteps.length > 0);
    for (const step of sutSteps) {
      assert.ok(isWrappedSecret(step.inputs.connection));
      const connection = unwrap(step.inputs.connection) as Record<string, unknown>;
      assert.deepEqual([connection.host, connection.user, connection.port], ["192.0.2.50", "ubuntu", 22]);
      assert.match(String(step.inputs.create), /^sudo -n -H bash -c '/);
    }
  });

  it("binds instances to the SUT's vSwitch address and authorizes the lab key only from there", () => {
    const cell = run.resources.find((r) => r.name.includes("-sweep-cell-"));
    assert.match(String(cell?.inputs.create), /--bind-address 10\.42\.2\.20 --load-ssh root@10\.42\.1\.11 /);
    const authorize = named(run, "edgelab-loadgen-access-authorize-sut");
    assert.ok(isWrappedSecret(authorize.inputs.create), "the authorize command is secret");
    assert.equal(authorize.inputs.logging, "none", "and its output stays out of the console");
    assert.match(String(unwrap(authorize.inputs.create)), /restrict,from="10\.42\.2\.20" ssh-ed25519 /);
  });

  it("cleans the lent SUT on destroy, tolerating a host that is gone", () => {
    const hook = named(run, "edgelab-sut-cleanup-on-destroy");
    assert.equal(hook.type, "command:local:Command");
    const del = String(hook.inputs.delete);
    assert.match(del, /ubuntu@192\.0\.2\.50/);
    assert.match(del, /sudo -n -H bash -s/);
    assert.match(del, /rm -rf \/opt\/edgelab /);
    assert.match(del, /\nhost=192\.0\.2\.50\n/);
    assert.match(del, /could not reach \$host: nothing removed there/);
    assert.match(del, /\nexit 0\n$/);
    assert.ok(isWrappedSecret(hook.inputs.environment));
    // The hook is made before the bootstrap, so destroy removes it (and cleans) after everything else.
    assert.ok(named(run, "edgelab-sut-steps-base").start >= hook.end);
    assert.equal(run.resources.filter((r) => r.name === "edgelab-loadgen-cleanup-on-destroy").length, 0);
  });

  it("lets no credential out of a secret: not in what it hands over, not in a plain input, not in a stack output", async () => {
    await assertSecretsKept(run, [KEY_NEEDLE, TOKEN_NEEDLE]);
  });

  it("estimates the cost of the Hetzner part only", () => {
    assert.equal(typeof run.outputs.estimatedCostPerHourEur, "number");
    assert.ok((run.outputs.estimatedCostPerHourEur as number) < 0.05);
  });

  it("ends with the report: its path, the results' path and one line in the outputs, and the report exists", () => {
    assertEndsWithReport(run, "metal");
  });
});
