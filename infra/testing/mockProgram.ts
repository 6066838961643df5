/**
 * Runs the Pulumi program (index.ts) against mocks and records every resource: its type, name,
 * inputs (secrets still wrapped, so a test can see what is secret) and when its registration
 * started and ended. Each mocked registration takes a few milliseconds, so a resource that does
 * not wait for another (dependsOn) starts before that one has ended: order is observable.
 * One program per process (Pulumi's runtime and the module cache are global): one test file
 * per stack variant.
 */
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

export interface ProgramRun {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  /** The module's exports as Outputs (to check secretness). */
  exports: Record<string, unknown>;
}

let serial = 0;

/** What a mocked command prints, by the end of its resource name. */
function fakeStdout(name: string): string {
  if (name.endsWith("-lab-key")) return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockLabKeyForTests edgelab-sut\n";
  if (name.endsWith("-host-key")) return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKeyForTests\n";
  if (name.endsWith("-preflight")) return "preflight: ok (12 checks, 0 skipped)\n";
  if (name.endsWith("-host-facts")) return '{"role":"mock","cores":8}\n';
  if (name.endsWith("-plan")) return '{"runId":"mock","cells":8,"run":"new"}\n';
  if (name.endsWith("-pull") || name.endsWith("-summary")) return '{"ok":8}\n';
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

/** Set the config (secret keys as Pulumi marks them), mock the engine and run index.ts. */
export async function runProgram(
  config: Record<string, string>,
  secretKeys: string[],
  stack = "test",
  options: { preview?: boolean } = {},
): Promise<ProgramRun> {
  const resources: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        const start = performance.now();
        const n = ++serial;
        const id = args.type.startsWith("hcloud:") ? String(1000 + n) : `${args.name}-id`;
        const record: Recorded = { type: args.type, name: args.name, id, inputs: args.inputs, start, end: start };
        resources.push(record);
        await new Promise((resolve) => setTimeout(resolve, 3));
        record.end = performance.now();
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type.startsWith("command:")) state.stdout = fakeStdout(args.name);
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
  return { resources, outputs, exports: program };
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

export const TEST_PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABTESTONLY\n-----END OPENSSH PRIVATE KEY-----";
export const TEST_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForTests operator@test";
export const TEST_TOKEN = "hcloud-test-token-0123456789abcdef0123456789abcdef0123456789abcdef";
export const TEST_REVISION = "infra/testdata/infra-test.yaml";
export const SECRET_KEYS = ["edge-lab:sshPrivateKey", "hcloud:token", "scaleway:secretKey", "scaleway:accessKey"];

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
