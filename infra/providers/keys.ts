/**
 * The value kinds of the stack's `edge-lab:*` keys, shared by the config parser and the host
 * providers: each provider lists the keys it reads; the parser builds one schema from them.
 */
import { z } from "zod";

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
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "expected an IPv4 address or a host name");
export const cidr = z
  .string()
  .refine(
    (v) => /^(\d{1,3}\.){3}\d{1,3}\/(3[0-2]|[12]?\d)$/.test(v) || /^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/.test(v),
    "expected a CIDR like 203.0.113.7/32 or 2001:db8::/48",
  );
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
  sshAllowedCidrs: { kind: "json", schema: z.array(cidr).min(1, "expected at least one CIDR").optional() },
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

/** SSH open to the whole internet is refused on every provider that opens SSH. */
export function openSshProblems(cidrs: readonly string[] | undefined): string[] {
  const open = cidrs?.find((r) => r === "0.0.0.0/0" || r === "::/0");
  return open
    ? [
        `${keyName("sshAllowedCidrs")} contains ${open}: SSH open to the whole internet is not allowed; use your own address (e.g. 203.0.113.7/32)`,
      ]
    : [];
}

/** Whether an IPv4 address lies in an IPv4 CIDR. */
export function ipInCidr(ip: string, range: string): boolean {
  const [base, bits] = range.split("/");
  if (!base || bits === undefined || !/^(\d{1,3}\.){3}\d{1,3}$/.test(base)) return false;
  const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}
