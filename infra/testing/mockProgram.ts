/**
 * Runs the Pulumi program (index.ts) against mocks and records every resource: its type, name,
 * inputs (secrets still wrapped, so a test can see what is secret) and when its registration
 * started and ended. Some SDK constructors wrap an input in a secret themselves (a command's
 * `connection`, a provider's token): for those it also records what the program handed over
 * (`handed`), so `secretLeaks` checks the program, not the SDK. Each mocked registration takes a few milliseconds, so a resource that does
 * not wait for another (dependsOn) starts before that one has ended: order is observable.
 * One program per process (Pulumi's runtime and the module cache are global): one test file
 * per stack variant.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** Pulumi's wire marker of a secret value. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface Recorded {
  type: string;
  name: string;
  /** Hetzner ids are numbers (as strings), like the real API's; others are "<name>-id". */
  id: string;
  inputs: Record<string, unknown>;
  start: number;
  end: number;
}

/** The arguments the program handed to a watched SDK constructor, before the SDK wrapped anything. */
export interface Handed {
  type: string;
  name: string;
  args: unknown;
}

export interface ProgramRun {
  resources: Recorded[];
  /** What the program passed to the constructors in WATCHED, in order. */
  handed: Handed[];
  /** What the program logged with pulumi.log.warn (the plan's warnings). */
  warnings: string[];
  outputs: Record<string, unknown>;
  /** The module's exports as Outputs (to check secretness). */
  exports: Record<string, unknown>;
}

let serial = 0;

/** A host-facts line of the shape the bootstrap's step prints (infra/hostFacts.ts checks it). */
const MOCK_HOST_FACTS = {
  role: "sut",
  hostname: "mock",
  os: "Ubuntu 24.04.2 LTS",
  kernel: "6.8.0-60-generic",
  cpuModel: "mock CPU",
  cores: 8,
  memoryBytes: 34359738368,
  cgroupVersion: 2,
  kvm: { usable: true, reason: null },
  clockSynchronised: "yes",
  codeSha256: null,
  versions: { go: null, node: null, docker: null, ops: null, nanos: null, qemu: null, k6: null },
  packages: {},
};

/** The lines `npm run report` printed on a captured run (analysis/cli.ts), as the report step passes them on. */
const REPORT_LINES = readFileSync(join(__dirname, "..", "testdata", "report-cli-output.txt"), "utf8")
  .split("\n")
  .filter((l) => /^(read \d+ cells |paper claims: |report: |summary: )/.test(l))
  .join("\n");

/** In every private key the mocked @pulumi/tls makes: a test finds it wherever it leaks. */
export const MOCK_KEY_MARK = "MockTlsPrivateKeyBody";
export const MADE_KEY_NEEDLE: Needle = { what: "a private key the program made", text: MOCK_KEY_MARK };

