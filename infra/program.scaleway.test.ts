/**
 * The program on Scaleway with three host pairs (mocked engine): Elastic Metal servers with Ubuntu
 * 24.04 on one private network at fixed addresses, the lab's firewall on the hosts themselves
 * (Elastic Metal has no provider firewall), the API key and the ssh key as secrets, every pair in
 * the order bootstrap -> artifacts -> plan -> cells -> pull-back, every scenario on one pair and
 * every cell on exactly one pair, and a calibration cell on every pair.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { loadRevision } from "../lab/config/revision";
import { expandMatrix } from "../lab/matrix";
import { scenarioKey } from "./shard";
import {
  assertSecretsKept,
  byType,
  hostKeyOf,
  isWrappedSecret,
  MADE_KEY_NEEDLE,
  MOCK_KEY_MARK,
  named,
  type ProgramRun,
  type Recorded,
  runProgram,
  SECRET_KEYS,
  STACK_KEY,
  TEST_PUBLIC_KEY,
  unwrap,
  withoutSecrets,
} from "./testing/mockProgram";
import { assertEndsWithReport, endOfRun } from "./testing/reportRun";

/** Scaleway's shapes: an access key SCW + 17, a secret key a UUID. */
const SECRET = "5ec7e70a-7e57-4a11-8000-00000000abcd";
const cidrs = ["81.2.69.160/32"];
let run: ProgramRun;

/** The pull-back mocked with a captured results folder; the report made for real. */
const end = endOfRun("metal");
after(() => end.cleanUp());

before(async () => {
  run = await runProgram(
    {
      "edge-lab:target": "scaleway",
      "edge-lab:revision": "infra/testdata/infra-pairs.yaml",
      "edge-lab:pairs": "3",
      "edge-lab:zone": "fr-par-2",
      "edge-lab:sshAllowedCidrs": JSON.stringify(cidrs),
      "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
      "scaleway:accessKey": "SCWTESTACCESSKEY0000",
      "scaleway:secretKey": SECRET,
      "scaleway:projectId": "11111111-1111-1111-1111-111111111111",
    },
    SECRET_KEYS,
    "metal",
    { stdout: end.stdout },
  );
});

const revision = loadRevision("infra/testdata/infra-pairs.yaml");
const cells = expandMatrix(revision.profiles.paper as never, revision.id);

