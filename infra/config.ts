/**
 * The stack's configuration (`edge-lab:*` keys in Pulumi.<stack>.yaml), typed and validated in one
 * place. Pure: `parseLabConfig` takes the raw key/value pairs, so every bad value and every bad
 * combination is tested without Pulumi. Errors name the key, the value and what is allowed.
 */
import { z } from "zod";
import { ConfigError, describeIssues } from "../lab/config/errors";

export const NAMESPACE = "edge-lab";

export const TARGETS = ["hcloud", "hcloud-baremetal", "static", "local"] as const;
export type Target = (typeof TARGETS)[number];

/** Hetzner Cloud locations and their network zones (a vSwitch subnet exists in eu-central only). */
export const LOCATIONS = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
} as const;
export type Location = keyof typeof LOCATIONS;

export const PAPER_IMAGE_MODES = ["docker-provider", "on-sut", "off"] as const;

/** The lab's own private network on Hetzner Cloud and the fixed addresses of its servers. */
export const NETWORK = {
  range: "10.42.0.0/16",
  cloudSubnet: "10.42.1.0/24",
  sutIp: "10.42.1.10",
  loadgenIp: "10.42.1.11",
  defaultVswitchSubnet: "10.42.2.0/24",
} as const;

const ipv4 = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
    "expected an IPv4 address like 10.0.1.2",
  );
const hostName = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, "expected an IPv4 address or a host name");
const cidr = z
  .string()
  .refine(
    (v) => /^(\d{1,3}\.){3}\d{1,3}\/(3[0-2]|[12]?\d)$/.test(v) || /^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/.test(v),
    "expected a CIDR like 203.0.113.7/32 or 2001:db8::/48",
  );
const user = z.string().regex(/^[a-z_][a-z0-9_-]*$/, "expected a Unix user name like root or ubuntu");
const serverType = z.string().regex(/^[a-z]+\d+$/, "expected a Hetzner server type like ccx33");

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

/** Keys, their kinds (how the raw string is read) and the targets each key belongs to. */
export const CONFIG_KEYS = {
  target: { kind: "string", targets: TARGETS },
  revision: { kind: "string", targets: TARGETS },
  profile: { kind: "string", targets: TARGETS },
  runId: { kind: "string", targets: TARGETS },
  allowEmulation: { kind: "boolean", targets: TARGETS },
  bootstrap: { kind: "boolean", targets: TARGETS },
  bundleDir: { kind: "string", targets: ["hcloud", "hcloud-baremetal", "static"] },
  paperImages: { kind: "string", targets: TARGETS },
  sshPublicKey: { kind: "string", targets: ["hcloud", "hcloud-baremetal"] },
  sshPrivateKey: { kind: "string", targets: ["hcloud", "hcloud-baremetal", "static"] },
  sshAllowedCidrs: { kind: "json", targets: ["hcloud", "hcloud-baremetal"] },
  location: { kind: "string", targets: ["hcloud", "hcloud-baremetal"] },
  image: { kind: "string", targets: ["hcloud", "hcloud-baremetal"] },
  sutServerType: { kind: "string", targets: ["hcloud"] },
  loadgenServerType: { kind: "string", targets: ["hcloud", "hcloud-baremetal"] },
  sut: { kind: "json", targets: ["hcloud-baremetal", "static"] },
  loadgen: { kind: "json", targets: ["static"] },
  vswitchId: { kind: "number", targets: ["hcloud-baremetal"] },
  vswitchSubnet: { kind: "string", targets: ["hcloud-baremetal"] },
} as const satisfies Record<string, { kind: "string" | "boolean" | "number" | "json"; targets: readonly Target[] }>;
export type ConfigKey = keyof typeof CONFIG_KEYS;

