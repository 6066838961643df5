/** The program with two hosts the user provides (mocked engine): no Hetzner resource at all. */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  assertSecretsKept,
  KEY_NEEDLE,
  named,
  type ProgramRun,
  runProgram,
  SECRET_KEYS,
  TEST_PRIVATE_KEY,
  TEST_REVISION,
  unwrap,
} from "./testing/mockProgram";
import { assertEndsWithReport, endOfRun } from "./testing/reportRun";

let run: ProgramRun;

/** The pull-back mocked with a captured results folder; the report made for real. */
const end = endOfRun("bench");
after(() => end.cleanUp());

before(async () => {
  run = await runProgram(
    {
      "edge-lab:target": "static",
      "edge-lab:revision": TEST_REVISION,
      "edge-lab:profile": "quick",
      "edge-lab:runId": "my-run-1",
      "edge-lab:sshPrivateKey": TEST_PRIVATE_KEY,
      "edge-lab:sut": JSON.stringify({ address: "sut.example.net", privateAddress: "192.168.10.2" }),
      "edge-lab:loadgen": JSON.stringify({ address: "lg.example.net", privateAddress: "192.168.10.3", port: 2222 }),
    },
    SECRET_KEYS,
    "bench",
    { stdout: end.stdout },
  );
});

describe("static target (mocked engine)", () => {
  it("creates no Hetzner resource and no Hetzner provider", () => {
    const hetzner = run.resources.filter((r) => r.type.startsWith("hcloud:") || r.type === "pulumi:providers:hcloud");
    assert.deepEqual(hetzner, []);
  });

  it("connects to both given hosts and wires the runner to their private addresses", () => {
    const lgBase = unwrap(named(run, "edgelab-loadgen-steps-base").inputs.connection) as Record<string, unknown>;
    assert.deepEqual([lgBase.host, lgBase.port, lgBase.user], ["lg.example.net", 2222, "root"]);
    const cells = run.resources.filter((r) => r.name.includes("-sweep-cell-"));
    assert.equal(cells.length, 2);
    for (const c of cells) {
      assert.match(
        String(c.inputs.create),
        /--resume my-run-1 --cell [0-9a-f]{16} --no-report --results results\/bench /,
      );
      assert.match(String(c.inputs.create), /--bind-address 192\.168\.10\.2 --load-ssh root@192\.168\.10\.3 /);
    }
    assert.match(
      String(unwrap(named(run, "edgelab-loadgen-access-authorize-sut").inputs.create)),
      /from="192\.168\.10\.2"/,
    );
    assert.match(String(named(run, "edgelab-sut-trust-trust-loadgen").inputs.create), /192\.168\.10\.3 ssh-ed25519 /);
  });

  it("lets no credential out of a secret: not in what it hands over, not in a plain input, not in a stack output", async () => {
    await assertSecretsKept(run, [KEY_NEEDLE]);
  });

  it("installs only what the profile needs (no QEMU, ops or kernel without Nanos cells)", () => {
    const steps = run.resources.filter((r) => r.name.startsWith("edgelab-sut-steps-")).map((r) => r.name.slice(18));
    assert.deepEqual(steps, ["base", "apt", "go", "node", "code"]);
    const apt = String(unwrap(named(run, "edgelab-sut-steps-apt").inputs.create));
    assert.match(apt, /docker-ce=5:28\.3\.1-1~ubuntu\.24\.04~noble/);
    assert.doesNotMatch(apt, /qemu-system-x86/, "no QEMU without Nanos cells");
    const lg = run.resources.filter((r) => r.name.startsWith("edgelab-loadgen-steps-")).map((r) => r.name.slice(22));
    assert.deepEqual(lg, ["base", "apt", "go-build", "k6", "code"]);
    assert.match(String(named(run, "edgelab-loadgen-steps-apt").inputs.create), /wrk=4\.1\.0-4build2/);
  });

  it("cleans both lent hosts on destroy and pulls the results to results/<stack>/<runId>", () => {
    assert.match(String(named(run, "edgelab-sut-cleanup-on-destroy").inputs.delete), /root@sut\.example\.net/);
    assert.match(
      String(named(run, "edgelab-loadgen-cleanup-on-destroy").inputs.delete),
      /-p 2222 root@lg\.example\.net/,
    );
    assert.equal(run.outputs.resultsPath, "results/bench/my-run-1");
    assert.match(String(named(run, "edgelab-results-pull").inputs.create), /dest=results\/bench\/my-run-1/);
    assert.equal(run.outputs.estimatedCostPerHourEur, 0);
  });

  it("ends with the report: its path, the results' path and one line in the outputs, and the report exists", () => {
    assertEndsWithReport(run, "bench");
  });
});
