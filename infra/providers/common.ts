/**
 * Pieces several providers share: the lab's private addresses per pair, the inbound rules every
 * provider enforces (in its own firewall, or on the host where it has none), cloud-init that
 * forbids passwords, and how a host is reached.
 */
import type { types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { APP_PORT_RANGES, SSHD_HARDENING } from "../bootstrap/steps";
import type { LabHost } from "../hostCommand";
import type { Network } from "../network";
import { hostKeyLine } from "../sshKeys";
import type { HostConfig } from "./keys";
import type { HostPlan, StackKey } from "./types";

/** The lab's own private network and the fixed addresses of its servers (pair 1: .10 and .11). */
export const NETWORK = {
  range: "10.42.0.0/16",
  cloudSubnet: "10.42.1.0/24",
  sutIp: "10.42.1.10",
  loadgenIp: "10.42.1.11",
  defaultVswitchSubnet: "10.42.2.0/24",
} as const;

/** Pair k (1-based) takes the next two addresses of the cloud subnet: .10/.11, .12/.13, ... */
export function pairAddresses(pair: number): { sut: string; loadgen: string } {
  const base = 10 + 2 * (pair - 1);
  return { sut: `10.42.1.${base}`, loadgen: `10.42.1.${base + 1}` };
}

/** Resource names: unchanged for a single pair, `-p<k>` beside the role for more. */
export function pairPrefix(name: string, pair: number, pairs: number): string {
  return pairs > 1 ? `${name}-p${pair}` : name;
}

export interface FirewallRule {
  direction: "in";
  protocol: "tcp";
  port: string;
  sourceIps: string[];
  description: string;
}

/**
 * Inbound rules (nothing else comes in; everything may go out). The app ports are 8080 (ops'
 * user-mode forward) and the SUT's ephemeral range (Docker and native instances publish on a free
 * port), open to the load generator only. Every source is a parsed network (infra/network.ts):
 * firewalls get its canonical spelling, never a string as the user typed it.
 */
export function firewallRules(args: {
  /** The operator's networks (edge-lab:sshAllowedCidrs, parsed). */
  sshAllowed: readonly Network[];
  /** The load generator's address(es) as the SUT sees them. */
  loadgen: readonly Network[];
  /** The SUT's address(es) as the load generator sees them, when its runner reaches the load generator's sshd from outside the operator's networks. */
  sut?: readonly Network[];
}): { sut: FirewallRule[]; loadgen: FirewallRule[] } {
  const sources = (networks: readonly Network[]) => [...new Set(networks.map((n) => n.cidr))];
  const ssh: FirewallRule = {
    direction: "in",
    protocol: "tcp",
    port: "22",
    sourceIps: sources(args.sshAllowed),
    description: "SSH from the operator's networks",
  };
  const app = APP_PORT_RANGES.map(
    (port): FirewallRule => ({
      direction: "in",
      protocol: "tcp",
      port,
      sourceIps: sources(args.loadgen),
      description: "the instances under test, from the load generator only",
    }),
  );
  const loadgen: FirewallRule[] = [ssh];
  if (args.sut) {
    loadgen.push({
      direction: "in",
      protocol: "tcp",
      port: "22",
      sourceIps: sources(args.sut),
      description: "the SUT's runner starts the load generator here over SSH",
    });
  }
  return { sut: [ssh, ...app], loadgen };
}

/** A label/tag value: at most 63 characters, alphanumeric at both ends. */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

const indent = (text: string, spaces: number) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => `${" ".repeat(spaces)}${line}`)
    .join("\n");

/**
 * cloud-init: no password login from the first boot (the bootstrap writes the same drop-in), and
 * the host key the program made for the server, so the lab pins exactly it (no trust on first use).
 * No other host key is generated: the server answers with this one only. A secret (it holds the
 * host's private key).
 */
export function cloudInit(hostKey: StackKey): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([hostKey.privateKey, hostKey.publicKey]).apply(
      ([privateKey, publicKey]) => `#cloud-config
ssh_pwauth: false
disable_root: false
ssh_deletekeys: true
ssh_genkeytypes: []
ssh_keys:
  ed25519_private: |
${indent(privateKey, 4)}
  ed25519_public: ${publicKey.trim()}
write_files:
  - path: /etc/ssh/sshd_config.d/10-edgelab.conf
    permissions: "0644"
    content: |
${indent(SSHD_HARDENING, 6)}
runcmd:
  - [systemctl, reload, ssh]
`,
    ),
  );
}

/** The host key of a server the stack makes: an ed25519 pair made here, handed to its cloud-init. */
export function serverHostKey(name: string, parent: pulumi.Resource): StackKey {
  const key = new tls.PrivateKey(name, { algorithm: "ED25519" }, { parent });
  return { privateKey: pulumi.secret(key.privateKeyOpenssh), publicKey: key.publicKeyOpenssh.apply((k) => k.trim()) };
}

/** The ssh connection of a host (the key as a secret; a new server's sshd may need a minute or two). */
export function connection(
  address: pulumi.Input<string>,
  host: HostPlan,
  privateKey: pulumi.Output<string> | undefined,
): types.input.remote.ConnectionArgs {
  return {
    host: address,
    user: host.user,
    port: host.port,
    privateKey,
    dialErrorLimit: 30,
    perDialTimeout: 10,
  };
}

/** A server the stack made, as the components see it: its connection with the stack's key, its pinned host key. */
export function cloudHost(
  host: HostPlan,
  address: pulumi.Output<string>,
  labAddress: pulumi.Output<string>,
  keys: { stackKey: StackKey | undefined; hostKey: StackKey },
  ready: pulumi.Resource[],
): LabHost {
  const privateKey = keys.stackKey?.privateKey;
  return {
    plan: host,
    address,
    labAddress,
    connection: connection(address, host, privateKey),
    ...(privateKey ? { privateKey } : {}),
    hostKey: keys.hostKey.publicKey,
    ready,
  };
}

/** A host the user lends the lab. */
export function providedHostPlan(label: "sut" | "loadgen", h: HostConfig, pair: number): HostPlan {
  const hostKey = h.hostKey ? hostKeyLine(h.hostKey) : null;
  return {
    label,
    roles: { sut: label === "sut", loadgen: label === "loadgen" },
    kind: "provided",
    user: h.user,
    port: h.port,
    address: h.address,
    labAddress: h.privateAddress ?? h.address,
    pair,
    ...(hostKey ? { hostKey } : {}),
  };
}

/** A server the stack creates (root over ssh). */
export function cloudHostPlan(label: "sut" | "loadgen", labAddress: string | null, pair: number): HostPlan {
  return {
    label,
    roles: { sut: label === "sut", loadgen: label === "loadgen" },
    kind: "cloud",
    user: "root",
    port: 22,
    address: null,
    labAddress,
    pair,
  };
}

/** A host the user provides, as the components see it (its host key pinned when the operator gave it). */
export function providedHost(host: HostPlan, privateKey: pulumi.Output<string> | undefined): LabHost {
  return {
    plan: host,
    address: pulumi.output(host.address as string),
    labAddress: pulumi.output(host.labAddress ?? (host.address as string)),
    connection: connection(host.address as string, host, privateKey),
    ...(privateKey ? { privateKey } : {}),
    ...(host.hostKey ? { hostKey: pulumi.output(host.hostKey) } : {}),
    ready: [],
  };
}
