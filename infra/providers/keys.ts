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
  wholeFamilies,
} from "../network";

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
  if (parsed.ok) return;
  const open = parsed.problem === "zero-prefix";
  ctx.addIssue({
    code: "custom",
    message: open
      ? `${parsed.reason}: SSH open to the whole internet is not allowed; use your own address (e.g. 203.0.113.7/32)`
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
  })
  .strict();
export type HostConfig = z.output<typeof HostSchema>;

/** Keys every provider that reaches its hosts over ssh shares. */
export const SSH_KEYS = {
  sshPrivateKey: {
    kind: "string",
    schema: z
      .string()
      .refine((v) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v), "expected a PEM/OpenSSH private key (secret)")
      .optional(),
  },
  bundleDir: { kind: "string", schema: z.string().min(1).optional() },
} as const satisfies Record<string, KeyDef>;

/** Keys of providers that create servers: the key they install and who may reach them by ssh. */
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
            message: `together these networks admit every IPv${family} address (the whole internet): SSH open to the whole internet is not allowed; use your own address (e.g. 203.0.113.7/32)`,
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