/** What the mocked @pulumi/tls makes: an ed25519 pair whose text says which resource it is. */
export function mockKeyPair(name: string): { privateKeyOpenssh: string; publicKeyOpenssh: string } {
  const body = Buffer.from(`${MOCK_KEY_MARK}-${name}`).toString("base64").replace(/=+$/, "");
  return {
    privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${MOCK_KEY_MARK}${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${Buffer.from(`public-${name}`).toString("base64").replace(/=+$/, "")}\n`,
  };
}

/** What a mocked command prints, by the end of its resource name. */
function fakeStdout(name: string): string {
  if (name.endsWith("-lab-key")) return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockLabKeyForTests edgelab-sut\n";
  if (name.endsWith("-host-key")) return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyForTests\n";
  if (name.endsWith("-preflight")) return "preflight: ok (12 checks, 0 skipped)\n";
  if (name.endsWith("-host-facts")) return `${JSON.stringify(MOCK_HOST_FACTS)}\n`;
  if (name.endsWith("-plan")) return '{"runId":"mock","cells":8,"run":"new"}\n';
  if (name.endsWith("-pull") || name.endsWith("-summary")) return '{"ok":8}\n';
  if (name.endsWith("-manifest")) return `${"ab".repeat(32)}\n`;
  if (name.endsWith("-report-make")) return `${REPORT_LINES}\n`;
  if (name.endsWith("-host-key-read")) return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockReadHostKeyForTests\n";
  if (name.endsWith("-build")) return '[{"runtime":"go","kind":"binary","status":"built","apparentBytes":1}]\n';
  if (name.endsWith("-paper-sizes")) return '{"edgelab-go:infra-test-paper":1000}\n';
  if (name.includes("-cell-")) return '{"id":"x","status":"ok","flags":[]}\n';
  return "step: changed\n";
}

function resolveOutput(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value))
    return new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve));
  if (Array.isArray(value)) return Promise.all(value.map(resolveOutput));
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return Promise.all(entries.map(async ([k, v]) => [k, await resolveOutput(v)] as const)).then(Object.fromEntries);
  }
  return Promise.resolve(value);
}

/**
 * SDK classes the program uses that mark inputs secret by themselves (see `sdkSecretInputs`):
 * their registered inputs show a secret whatever the program passed, so their constructors are
 * watched. `secretLeaks` names any resource of another such class, so the list cannot fall behind.
 */
export const WATCHED = [
  { module: "@pulumi/command/remote/command", exportName: "Command", type: "command:remote:Command" },
  { module: "@pulumi/command/remote/copyToRemote", exportName: "CopyToRemote", type: "command:remote:CopyToRemote" },
  { module: "@pulumi/command/local/command", exportName: "Command", type: "command:local:Command" },
  { module: "@pulumi/hcloud/provider", exportName: "Provider", type: "pulumi:providers:hcloud" },
  { module: "@pulumiverse/scaleway/provider", exportName: "Provider", type: "pulumi:providers:scaleway" },
] as const;

/**
 * Record the arguments of every watched constructor (the packages' index getters read the class
 * from its module each time, so replacing the module's export catches every `new`). The class
 * itself runs unchanged.
 */
function watchConstructors(handed: Handed[]): void {
  for (const w of WATCHED) {
    const mod = require(w.module) as Record<string, unknown>;
    const original = mod[w.exportName] as new (...args: unknown[]) => object;
    if ((original as { edgelabWatched?: boolean }).edgelabWatched) continue;
    mod[w.exportName] = new Proxy(original, {
      construct(target, args, newTarget) {
        handed.push({ type: w.type, name: String(args[0]), args: args[1] });
        return Reflect.construct(target, args, newTarget);
      },
      get(target, property, receiver) {
        return property === "edgelabWatched" ? true : Reflect.get(target, property, receiver);
      },
    });
  }
}

/** Set the config (secret keys as Pulumi marks them), mock the engine and run index.ts. */
export async function runProgram(
  config: Record<string, string>,
  secretKeys: string[],
  stack = "test",
  /**
   * preview: run as `pulumi preview`; onResource: told of each registration (also when the program
   * fails); stdout: what a command prints instead of the stand-in line (e.g. a pull-back that copies
   * a captured results folder, a report step that really runs), undefined to keep the stand-in.
   */
  options: {
    preview?: boolean;
    onResource?: (type: string, name: string) => void;
    stdout?: (name: string, inputs: Record<string, unknown>) => Promise<string | undefined>;
  } = {},
): Promise<ProgramRun> {
  const resources: Recorded[] = [];
  const handed: Handed[] = [];
  watchConstructors(handed);
  const warnings: string[] = [];
  const log = pulumi.log as { warn: (message: string, ...rest: unknown[]) => Promise<void> };
  const warn = log.warn;
  log.warn = (message, ...rest) => {
    warnings.push(message);
    return warn(message, ...rest);
  };
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        const start = performance.now();
        const n = ++serial;
        const id = args.type.startsWith("hcloud:") ? String(1000 + n) : `${args.name}-id`;
        const record: Recorded = { type: args.type, name: args.name, id, inputs: args.inputs, start, end: start };
        resources.push(record);
        options.onResource?.(args.type, args.name);
        await new Promise((resolve) => setTimeout(resolve, 3));
        record.end = performance.now();
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type.startsWith("command:")) {
          state.stdout = (await options.stdout?.(args.name, args.inputs)) ?? fakeStdout(args.name);
        }
        if (args.type === "tls:index/privateKey:PrivateKey") Object.assign(state, mockKeyPair(args.name));
        if (args.type === "hcloud:index/server:Server") state.ipv4Address = `203.0.113.${n % 250}`;
        if (args.type === "scaleway:elasticmetal/server:Server") {
          state.ipv4s = [{ address: `198.51.100.${n % 250}`, id: `ip-${n}`, reverse: "", version: "IPv4" }];
          state.privateNetworks = ((args.inputs.privateNetworks as Record<string, unknown>[]) ?? []).map((pn) => ({
            ...pn,
            vlan: 1000 + n,
          }));
        }
        if (args.type === "scaleway:instance/ip:Ip") state.address = `198.51.100.${n % 250}`;
        if (args.type === "docker:index/image:Image")
          state.repoDigest = `${String(args.inputs.imageName)}@sha256:${"0".repeat(64)}`;
        return { id, state };
      },
      // Data sources: Scaleway's offer, OS and option lookups answer with an id named after the query.
      call: (args) => {
        const name = String(args.inputs.name ?? "");
        if (args.token.startsWith("scaleway:elasticmetal/getOffer"))
          return { ...args.inputs, offerId: `offer-${name}` };
        if (args.token.startsWith("scaleway:elasticmetal/getOs"))
          return { ...args.inputs, osId: `os-${name}-${args.inputs.version}` };
        if (args.token.startsWith("scaleway:elasticmetal/getOption"))
          return { ...args.inputs, optionId: `option-${name}` };
        return args.inputs;
      },
    },
    "edge-lab",
    stack,
    options.preview ?? false,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);
  const module = (await import("../../index.js")) as unknown as { default: () => Promise<Record<string, unknown>> };
  const program = await module.default();
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) outputs[key] = await resolveOutput(value);
  // Every resource hangs off the pull-back, which the outputs waited for; let the last ones settle.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { resources, handed, warnings, outputs, exports: program };
}

/** Whether a mocked input value is a wrapped secret. */
export function isWrappedSecret(value: unknown): boolean {
  return !!value && typeof value === "object" && SECRET_SIG in (value as Record<string, unknown>);
}

/** The inputs with every secret replaced by "[secret]": what would show in plain text. */
export function withoutSecrets(value: unknown): unknown {
  if (isWrappedSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return value;
}

/** The plain value of a wrapped secret (or the value itself). */
export function unwrap(value: unknown): unknown {
  return isWrappedSecret(value) ? (value as { value: unknown }).value : value;
}

/** The SDK package of a resource type's token, where the lab uses it. */
const SDK_PACKAGES: Readonly<Record<string, string>> = {
  command: "@pulumi/command",
  hcloud: "@pulumi/hcloud",
  scaleway: "@pulumiverse/scaleway",
  docker: "@pulumi/docker",
};

/**
 * The inputs a resource type's SDK constructor wraps in `pulumi.secret` itself, read from the
 * SDK's generated source (`resourceInputs["token"] = args?.token ? pulumi.secret(...)`); empty for
 * the lab's own components and for types of packages the lab does not use.
 */
export function sdkSecretInputs(type: string): string[] {
  const [pkg = "", mod = "", cls = ""] = type.split(":");
  const provider = pkg === "pulumi" && mod === "providers";
  const sdk = SDK_PACKAGES[provider ? cls : pkg];
  if (!sdk) return [];
  let file: string;
  if (provider) file = "provider";
  else if (mod.includes("/")) {
    const [dir = "", name = ""] = mod.split("/");
    file = dir === "index" ? name : `${dir}/${name}`;
  } else file = `${mod}/${cls.charAt(0).toLowerCase()}${cls.slice(1)}`;
  const source = readFileSync(require.resolve(`${sdk}/${file}`), "utf8");
  return [...source.matchAll(/resourceInputs\["(\w+)"\] = [^;\n]*pulumi\.secret\(/g)].map((m) => m[1] as string);
}

/** A credential a test looks for, by a piece of its text that nothing else contains. */
export interface Needle {
  what: string;
  text: string;
}

export interface SecretReport {
  /** Each place a credential is plain: a non-secret value handed over, a plain input, an output. */
  leaks: string[];
  /** How many handed-over values carry each credential inside a secret (a check that looked). */
  carried: Record<string, number>;
}

const RESOLVE_MS = 5000;

function resolvedValue(output: pulumi.Output<unknown>): Promise<unknown> {
  return Promise.race([
    new Promise((resolve) => output.apply(resolve)),
    new Promise((resolve) => setTimeout(() => resolve(undefined), RESOLVE_MS).unref()),
  ]);
}

/** Walk a value as the program handed it: every Output's secretness, every string's text. */
async function walkHanded(
  value: unknown,
  path: string,
  inSecret: boolean,
  visit: (path: string, text: string, inSecret: boolean) => void,
  seen: Set<object>,
): Promise<void> {
  if (pulumi.Output.isInstance(value)) {
    const secret = inSecret || (await pulumi.isSecret(value));
    return walkHanded(await resolvedValue(value), path, secret, visit, seen);
  }
  if (value instanceof Promise) return walkHanded(await value, path, inSecret, visit, seen);
  if (typeof value === "string") return visit(path, value, inSecret);
  if (!value || typeof value !== "object" || seen.has(value) || pulumi.Resource.isInstance(value)) return;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) await walkHanded(v, `${path}.${k}`, inSecret, visit, seen);
}

/**
 * Where the program lets a credential out of a secret: in what it hands to a watched SDK
 * constructor (a non-secret Output or plain text), in any registered input outside a secret, in
 * any stack output (not even as a secret), or through an SDK class that wraps secrets itself but
 * is not watched (so its inputs would prove nothing).
 */
export async function secretLeaks(
  run: Pick<ProgramRun, "resources" | "handed" | "outputs">,
  needles: Needle[],
): Promise<SecretReport> {
  const leaks: string[] = [];
  const carried: Record<string, number> = Object.fromEntries(needles.map((n) => [n.what, 0]));
  for (const h of run.handed) {
    await walkHanded(
      h.args,
      "args",
      false,
      (path, text, inSecret) => {
        for (const n of needles.filter((x) => text.includes(x.text))) {
          if (inSecret) carried[n.what] = (carried[n.what] ?? 0) + 1;
          else leaks.push(`${h.type} ${h.name}: the program hands ${n.what} over in ${path} outside a secret`);
        }
      },
      new Set(),
    );
  }
  for (const r of run.resources) {
    const plain = JSON.stringify(withoutSecrets(r.inputs));
    for (const n of needles.filter((x) => plain.includes(x.text))) {
      leaks.push(`${r.type} ${r.name}: ${n.what} is in a plain (non-secret) input`);
    }
    const wrapped = sdkSecretInputs(r.type).filter((k) => r.inputs[k] !== undefined);
    if (wrapped.length > 0 && !WATCHED.some((w) => w.type === r.type)) {
      leaks.push(
        `${r.type} ${r.name}: its SDK marks ${wrapped.join(", ")} secret by itself; add the class to WATCHED in infra/testing/mockProgram.ts so the test sees what the program passes`,
      );
    }
  }
  const outputs = JSON.stringify(run.outputs);
  for (const n of needles.filter((x) => outputs.includes(x.text))) leaks.push(`a stack output carries ${n.what}`);
  return { leaks, carried };
}

/** No leak, and each credential was seen inside a secret at least once (so the check looked). */
export async function assertSecretsKept(run: ProgramRun, needles: Needle[]): Promise<void> {
  const report = await secretLeaks(run, needles);
  assert.deepEqual(report.leaks, [], "credentials outside a secret");
  for (const n of needles) {
    assert.ok((report.carried[n.what] ?? 0) > 0, `${n.what} was found in no handed-over secret: the check saw nothing`);
  }
}

export const TEST_PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABTESTONLY\n-----END OPENSSH PRIVATE KEY-----";
/** The test key's body line: no other test value contains it. */
export const KEY_NEEDLE: Needle = { what: "the ssh private key", text: TEST_PRIVATE_KEY.split("\n")[1] as string };
export const TEST_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForTests operator@test";
/** The shape Hetzner issues (64 letters and digits): a token of another shape is refused at preview. */
export const TEST_TOKEN = "HcloudTestTokenForTestsOnly0123456789abcdef0123456789abcdef01234";
export const TOKEN_NEEDLE: Needle = { what: "the hcloud token", text: TEST_TOKEN };
export const TEST_REVISION = "infra/testdata/infra-test.yaml";
export const SECRET_KEYS = ["edge-lab:sshPrivateKey", "hcloud:token", "scaleway:secretKey", "scaleway:accessKey"];

/** The stack's own key and a server's host key, as the mocked @pulumi/tls makes them (infra/hosts.ts, providers/common.ts). */
export const STACK_KEY = mockKeyPair("edgelab-hosts-lab-key");
export const hostKeyOf = (server: string) => mockKeyPair(`${server}-host-key`).publicKeyOpenssh.trim();

/** Resources of one type, by the end of their names. */
export function byType(run: ProgramRun, type: string): Recorded[] {
  return run.resources.filter((r) => r.type === type);
}

export function named(run: ProgramRun, suffix: string): Recorded {
  const found = run.resources.filter((r) => r.name.endsWith(suffix));
  if (found.length !== 1) {
    throw new Error(`expected one resource named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  }
  return found[0] as Recorded;
}