const LabConfigSchema = z
  .object({
    target: z.enum(TARGETS),
    revision: z.string().min(1).default("paper-2025"),
    profile: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, "expected a profile name like paper")
      .default("paper"),
    runId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "expected letters, digits, '.', '_' and '-' (at most 100)")
      .optional(),
    allowEmulation: z.boolean().default(false),
    bootstrap: z.boolean().optional(),
    bundleDir: z.string().min(1).optional(),
    paperImages: z.enum(PAPER_IMAGE_MODES).optional(),
    sshPublicKey: z
      .string()
      .regex(
        /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/,
        "expected an OpenSSH public key line (ssh-ed25519 AAAA...)",
      )
      .optional(),
    sshPrivateKey: z
      .string()
      .refine((v) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v), "expected a PEM/OpenSSH private key (secret)")
      .optional(),
    sshAllowedCidrs: z.array(cidr).min(1, "expected at least one CIDR").optional(),
    location: z.enum(Object.keys(LOCATIONS) as [Location, ...Location[]]).default("fsn1"),
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, "expected a Hetzner image name like ubuntu-24.04")
      .default("ubuntu-24.04"),
    sutServerType: serverType.default("ccx33"),
    loadgenServerType: serverType.default("ccx23"),
    sut: HostSchema.optional(),
    loadgen: HostSchema.optional(),
    vswitchId: z.number().int().positive("expected the numeric id of a Robot vSwitch").optional(),
    vswitchSubnet: cidr.default(NETWORK.defaultVswitchSubnet),
  })
  .strict();

export type LabConfigInput = z.input<typeof LabConfigSchema>;

export interface LabConfig extends Omit<z.output<typeof LabConfigSchema>, "bootstrap" | "paperImages"> {
  /** Install pinned software on the hosts (default: yes, except on this machine). */
  bootstrap: boolean;
  /** How the paper's Docker images are built on the SUT. */
  paperImages: (typeof PAPER_IMAGE_MODES)[number];
  stack: string;
}

function ipInCidr(ip: string, range: string): boolean {
  const [base, bits] = range.split("/");
  if (!base || bits === undefined || !/^(\d{1,3}\.){3}\d{1,3}$/.test(base)) return false;
  const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}

/** Problems no single key shows: keys that do not belong to the target, missing pairs, zones. */
function combinationProblems(raw: Record<string, unknown>, c: z.output<typeof LabConfigSchema>): string[] {
  const problems: string[] = [];
  const key = (k: string) => `${NAMESPACE}:${k}`;
  for (const k of Object.keys(raw) as ConfigKey[]) {
    const allowed: readonly Target[] = CONFIG_KEYS[k].targets;
    if (!allowed.includes(c.target)) {
      problems.push(`${key(k)} is set but target ${c.target} does not use it (it is for: ${allowed.join(", ")})`);
    }
  }
  const need = (k: ConfigKey, why: string) => {
    if (raw[k] === undefined) problems.push(`${key(k)} is missing: target ${c.target} needs it (${why})`);
  };
  if (c.target === "hcloud" || c.target === "hcloud-baremetal") {
    need("sshAllowedCidrs", "SSH is opened only to these networks");
    need("sshPublicKey", "Hetzner installs it on the servers");
  }
  if (c.target !== "local") need("sshPrivateKey", "Pulumi connects to the hosts with it; set it with --secret");
  if (c.target === "static") {
    need("sut", "the system under test: {address, privateAddress?, user}");
    need("loadgen", "the load generator: {address, privateAddress?, user}");
  }
  if (c.target === "hcloud-baremetal") {
    need("sut", "your bare-metal system under test: {address, privateAddress?, user}");
    if (c.vswitchId !== undefined) {
      if (LOCATIONS[c.location] !== "eu-central") {
        problems.push(
          `${key("vswitchId")}: a vSwitch joins Hetzner Cloud networks in network zone eu-central only; ${key("location")} = "${c.location}" is in ${LOCATIONS[c.location]} (use fsn1, nbg1 or hel1)`,
        );
      }
      if (!c.sut?.privateAddress) {
        problems.push(
          `${key("sut")}.privateAddress is missing: with a vSwitch it is the SUT's address on the vSwitch VLAN`,
        );
      } else if (!ipInCidr(c.sut.privateAddress, c.vswitchSubnet)) {
        problems.push(
          `${key("sut")}.privateAddress = "${c.sut.privateAddress}" is not in ${key("vswitchSubnet")} = "${c.vswitchSubnet}"`,
        );
      }
      if (
        ipInCidr(NETWORK.loadgenIp, c.vswitchSubnet) ||
        !ipInCidr(c.vswitchSubnet.split("/")[0] ?? "", NETWORK.range)
      ) {
        problems.push(
          `${key("vswitchSubnet")} = "${c.vswitchSubnet}" must lie inside the lab network ${NETWORK.range} and outside its cloud subnet ${NETWORK.cloudSubnet}`,
        );
      }
    }
  }
  if (raw.vswitchSubnet !== undefined && c.vswitchId === undefined && c.target === "hcloud-baremetal") {
    problems.push(`${key("vswitchSubnet")} is set without ${key("vswitchId")}`);
  }
  if (c.sshAllowedCidrs?.some((r) => r === "0.0.0.0/0" || r === "::/0")) {
    problems.push(
      `${key("sshAllowedCidrs")} contains ${c.sshAllowedCidrs.find((r) => r === "0.0.0.0/0" || r === "::/0")}: SSH open to the whole internet is not allowed; use your own address (e.g. 203.0.113.7/32)`,
    );
  }
  return problems;
}

