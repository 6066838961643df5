/**
 * The secret checker of the program tests (infra/testing/mockProgram.ts `secretLeaks`) fails
 * where it must: a credential handed over in a non-secret Output (or unwrapped again with
 * `pulumi.unsecret`), as plain text, in a plain registered input or in a stack output, and a
 * resource whose SDK marks inputs secret by itself but whose constructor is not watched.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  type Handed,
  KEY_NEEDLE,
  type ProgramRun,
  type Recorded,
  SECRET_SIG,
  sdkSecretInputs,
  secretLeaks,
  TEST_PRIVATE_KEY,
  TEST_TOKEN,
  TOKEN_NEEDLE,
} from "./testing/mockProgram";

type Run = Pick<ProgramRun, "resources" | "handed" | "outputs">;

const remote = (name: string, privateKey: unknown): Handed => ({
  type: "command:remote:Command",
  name,
  args: { create: "true", connection: { host: "192.0.2.5", user: "root", privateKey } },
});
const recorded = (type: string, name: string, inputs: Record<string, unknown>): Recorded => ({
  type,
  name,
  id: `${name}-id`,
  inputs,
  start: 0,
  end: 0,
});
const run = (parts: Partial<Run>): Run => ({ resources: [], handed: [], outputs: {}, ...parts });
const needles = [KEY_NEEDLE, TOKEN_NEEDLE];

describe("secretLeaks: what the program hands over", () => {
  it("passes a key handed over as a secret Output, counting where it went", async () => {
    const report = await secretLeaks(run({ handed: [remote("a", pulumi.secret(TEST_PRIVATE_KEY))] }), needles);
    assert.deepEqual(report, { leaks: [], carried: { "the ssh private key": 1, "the hcloud token": 0 } });
  });

  it("fails a key handed over in a plain Output, or unwrapped again with pulumi.unsecret", async () => {
    const report = await secretLeaks(
      run({
        handed: [
          remote("plain-output", pulumi.output(TEST_PRIVATE_KEY)),
          remote("unsecret", pulumi.unsecret(pulumi.secret(TEST_PRIVATE_KEY))),
          remote("text", TEST_PRIVATE_KEY),
        ],
      }),
      needles,
    );
    assert.deepEqual(report.leaks, [
      "command:remote:Command plain-output: the program hands the ssh private key over in args.connection.privateKey outside a secret",
      "command:remote:Command unsecret: the program hands the ssh private key over in args.connection.privateKey outside a secret",
      "command:remote:Command text: the program hands the ssh private key over in args.connection.privateKey outside a secret",
    ]);
  });

  it("follows Outputs made from others: a secret anywhere in pulumi.all or an apply keeps it secret", async () => {
    const key = pulumi.secret(TEST_PRIVATE_KEY);
    const report = await secretLeaks(
      run({
        handed: [
          remote(
            "all",
            pulumi.all([pulumi.output("x"), key]).apply(([, k]) => k),
          ),
          remote("nested", pulumi.secret({ inner: [TEST_PRIVATE_KEY] })),
          {
            type: "pulumi:providers:hcloud",
            name: "p",
            args: { token: pulumi.output(Promise.resolve(TEST_TOKEN)) },
          },
        ],
      }),
      needles,
    );
    assert.deepEqual(report.leaks, [
      "pulumi:providers:hcloud p: the program hands the hcloud token over in args.token outside a secret",
    ]);
    assert.equal(report.carried["the ssh private key"], 2);
  });
});

describe("secretLeaks: what was registered and what the stack outputs", () => {
  const wrapped = (value: unknown) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

  it("fails a credential in a plain input, not in a wrapped one", async () => {
    const report = await secretLeaks(
      run({
        resources: [
          recorded("command:local:Command", "pull", { environment: wrapped({ EDGELAB_SSH_KEY: TEST_PRIVATE_KEY }) }),
          recorded("command:local:Command", "leaky", { create: `echo '${TEST_PRIVATE_KEY}' > key` }),
        ],
      }),
      needles,
    );
    assert.deepEqual(report.leaks, [
      "command:local:Command leaky: the ssh private key is in a plain (non-secret) input",
    ]);
  });

  it("fails any stack output that carries a credential", async () => {
    const report = await secretLeaks(run({ outputs: { sshCommand: `ssh -o token=${TEST_TOKEN}` } }), needles);
    assert.deepEqual(report.leaks, ["a stack output carries the hcloud token"]);
  });

  it("fails a resource whose SDK marks an input secret by itself when its constructor is not watched", async () => {
    const unwatched = recorded("scaleway:elasticmetal/server:Server", "sut", { password: wrapped("hunter2") });
    const report = await secretLeaks(run({ resources: [unwatched] }), needles);
    assert.match(report.leaks.join("\n"), /sut: its SDK marks password secret by itself; add the class to WATCHED/);
    // Without the input the SDK would wrap, there is nothing to watch.
    const plain = recorded("scaleway:elasticmetal/server:Server", "sut", { offer: "EM-B112X-SSD" });
    assert.deepEqual((await secretLeaks(run({ resources: [plain] }), needles)).leaks, []);
  });
});

describe("sdkSecretInputs: read from the SDK's own source", () => {
  it("finds the inputs the SDK wraps, for resources and providers", () => {
    assert.deepEqual(sdkSecretInputs("command:remote:Command"), ["connection"]);
    assert.deepEqual(sdkSecretInputs("command:remote:CopyToRemote"), ["connection"]);
    assert.deepEqual(sdkSecretInputs("pulumi:providers:hcloud"), ["token"]);
    assert.deepEqual(sdkSecretInputs("pulumi:providers:scaleway").sort(), ["accessKey", "secretKey"]);
    assert.deepEqual(sdkSecretInputs("hcloud:index/firewall:Firewall"), []);
    assert.deepEqual(sdkSecretInputs("command:local:Command"), []);
    assert.deepEqual(sdkSecretInputs("edgelab:infra:EdgeLab"), []);
  });
});
