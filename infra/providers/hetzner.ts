/**
 * What the two Hetzner targets share: their keys, the token, and the Hetzner Cloud resources (one
 * key, one private network, a firewall and a server per host, servers in one location).
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError } from "../../core/config/errors";
import type { LabConfig } from "../config";
import type { LabHost } from "../hostCommand";
import { cloudHost, cloudInit, type FirewallRule, labelValue, NETWORK, serverHostKey } from "./common";
import { BUNDLE_KEYS, CLOUD_KEYS, type KeyDef } from "./keys";
import { credentialText, TOKEN_SHAPES, tokenProblem } from "./tokens";
import type { HostPlan, StackKey } from "./types";

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

const serverType = z.string().regex(/^[a-z]+\d+$/, "expected a Hetzner server type like ccx33");

export const HETZNER_KEYS = {
  ...BUNDLE_KEYS,
  ...CLOUD_KEYS,
  location: { kind: "string", schema: z.enum(Object.keys(LOCATIONS) as [Location, ...Location[]]).default("fsn1") },
  image: {
    kind: "string",
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]*$/, "expected a Hetzner image name like ubuntu-24.04")
      .default("ubuntu-24.04"),
  },
  loadgenServerType: { kind: "string", schema: serverType.default("ccx23") },
} as const satisfies Record<string, KeyDef>;

export const SUT_SERVER_TYPE_KEY = { kind: "string", schema: serverType.default("ccx33") } as const satisfies KeyDef;

/** The Hetzner token as a secret: `hcloud:token`, or HCLOUD_TOKEN in the environment; its shape checked. */
export function hetznerCredentials(stack: string, config: LabConfig): Record<string, pulumi.Output<string>> {
  const token = credentialText("hcloud:token", "HCLOUD_TOKEN");
  const where = `stack ${stack} (Pulumi.${stack}.yaml)`;
  if (!token) {
    throw new ConfigError(where, [
      `hcloud:token is missing: target ${config.target} creates Hetzner Cloud servers; run \`pulumi config set --secret hcloud:token\` and paste the token when it asks (or export HCLOUD_TOKEN)`,
    ]);
  }
  const problem = tokenProblem(token.source, token.value, TOKEN_SHAPES.hcloudToken);
  if (problem) throw new ConfigError(where, [problem]);
  const fromConfig = new pulumi.Config("hcloud").getSecret("token");
  return { token: fromConfig ?? pulumi.secret(token.value) };
}

export interface HetznerNetwork {
  network: hcloud.Network;
  cloudSubnet: hcloud.NetworkSubnet;
}

/** Everything Hetzner makes for one stack, shared by every pair: the provider, the keys, the network. */
export class HetznerBase {
  readonly provider: hcloud.Provider;
  /** The stack's own key, and the operator's for their own logins when they gave one. */
  readonly sshKeys: hcloud.SshKey[];
  readonly labels: Record<string, string>;
  readonly net: HetznerNetwork | null;
  private readonly stackKey: StackKey;

  constructor(
    name: string,
    config: LabConfig,
    runId: string,
    access: { token: pulumi.Output<string> | undefined; stackKey: StackKey | undefined },
    parent: pulumi.Resource,
    network: { vswitch: { id: number; subnet: string } | null } | null,
  ) {
    if (!access.token) throw new Error(`target ${config.target} needs a Hetzner token (hcloud:token)`);
    if (!access.stackKey) throw new Error(`target ${config.target} makes servers: it needs the stack's key`);
    this.stackKey = access.stackKey;
    this.provider = new hcloud.Provider(`${name}-hcloud`, { token: access.token }, { parent });
    const child = { parent, provider: this.provider };
    this.labels = { "edgelab-stack": labelValue(config.stack), "edgelab-run": labelValue(runId) };
    this.sshKeys = [
      new hcloud.SshKey(`${name}-ssh-key`, { publicKey: access.stackKey.publicKey, labels: this.labels }, child),
      ...(config.sshPublicKey
        ? [
            new hcloud.SshKey(
              `${name}-operator-ssh-key`,
              { publicKey: config.sshPublicKey, labels: this.labels },
              child,
            ),
          ]
        : []),
    ];
    this.net = null;
    if (network) {
      const zone = LOCATIONS[config.location];
      const net = new hcloud.Network(
        `${name}-network`,
        { ipRange: NETWORK.range, labels: this.labels, ...(network.vswitch ? { exposeRoutesToVswitch: true } : {}) },
        child,
      );
      const networkId = net.id.apply(Number);
      const cloudSubnet = new hcloud.NetworkSubnet(
        `${name}-subnet`,
        { networkId, type: "cloud", networkZone: zone, ipRange: NETWORK.cloudSubnet },
        child,
      );
      if (network.vswitch) {
        new hcloud.NetworkSubnet(
          `${name}-vswitch-subnet`,
          {
            networkId,
            type: "vswitch",
            networkZone: zone,
            ipRange: network.vswitch.subnet,
            vswitchId: network.vswitch.id,
          },
          child,
        );
      }
      this.net = { network: net, cloudSubnet };
    }
  }

  /** One server with its own firewall and host key, joined to the network at `privateIp` when there is one. */
  server(
    prefix: string,
    config: LabConfig,
    host: HostPlan,
    serverType: string,
    rules: FirewallRule[],
    privateIp: string | null,
    parent: pulumi.Resource,
  ): LabHost {
    const role = host.label;
    const child = { parent, provider: this.provider };
    const hostKey = serverHostKey(`${prefix}-${role}-host-key`, parent);
    const firewall = new hcloud.Firewall(`${prefix}-${role}-firewall`, { rules, labels: this.labels }, child);
    const server = new hcloud.Server(
      `${prefix}-${role}`,
      {
        serverType,
        image: config.image,
        location: config.location,
        sshKeys: this.sshKeys.map((k) => k.id),
        firewallIds: [firewall.id.apply(Number)],
        publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
        userData: cloudInit(hostKey),
        labels: {
          ...this.labels,
          "edgelab-role": role,
          ...(host.pair > 1 ? { "edgelab-pair": String(host.pair) } : {}),
        },
      },
      child,
    );
    const ready: pulumi.Resource[] = [server];
    if (this.net && privateIp) {
      ready.push(
        new hcloud.ServerNetwork(
          `${prefix}-${role}-network`,
          { serverId: server.id.apply(Number), subnetId: this.net.cloudSubnet.id, ip: privateIp },
          child,
        ),
      );
    }
    const labAddress = host.labAddress ? pulumi.output(host.labAddress) : server.ipv4Address;
    return cloudHost(host, server.ipv4Address, labAddress, { stackKey: this.stackKey, hostKey }, ready);
  }
}