/** Read a raw config string as its key's kind; a bad string names the key, the value and the kind. */
export function readRaw(key: ConfigKey, value: string): unknown {
  const kind = CONFIG_KEYS[key].kind;
  const bad = (what: string) =>
    new ConfigError(`stack config`, [
      `${NAMESPACE}:${key} = ${JSON.stringify(value)} is not allowed: expected ${what}`,
    ]);
  switch (kind) {
    case "string":
      return value;
    case "boolean":
      if (value === "true" || value === "false") return value === "true";
      throw bad("true or false");
    case "number": {
      const n = Number(value);
      if (value.trim() === "" || !Number.isFinite(n)) throw bad("a number");
      return n;
    }
    case "json":
      try {
        return JSON.parse(value);
      } catch {
        throw bad(key === "sshAllowedCidrs" ? "a YAML list of CIDRs" : "a YAML object {address, privateAddress, user}");
      }
  }
}

/**
 * Validate the stack's `edge-lab:*` values (already read to their kinds). Throws a ConfigError
 * listing every problem: unknown keys, bad values, and keys that do not fit the target.
 */
export function parseLabConfig(raw: Record<string, unknown>, stack: string): LabConfig {
  const unknown = Object.keys(raw).filter((k) => !(k in CONFIG_KEYS));
  const problems: string[] = unknown.map(
    (k) => `${NAMESPACE}:${k} is not a key of this lab (known: ${Object.keys(CONFIG_KEYS).join(", ")})`,
  );
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => k in CONFIG_KEYS));
  if (known.target === undefined) {
    problems.push(`${NAMESPACE}:target is missing: set it to one of ${TARGETS.join(", ")}`);
  }
  const parsed = LabConfigSchema.safeParse(known, { reportInput: true });
  if (!parsed.success) {
    problems.push(
      ...describeIssues(parsed.error.issues, known)
        .filter((line) => !(known.target === undefined && line.startsWith("target =")))
        .map((line) =>
          line.startsWith("sshPrivateKey =")
            ? `${NAMESPACE}:sshPrivateKey (a secret: its value is not shown) ${line.slice(line.indexOf("is not allowed"))}`
            : `${NAMESPACE}:${line.replace(/ is not allowed: Invalid option: expected one of (.*)$/, " is not allowed: use one of $1")}`,
        ),
    );
  }
  if (parsed.success) problems.push(...combinationProblems(known, parsed.data));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(`stack ${stack} (Pulumi.${stack}.yaml)`, problems);
  const c = parsed.data;
  return {
    ...c,
    bootstrap: c.bootstrap ?? c.target !== "local",
    paperImages: c.paperImages ?? (c.target === "local" ? "off" : "docker-provider"),
    stack,
  };
}
