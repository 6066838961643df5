/**
 * The value kinds of the stack's `edge-lab:*` keys, shared by the config parser and the host
 * providers: each provider lists the keys it reads; the parser builds one schema from them.
 */
import { isIP } from "node:net";
import { z } from "zod";
import {
  isAmbiguousAddress,
  type Network,
  networkContains,
  networkOf,
  parseNetwork,
  shortPrefixWarning,
  unseenRange,
  wholeFamilies,
} from "../network";
import { refusal } from "../refusals";
import { hostKeyLine, privateKeyProblem } from "../sshKeys";

export const NAMESPACE = "edge-lab";

/** How Pulumi's raw config string is read before validation. */
export type KeyKind = "string" | "boolean" | "number" | "json";

export interface KeyDef {
  kind: KeyKind;
  schema: z.ZodType;
}

export const ipv4 = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
    "expected an IPv4 address like 10.0.1.2",
  );
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "expected an IPv4 address or a host name")
  .refine(
    (v) => !isAmbiguousAddress(v),
    "expected an IPv4 address (four decimal numbers 0-255, no leading zeros) or a host name (whose last label is not a number)",
  );

/** A network (infra/network.ts): syntax, range and host bits checked, a prefix of 0 refused. */
export const cidr = z.string().superRefine((v, ctx) => {
  const parsed = parseNetwork(v);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
});

/** A source the lab opens SSH to: a network, never the whole internet in any spelling. */
export const sshSource = z.string().superRefine((v, ctx) => {
  const parsed = parseNetwork(v);
  if (parsed.ok) {
    const range = unseenRange(parsed.network);
    if (range === null) return;
    const documentation = range.kind === "documentation";
    ctx.addIssue({
      code: "custom",
      message: refusal(
        documentation ? "ssh-source-documentation" : "ssh-source-private",
        `${parsed.network.cidr} lies in ${range.cidr}, ${range.what}: ${documentation ? "an example address, no one's" : "a public server never sees a connection come from it"}, so the firewall would let nobody in and \`pulumi up\` would fail after the servers exist; use your own public address as a /32 (curl -4s https://ifconfig.me)`,
      ),
    });
    return;
  }
  const open = parsed.problem === "zero-prefix";
  ctx.addIssue({
    code: "custom",
    message: open
      ? `${parsed.reason}: SSH open to the whole internet is not allowed; use your own public address as a /32 (curl -4s https://ifconfig.me)`
      : parsed.reason,
  });
});
const user = z.string().regex(/^[a-z_][a-z0-9_-]*$/, "expected a Unix user name like root or ubuntu");

/** A host the user provides (static target, or the bare-metal SUT). */
export const HostSchema = z
  .object({
    /** The address Pulumi (and you) reach it on by ssh. */
    address: hostName,
    /** Its address on the lab's private link (vSwitch VLAN, LAN); default: `address`. */
    privateAddress: ipv4.optional(),
    /** The ssh user: root, or a user with password-less sudo. */
    user: user.default("root"),
    port: z.number().int().min(1).max(65535).default(22),
    /**
     * Its host key as you checked it (`ssh-keyscan -t ed25519 <address>`, compared with the
     * host's console): the lab's own ssh pins it. Absent: the key read over Pulumi's first
     * connection is pinned (trust on first use, and preview says so).
     */
    hostKey: z
      .string()
      .refine((v) => hostKeyLine(v) !== null, "expected one OpenSSH public host key like ssh-ed25519 AAAA...")
      .optional(),
  })
  .strict();
export type HostConfig = z.output<typeof HostSchema>;

/** A bundle folder of pre-downloaded files (air-gapped labs), for every target that installs hosts. */
export const BUNDLE_KEYS = {
  bundleDir: { kind: "string", schema: z.string().min(1).optional() },
} as const satisfies Record<string, KeyDef>;

/**
 * The operator's own private key, only on targets that reach servers the operator already has
 * (static, the bare-metal SUT): a secret, and one nothing has to unlock.
 */
