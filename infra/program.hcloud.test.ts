/**
 * The program on Hetzner Cloud, with Pulumi's engine mocked: servers, network, firewalls, secrets,
 * and the order of everything from bootstrap to the pull-back.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { repoRoot } from "../core/paths";
import { loadRevision } from "../lab/config/revision";
import { expandMatrix } from "../lab/matrix";
import { parseNetwork } from "./network";
import { IPV4_EUR_PER_HOUR, SERVER_TYPES } from "./providers/hcloudPricing";
import {
  byType,
  type Handed,
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
  secretLeaks,
  TEST_PUBLIC_KEY,
  TEST_REVISION,
  TEST_TOKEN,
  TOKEN_NEEDLE,
  unwrap,
  withoutSecrets,
} from "./testing/mockProgram";
import { assertEndsWithReport, endOfRun } from "./testing/reportRun";

let run: ProgramRun;
/** Spelled as a user might; the firewalls get the parsed networks' canonical spellings. */
const cidrs = ["81.2.69.160/32", "2A01:4F8:0::/48"];
const networks = ["81.2.69.160/32", "2a01:4f8::/48"];

/** The pull-back mocked with a captured results folder; the report made for real. */
const end = endOfRun("lab");
after(() => end.cleanUp());

before(async () => {
  run = await runProgram(
    {
      "edge-lab:target": "hcloud",
      "edge-lab:revision": TEST_REVISION,
      "edge-lab:location": "nbg1",
      "edge-lab:sutServerType": "ccx13",
      "edge-lab:loadgenServerType": "cpx32",
      "edge-lab:sshAllowedCidrs": JSON.stringify(cidrs),
      "edge-lab:sshPublicKey": TEST_PUBLIC_KEY,
      "edge-lab:paperImages": "docker-provider",
      "hcloud:token": TEST_TOKEN,
    },
    SECRET_KEYS,
    "lab",
    { stdout: end.stdout },
  );
});

const cellsOf = (r: ProgramRun) => r.resources.filter((x) => x.name.includes("-sweep-cell-"));
const commands = (r: ProgramRun) => r.resources.filter((x) => x.type === "command:remote:Command");