describe("scaleway target with three pairs (mocked engine)", () => {
  it("makes an Elastic Metal SUT and load generator per pair, Ubuntu 24.04, hourly, in the zone", () => {
    const servers = byType(run, "scaleway:elasticmetal/server:Server");
    assert.deepEqual(
      servers.map((s) => s.name).sort(),
      [1, 2, 3].flatMap((k) => [`edgelab-hosts-p${k}-loadgen`, `edgelab-hosts-p${k}-sut`]).sort(),
    );
    for (const s of servers) {
      assert.equal(s.inputs.zone, "fr-par-2");
      assert.equal(s.inputs.offer, "offer-EM-B112X-SSD");
      assert.equal(s.inputs.os, "os-Ubuntu-24.04 LTS (Noble Numbat)");
      assert.match(String(unwrap(s.inputs.cloudInit)), /ssh_pwauth: false/);
      assert.deepEqual(s.inputs.options, [{ id: "option-Private Network" }]);
    }
  });

  it("joins every server to one private network at the pair's fixed addresses", () => {
    const network = named(run, "edgelab-hosts-network");
    assert.deepEqual(network.inputs.ipv4Subnet, { subnet: "10.42.0.0/16" });
    assert.equal(network.inputs.region, "fr-par");
    const expected: Record<string, string> = {};
    for (const k of [1, 2, 3]) {
      expected[`edgelab-hosts-p${k}-sut-ip`] = `10.42.1.${10 + 2 * (k - 1)}`;
      expected[`edgelab-hosts-p${k}-loadgen-ip`] = `10.42.1.${11 + 2 * (k - 1)}`;
    }
    const ips = byType(run, "scaleway:ipam/ip:Ip");
    assert.deepEqual(Object.fromEntries(ips.map((i) => [i.name, i.inputs.address])), expected);
    for (const ip of ips) assert.deepEqual(ip.inputs.sources, [{ privateNetworkId: network.id }]);
    const sut2 = named(run, "edgelab-hosts-p2-sut");
    assert.deepEqual(sut2.inputs.privateNetworks, [
      { id: network.id, ipamIpIds: [named(run, "edgelab-hosts-p2-sut-ip").id] },
    ]);
  });

  it("enforces the firewall on the hosts: SSH only from sshAllowedCidrs, app ports only from the pair's load generator", () => {
    assert.equal(byType(run, "scaleway:instance/securityGroup:SecurityGroup").length, 0);
    const sut = String(named(run, "edgelab-p2-sut-prepare-host-firewall").inputs.create);
    assert.match(sut, /policy drop;/);
    assert.match(sut, /tcp dport 22 ip saddr \{ 81\.2\.69\.160\/32 \} accept/);
    assert.match(sut, /tcp dport 8080 ip saddr \{ 10\.42\.1\.13\/32 \} accept/);
    assert.match(sut, /tcp dport 32768-60999 ip saddr \{ 10\.42\.1\.13\/32 \} accept/);
    assert.match(sut, /ct status dnat ip saddr \{ 10\.42\.1\.13\/32 \} accept/);
    assert.doesNotMatch(sut, /0\.0\.0\.0\/0/);
    const lg = String(named(run, "edgelab-p2-loadgen-prepare-host-firewall").inputs.create);
    assert.match(
      lg,
      /tcp dport 22 ip saddr \{ 10\.42\.1\.12\/32 \} accept/,
      "the SUT's runner reaches the load generator's sshd",
    );
    assert.doesNotMatch(lg, /dport 8080/);
    // the private link (the VLAN Scaleway assigned) and the firewall come before the bootstrap
    const link = named(run, "edgelab-p2-sut-prepare-private-link");
    assert.match(String(link.inputs.create), /id: %s\\n.*edgelab0.*1\d\d\d/s);
    assert.ok(named(run, "edgelab-p2-sut-prepare-host-firewall").start >= link.end);
    assert.ok(named(run, "edgelab-p2-sut-steps-base").start >= named(run, "edgelab-p2-sut-prepare-host-firewall").end);
  });

  it("keeps the API key and the ssh key secret", async () => {
    const provider = byType(run, "pulumi:providers:scaleway");
    assert.equal(provider.length, 1);
    assert.ok(isWrappedSecret((provider[0] as Recorded).inputs.secretKey), "the provider's secret key is a secret");
    for (const c of run.resources.filter((r) => r.type === "command:remote:Command")) {
      assert.ok(isWrappedSecret(c.inputs.connection), `${c.name}: the connection is secret`);
      assert.equal((unwrap(c.inputs.connection) as Record<string, unknown>).privateKey, STACK_KEY.privateKeyOpenssh);
    }
    const plain = JSON.stringify(run.resources.map((r) => withoutSecrets(r.inputs)));
    assert.ok(!plain.includes(SECRET) && !plain.includes(MOCK_KEY_MARK), "no credential in a plain input");
    assert.ok(!JSON.stringify(run.outputs).includes(SECRET), "no credential in an output");
    const { readStackConfig } = await import("./stackConfig.js");
    const settings = readStackConfig("metal");
    assert.ok(await pulumi.isSecret(settings.credentials.secretKey as pulumi.Output<string>));
    assert.equal(settings.operatorKey, undefined, "no key of yours: the stack makes its own");
  });

  it("installs the stack's key and yours as the project's keys, and gives each server its own host key", () => {
    const keys = byType(run, "scaleway:iam/sshKey:SshKey").sort((a, b) => b.name.localeCompare(a.name));
    assert.deepEqual(
      keys.map((k) => [k.name, String(k.inputs.publicKey).trim()]),
      [
        ["edgelab-hosts-ssh-key", STACK_KEY.publicKeyOpenssh.trim()],
        ["edgelab-hosts-operator-ssh-key", TEST_PUBLIC_KEY],
      ],
    );
    for (const server of byType(run, "scaleway:elasticmetal/server:Server")) {
      assert.ok(isWrappedSecret(server.inputs.cloudInit), `${server.name}: cloud-init holds its host key`);
      assert.ok(String(unwrap(server.inputs.cloudInit)).includes(`ed25519_public: ${hostKeyOf(server.name)}\n`));
      assert.deepEqual(
        server.inputs.sshKeyIds,
        keys.map((k) => k.id),
      );
    }
  });

  it("lets no credential out of a secret: not in what it hands over, not in a plain input, not in a stack output", async () => {
    await assertSecretsKept(run, [MADE_KEY_NEEDLE, { what: "the Scaleway secret key", text: SECRET }]);
  });

  it("shards the cells: every scenario on one pair, every cell on exactly one pair", () => {
    const sweepCells = run.resources.filter((r) => /-sweep-cell-/.test(r.name));
    const pairOf = (r: Recorded) => Number(/^edgelab-p(\d)-/.exec(r.name)?.[1]);
    const byId = new Map(cells.map((c) => [c.id, c]));
    const seen = new Map<string, number>();
    const scenarioPair = new Map<string, number>();
    for (const r of sweepCells) {
      const id = (r.inputs.triggers as string[])[0] as string;
      assert.ok(!seen.has(id), `cell ${id} runs on one pair only`);
      seen.set(id, pairOf(r));
      const key = scenarioKey(byId.get(id) as never);
      const before = scenarioPair.get(key);
      assert.ok(before === undefined || before === pairOf(r), `scenario ${key} stays on one pair`);
      scenarioPair.set(key, pairOf(r));
      assert.match(String(r.inputs.create), new RegExp(` --pair ${pairOf(r)} `), "the result records its pair");
    }
    assert.deepEqual([...seen.keys()].sort(), cells.map((c) => c.id).sort(), "every cell runs");
    assert.deepEqual([...new Set(seen.values())].sort(), [1, 2, 3], "three pairs share the work");
  });

  it("runs one calibration cell on every pair and lands all results in one run folder", () => {
    const calibrations = run.resources.filter((r) => /-sweep-calibration-cell-/.test(r.name));
    const pairs = run.outputs.pairs as { pair: number; cells: number; calibrationCell: string }[];
    const owner = pairs.find((p) => calibrations.every((c) => !c.name.startsWith(`edgelab-p${p.pair}-`)));
    assert.ok(owner, "the pair that owns the calibration cell runs it as one of its own");
    assert.equal(calibrations.length, 2);
    const ids = new Set(calibrations.map((c) => (c.inputs.triggers as string[])[0]));
    assert.equal(ids.size, 1, "the same cell on every other pair");
    const runId = run.outputs.runId as string;
    for (const k of [1, 2, 3]) {
      const pull = String(named(run, `edgelab-p${k}-results-pull`).inputs.create);
      assert.match(pull, new RegExp(`dest=results/metal/${runId}\\n`));
      assert.match(
        pull,
        new RegExp(`merge-pair --results results/metal --run-id ${runId} --from \\S+ --pair ${k} --cells [0-9a-f,]+`),
      );
    }
    const summary = named(run, "edgelab-results-summary");
    for (const k of [1, 2, 3]) assert.ok(summary.start >= named(run, `edgelab-p${k}-results-pull`).end);
    assert.equal(
      pairs.reduce((n, p) => n + p.cells, 0),
      cells.length,
    );
  });

  it("keeps each pair in order: bootstrap -> artifacts -> plan -> cells -> pull-back", () => {
    for (const k of [1, 2, 3]) {
      const p = `edgelab-p${k}`;
      const end = (n: string) => named(run, n).end;
      const start = (n: string) => named(run, n).start;
      assert.ok(
        start(`${p}-artifacts-build`) >=
          Math.max(end(`${p}-sut-checks-host-facts`), end(`${p}-loadgen-checks-host-facts`)),
      );
      assert.ok(start(`${p}-sweep-plan`) >= end(`${p}-artifacts-build`));
      const mine = run.resources.filter((r) => r.name.startsWith(`${p}-sweep-`) && r.name !== `${p}-sweep-plan`);
      assert.ok(mine.length > 0);
      mine.forEach((c, i) => {
        assert.ok(c.start >= (i === 0 ? end(`${p}-sweep-plan`) : (mine[i - 1] as Recorded).end), c.name);
      });
      assert.ok(start(`${p}-results-manifest`) >= (mine[mine.length - 1] as Recorded).end);
      assert.ok(start(`${p}-results-pull`) >= end(`${p}-results-manifest`));
    }
  });

  it("estimates cells, hours and cost per pair from dated prices", () => {
    const pairs = run.outputs.pairs as { estimatedSweepHours: number; estimatedRunCostEur: number }[];
    assert.equal(pairs.length, 3);
    for (const p of pairs) assert.ok(p.estimatedRunCostEur >= 2 * 0.263, "two EM-B112X-SSD for at least an hour");
    assert.equal(run.outputs.estimatedCostPerHourEur, Math.round(3 * 2 * 0.263 * 10000) / 10000);
    assert.equal(run.outputs.pricesAsOf, "2023-12-07");
  });

  it("ends with the report: its path, the results' path and one line in the outputs, and the report exists", () => {
    assertEndsWithReport(run, "metal");
  });
});