export const OPERATOR_KEY = {
  sshPrivateKey: {
    kind: "string",
    schema: z
      .string()
      .superRefine((v, ctx) => {
        const problem = privateKeyProblem(v);
        if (problem === null) return;
        ctx.addIssue({
          code: "custom",
          message:
            problem.kind === "passphrase"
              ? refusal(
                  "ssh-key-passphrase",
                  `it is protected by a passphrase (${problem.detail}), which nothing in \`pulumi up\` could type: give the lab a key of its own without one (ssh-keygen -t ed25519 -N '' -f ~/.ssh/edgelab) and authorize it on your servers`,
                )
              : `${problem.detail} (a secret)`,
        });
      })
      .optional(),
  },
} as const satisfies Record<string, KeyDef>;

/** Keys of providers that create servers: your own login key (optional) and who may reach them by ssh. */
export const CLOUD_KEYS = {
  sshPublicKey: {
    kind: "string",
    schema: z
      .string()
      .regex(
        /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/,
        "expected an OpenSSH public key line (ssh-ed25519 AAAA...)",
      )
      .optional(),
  },
  sshAllowedCidrs: {
    kind: "json",
    schema: z
      .array(sshSource)
      .min(1, "expected at least one CIDR")
      .superRefine((list, ctx) => {
        const parsed = list.map(parseNetwork);
        const networks = parsed.flatMap((p) => (p.ok ? [p.network] : []));
        if (networks.length < parsed.length) return;
        for (const family of wholeFamilies(networks)) {
          ctx.addIssue({
            code: "custom",
            message: `together these networks admit every IPv${family} address (the whole internet): SSH open to the whole internet is not allowed; use your own public address as a /32 (curl -4s https://ifconfig.me)`,
          });
        }
      })
      .optional(),
  },
} as const satisfies Record<string, KeyDef>;

/** `${NAMESPACE}:key`, as the stack file spells it. */
export function keyName(key: string): string {
  return `${NAMESPACE}:${key}`;
}

/** Problems for keys a target needs but the stack does not set. */
export function missingKeys(raw: Record<string, unknown>, target: string, needs: Record<string, string>): string[] {
  return Object.entries(needs)
    .filter(([k]) => raw[k] === undefined)
    .map(([k, why]) => `${keyName(k)} is missing: target ${target} needs it (${why})`);
}

/**
 * A host of yours given without `hostKey`: the lab pins the key it reads over Pulumi's first
 * connection, which trusts that connection. Preview says so, and how to avoid it.
 */
export function firstUseWarnings(hosts: Readonly<Record<string, HostConfig | undefined>>): string[] {
  return Object.entries(hosts)
    .filter(([, h]) => h !== undefined && h.hostKey === undefined)
    .map(
      ([name, h]) =>
        `${keyName(name)} has no hostKey: the lab pins the host key it reads on Pulumi's first connection to ${h?.address} (trust on first use); set ${keyName(name)}.hostKey to the key you checked on the host's console (ssh-keyscan -t ed25519 ${h?.address}, compared with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there)`,
    );
}

/**
 * A target that reaches servers the operator already has needs the operator's key: missing, it is
 * a refusal naming the way to set it (from a file, never on the command line).
 */
export function missingOperatorKey(raw: Record<string, unknown>, target: string): string[] {
  if (raw.sshPrivateKey !== undefined) return [];
  return [
    refusal(
      "ssh-key-missing",
      `${keyName("sshPrivateKey")} is missing: target ${target} logs in to your own servers with your key; set it from its file: pulumi config set --secret ${keyName("sshPrivateKey")} < ~/.ssh/edgelab`,
    ),
  ];
}

/** The SSH sources as parsed networks (the schema has checked them): what firewalls get. */
export function sshSources(cidrs: readonly string[] | undefined): Network[] {
  return (cidrs ?? []).map((c, i) => networkOf(`${keyName("sshAllowedCidrs")}.${i}`, c));
}

/** Warnings for SSH sources wider than one site's network (infra/network.ts, SHORT_PREFIX). */
export function sshSourceWarnings(cidrs: readonly string[] | undefined): string[] {
  return (cidrs ?? []).flatMap((c) => {
    const parsed = parseNetwork(c);
    const warning = parsed.ok ? shortPrefixWarning(keyName("sshAllowedCidrs"), c, parsed.network) : null;
    return warning ? [warning] : [];
  });
}

/** Whether an address lies in a network (false when either is not valid). */
export function ipInCidr(ip: string, range: string): boolean {
  const parsed = parseNetwork(range);
  return parsed.ok && isIP(ip) !== 0 && !ip.includes("%") && networkContains(parsed.network, ip);
}