describe("hcloud target (mocked engine)", () => {
  it("creates two servers of the configured types, image and location, with cloud-init that forbids passwords and sets their host keys", () => {
    const servers = byType(run, "hcloud:index/server:Server");
    assert.deepEqual(servers.map((s) => s.name).sort(), ["edgelab-hosts-loadgen", "edgelab-hosts-sut"]);
    const sut = named(run, "edgelab-hosts-sut").inputs;
    const lg = named(run, "edgelab-hosts-loadgen").inputs;
    assert.equal(sut.serverType, "ccx13");
    assert.equal(lg.serverType, "cpx32");
    for (const [role, s] of [
      ["sut", sut],
      ["loadgen", lg],
    ] as const) {
      assert.equal(s.image, "ubuntu-24.04");
      assert.equal(s.location, "nbg1");
      assert.ok(isWrappedSecret(s.userData), "cloud-init holds the host's private key: a secret");
      const userData = String(unwrap(s.userData));
      assert.match(userData, /^#cloud-config\nssh_pwauth: false/);
      assert.match(userData, /PasswordAuthentication no/);
      assert.match(
        userData,
        /\nssh_genkeytypes: \[\]\nssh_keys:\n {2}ed25519_private: \|\n {4}-----BEGIN OPENSSH PRIVATE KEY-----/,
      );
      assert.ok(userData.includes(`ed25519_public: ${hostKeyOf(`edgelab-hosts-${role}`)}\n`), "its own host key");
      assert.deepEqual(s.sshKeys, [
        named(run, "edgelab-hosts-ssh-key").id,
        named(run, "edgelab-hosts-operator-ssh-key").id,
      ]);
    }
    assert.ok(
      String(named(run, "edgelab-hosts-ssh-key").inputs.publicKey).startsWith(STACK_KEY.publicKeyOpenssh.trim()),
      "the stack's own key, made by @pulumi/tls",
    );
    assert.equal(named(run, "edgelab-hosts-lab-key").inputs.algorithm, "ED25519");
    assert.equal(named(run, "edgelab-hosts-operator-ssh-key").inputs.publicKey, TEST_PUBLIC_KEY);
    assert.deepEqual(sut.labels, { "edgelab-stack": "lab", "edgelab-run": run.outputs.runId, "edgelab-role": "sut" });
  });

  it("joins both servers to one private network in the location's zone, at fixed addresses", () => {
    assert.equal(named(run, "edgelab-hosts-network").inputs.ipRange, "10.42.0.0/16");
    const subnet = named(run, "edgelab-hosts-subnet").inputs;
    assert.deepEqual(
      { type: subnet.type, zone: subnet.networkZone, range: subnet.ipRange },
      { type: "cloud", zone: "eu-central", range: "10.42.1.0/24" },
    );
    assert.equal(named(run, "edgelab-hosts-sut-network").inputs.ip, "10.42.1.10");
    assert.equal(named(run, "edgelab-hosts-loadgen-network").inputs.ip, "10.42.1.11");
  });

  it("opens SSH only to the configured networks and the app ports only to the load generator", () => {
    const rules = (name: string) => named(run, name).inputs.rules as Record<string, unknown>[];
    const sut = rules("edgelab-hosts-sut-firewall");
    const lg = rules("edgelab-hosts-loadgen-firewall");
    for (const rule of [...sut, ...lg]) assert.equal(rule.direction, "in");
    const ssh = (list: Record<string, unknown>[]) => list.filter((r) => r.port === "22");
    assert.deepEqual(
      ssh(sut).map((r) => r.sourceIps),
      [networks],
    );
    assert.deepEqual(
      lg.map((r) => [r.port, r.sourceIps]),
      [["22", networks]],
    );
    for (const source of [...sut, ...lg].flatMap((r) => r.sourceIps as string[])) {
      const parsed = parseNetwork(source);
      assert.ok(parsed.ok && parsed.network.cidr === source, `${source} is a parsed network, spelled canonically`);
    }
    const app = sut.filter((r) => r.port !== "22");
    assert.deepEqual(app.map((r) => r.port).sort(), ["32768-60999", "8080"]);
    for (const rule of app) assert.deepEqual(rule.sourceIps, ["10.42.1.11/32"]);
    // each server carries its own firewall
    assert.deepEqual(named(run, "edgelab-hosts-sut").inputs.firewallIds, [
      Number(named(run, "edgelab-hosts-sut-firewall").id),
    ]);
    assert.deepEqual(named(run, "edgelab-hosts-loadgen").inputs.firewallIds, [
      Number(named(run, "edgelab-hosts-loadgen-firewall").id),
    ]);
  });

  it("hands the key to every command and the token to the provider as secret Outputs (what the program passes, not what the SDK marks)", async () => {
    const remote = run.handed.filter((h) => h.type === "command:remote:Command");
    assert.equal(remote.length, commands(run).length, "every remote command's arguments were seen");
    for (const h of remote) {
      const key = (h.args as { connection: { privateKey: unknown } }).connection.privateKey;
      assert.ok(
        pulumi.Output.isInstance(key) && (await pulumi.isSecret(key)),
        `${h.name}: connection.privateKey is a secret Output`,
      );
    }
    const provider = run.handed.filter((h) => h.type === "pulumi:providers:hcloud");
    assert.equal(provider.length, 1);
    const token = ((provider[0] as Handed).args as { token: unknown }).token;
    assert.ok(
      pulumi.Output.isInstance(token) && (await pulumi.isSecret(token)),
      "the token is handed over as a secret",
    );
  });

  it("lets no credential out of a secret: not in what it hands over, not in a plain input, not in a stack output", async () => {
    const report = await secretLeaks(run, [MADE_KEY_NEEDLE, TOKEN_NEEDLE]);
    assert.deepEqual(report.leaks, []);
    for (const n of [MADE_KEY_NEEDLE, TOKEN_NEEDLE]) {
      assert.ok(
        (report.carried[n.what] ?? 0) > 0,
        `${n.what} was found in no handed-over secret: the check saw nothing`,
      );
    }
  });

  it("keeps the token and the stack's key secret, and out of every plain input and output", () => {
    const provider = byType(run, "pulumi:providers:hcloud");
    assert.equal(provider.length, 1);
    assert.ok(isWrappedSecret((provider[0] as Recorded).inputs.token), "the provider's token is a secret");
    for (const c of commands(run)) {
      assert.ok(isWrappedSecret(c.inputs.connection), `${c.name}: the connection is secret`);
      assert.equal((unwrap(c.inputs.connection) as Record<string, unknown>).privateKey, STACK_KEY.privateKeyOpenssh);
    }
    const pull = named(run, "edgelab-results-pull").inputs;
    assert.ok(isWrappedSecret(pull.environment), "the pull-back gets the key as a secret environment variable");
    const env = unwrap(pull.environment) as Record<string, unknown>;
    assert.equal(env.EDGELAB_SSH_KEY, STACK_KEY.privateKeyOpenssh);
    const sutAddress = (run.outputs.hosts as { sut: { address: string } }).sut.address;
    assert.equal(
      env.EDGELAB_KNOWN_HOSTS,
      `${sutAddress} ${hostKeyOf("edgelab-hosts-sut")}`,
      "exactly the SUT's own host key",
    );
    assert.equal(env.EDGELAB_MANIFEST_SHA256, "ab".repeat(32), "the manifest's sha256, from the SUT's manifest step");
    assert.doesNotMatch(String(pull.create), /BEGIN OPENSSH|accept-new/);
    const plain = JSON.stringify(run.resources.map((r) => withoutSecrets(r.inputs)));
    assert.ok(!plain.includes(MOCK_KEY_MARK), "no private key the program made appears in a plain input");
    assert.ok(!plain.includes(TEST_TOKEN), "the token appears in no plain input");
    const outputs = JSON.stringify(run.outputs);
    assert.ok(!outputs.includes(MOCK_KEY_MARK) && !outputs.includes(TEST_TOKEN), "no output carries a credential");
  });

  it("pins the host keys it made: the SUT's trust of the load generator, the Docker provider's ssh, the known_hosts file here", () => {
    const trust = String(named(run, "edgelab-sut-trust-trust-loadgen").inputs.create);
    assert.ok(trust.includes(`10.42.1.11 ${hostKeyOf("edgelab-hosts-loadgen")}`), "the load generator's own host key");
    assert.ok(!run.resources.some((r) => r.name.endsWith("-host-key-read")), "no host key is read over the wire");
    const docker = named(run, "edgelab-artifacts-docker").inputs;
    // The Docker provider's sshOpts reach the engine as JSON text.
    assert.deepEqual(JSON.parse(String(docker.sshOpts)), [
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${join(repoRoot, "build/pulumi/lab/pair-1.known_hosts")}`,
      "-o",
      "BatchMode=yes",
    ]);
    const known = named(run, "edgelab-known-hosts").inputs;
    const addresses = run.outputs.hosts as { sut: { address: string }; loadgen: { address: string } };
    assert.equal(
      (known.environment as Record<string, string>).EDGELAB_KNOWN_HOSTS,
      `${addresses.sut.address} ${hostKeyOf("edgelab-hosts-sut")}\n${addresses.loadgen.address} ${hostKeyOf("edgelab-hosts-loadgen")}`,
    );
    assert.match(String(known.delete), /rm -f build\/pulumi\/lab\/pair-1\.known_hosts/);
  });

  it("bootstraps each host step by step, then artifacts, then the plan, before the first cell", () => {
    const end = (name: string) => named(run, name).end;
    const start = (name: string) => named(run, name).start;
    const sutSteps = ["base", "apt", "go", "node", "nanos-setup", "code"].map((s) => `edgelab-sut-steps-${s}`);
    for (let i = 1; i < sutSteps.length; i++) {
      assert.ok(
        start(sutSteps[i] as string) >= end(sutSteps[i - 1] as string),
        `${sutSteps[i]} after ${sutSteps[i - 1]}`,
      );
    }
    assert.ok(
      start("edgelab-sut-steps-base") >= end("edgelab-hosts-sut-network"),
      "after the server joined the network",
    );
    assert.ok(start("edgelab-sut-steps-base") >= end("edgelab-sut-code-archive"), "after the code upload");
    assert.ok(start("edgelab-loadgen-access-authorize-sut") >= end("edgelab-sut-key-lab-key"));
    assert.ok(start("edgelab-sut-trust-trust-loadgen") >= end("edgelab-loadgen-steps-code"));
    assert.ok(start("edgelab-sut-checks-preflight") >= end("edgelab-loadgen-checks-host-facts"));
    const lastBootstrap = Math.max(end("edgelab-sut-checks-host-facts"), end("edgelab-loadgen-checks-host-facts"));
    assert.ok(start("edgelab-artifacts-build") >= lastBootstrap, "artifacts after the bootstrap of both hosts");
    assert.ok(start("edgelab-artifacts-paper-go") >= end("edgelab-artifacts-build"));
    assert.ok(start("edgelab-sweep-plan") >= end("edgelab-artifacts-paper-sizes"), "the plan after the artifacts");
    const first = cellsOf(run)[0] as Recorded;
    assert.ok(first.start >= end("edgelab-sweep-plan"), "the first cell after the plan");
  });

  it("runs every cell of the profile, strictly one after another, triggered by its id", () => {
    const revision = loadRevision(TEST_REVISION);
    const expected = expandMatrix(revision.profiles.paper as never, revision.id);
    const cells = cellsOf(run);
    assert.equal(cells.length, expected.length);
    const runId = run.outputs.runId as string;
    cells.forEach((c, i) => {
      const cell = expected[i];
      assert.ok(cell);
      assert.equal(c.name, `edgelab-sweep-cell-${cell.name}`);
      assert.deepEqual(c.inputs.triggers, [cell.id, runId]);
      const create = String(c.inputs.create);
      assert.match(create, new RegExp(`--resume ${runId} --cell ${cell.id} `));
      assert.match(
        create,
        /--bind-address 10\.42\.1\.10 --load-ssh root@10\.42\.1\.11 --ssh-identity \/root\/\.ssh\/edgelab_lab/,
      );
      assert.match(create, /timeout --kill-after=60 \d+ node --import tsx lab\/runner\/cli\.ts/);
      assert.equal(c.inputs.addPreviousOutputInEnv, false);
      if (i > 0)
        assert.ok(c.start >= (cells[i - 1] as Recorded).end, `${c.name} starts after the cell before it ended`);
    });
  });

  it("pulls the results back after the last cell and reports counts, addresses and cost", () => {
    const cells = cellsOf(run);
    const manifest = named(run, "edgelab-results-manifest");
    const pull = named(run, "edgelab-results-pull");
    assert.ok(manifest.start >= (cells[cells.length - 1] as Recorded).end, "the manifest after the last cell");
    assert.ok(pull.start >= manifest.end, "the pull after the manifest");
    assert.match(String(manifest.inputs.create), /node --import tsx core\/results\/checksums\.ts write results\/lab\//);
    assert.match(String(pull.inputs.create), /tar -C \/opt\/edgelab\/results\/lab\/[^ ]+ -czf - \./);
    assert.match(
      String(pull.inputs.create),
      /checksums\.ts verify "\$stage" --manifest-sha256 "\$EDGELAB_MANIFEST_SHA256"/,
    );
    assert.ok(Object.keys(run.outputs.cellCounts as object).length > 0, "the cells pulled back, by status");
    assert.equal(run.outputs.resultsPath, `results/lab/${run.outputs.runId}`);
    assert.match(String(run.outputs.runId), /^lab-infra-test-paper-[0-9a-f]{8}$/);
    assert.match(
      String(run.outputs.sshCommand),
      /^ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=build\/pulumi\/lab\/pair-1\.known_hosts -p 22 root@203\.0\.113\.\d+$/,
    );
    const perHour =
      (SERVER_TYPES.ccx13?.eurPerHour ?? 0) + (SERVER_TYPES.cpx32?.eurPerHour ?? 0) + 2 * IPV4_EUR_PER_HOUR;
    assert.equal(run.outputs.estimatedCostPerHourEur, Math.round(perHour * 10000) / 10000);
  });

  it("ends with the report: its path, the results' path and one line in the outputs, and the report exists", () => {
    assertEndsWithReport(run, "lab");
  });
});
