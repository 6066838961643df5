/**
 * The two hosts of the lab. hcloud: two servers in one location on a private network, SSH open only
 * to the operator's networks, the app ports only to the load generator. hcloud-baremetal: the load
 * generator on Hetzner Cloud, the user's dedicated SUT (joined through a vSwitch subnet when given).
 * static: both hosts given. local: this machine. No Hetzner resource for static and local.
 */

import type { types } from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { APP_PORT_RANGES, SSHD_HARDENING } from "./bootstrap/steps";
import { LOCATIONS, NETWORK } from "./config";
import type { LabHost } from "./hostCommand";
import type { HostPlan, LabPlan } from "./labPlan";

export interface FirewallRule {
  direction: "in";
  protocol: "tcp";
  port: string;
  sourceIps: string[];
  description: string;
}

/**
 * Inbound rules (Hetzner firewalls allow no other inbound traffic and all outbound). The app
 * ports are 8080 (ops' user-mode forward) and the SUT's ephemeral range (Docker and native
 * instances publish on a free port). Hetzner Cloud Firewalls filter the public interface only:
 * on the private network the instances listen on the SUT's private address, which only the two
 * lab servers share.
 */
export function firewallRules(args: {
  sshAllowedCidrs: readonly string[];
  /** The load generator's address as the SUT sees it. */
  loadgenAddress: string;
  /** A bare-metal SUT without vSwitch reaches the load generator's sshd over the internet. */
  sutPublicAddress?: string;
}): { sut: FirewallRule[]; loadgen: FirewallRule[] } {
  const ssh: FirewallRule = {
    direction: "in",
    protocol: "tcp",
    port: "22",
    sourceIps: [...args.sshAllowedCidrs],
    description: "SSH from the operator's networks",
  };
  const app = APP_PORT_RANGES.map(
    (port): FirewallRule => ({
      direction: "in",
      protocol: "tcp",
      port,
      sourceIps: [`${args.loadgenAddress}/32`],
      description: "the instances under test, from the load generator only",
    }),
  );
  const loadgen: FirewallRule[] = [ssh];
  if (args.sutPublicAddress) {
    loadgen.push({
      direction: "in",
      protocol: "tcp",
      port: "22",
      sourceIps: [`${args.sutPublicAddress}/32`],
      description: "the SUT's runner starts k6 here over SSH",
    });
  }
  return { sut: [ssh, ...app], loadgen };
}

/** A Hetzner label value: at most 63 characters, alphanumeric at both ends. */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** cloud-init: no password login from the first boot (the bootstrap writes the same drop-in). */
export function cloudInit(): string {
  const indented = SSHD_HARDENING.trimEnd()
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
  return `#cloud-config
ssh_pwauth: false
disable_root: false
write_files:
  - path: /etc/ssh/sshd_config.d/10-edgelab.conf
    permissions: "0644"
    content: |
${indented}
runcmd:
  - [systemctl, reload, ssh]
`;
}

export interface LabHostsArgs {
  /** What the lab looks like (target, server types, addresses). */
  plan: LabPlan;
  /** The key Pulumi connects with (a secret). Unused by the local target. */
  privateKey?: pulumi.Output<string>;
  /** The Hetzner provider, made with the secret token; required by the hcloud targets. */
  hcloudProvider?: hcloud.Provider;
}

export class LabHosts extends pulumi.ComponentResource {
  readonly sut: LabHost;
  readonly loadgen: LabHost | null;
  /** Hetzner resources this component made (none for static and local). */
  readonly hetznerResources: pulumi.Resource[] = [];

  constructor(name: string, args: LabHostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:LabHosts", name, {}, opts);
    const { plan } = args;
    const c = plan.config;
    if (c.target !== "local" && !args.privateKey) {
      throw new Error(`target ${c.target} needs the ssh private key (edge-lab:sshPrivateKey)`);
    }
    if ((c.target === "hcloud" || c.target === "hcloud-baremetal") && !args.hcloudProvider) {
      throw new Error(`target ${c.target} needs a Hetzner provider (hcloud:token)`);
    }
    const connect = (address: pulumi.Input<string>, host: HostPlan): types.input.remote.ConnectionArgs => ({
      host: address,
      user: host.user,
      port: host.port,
      privateKey: args.privateKey,
      // A new server's sshd may need a minute or two.
      dialErrorLimit: 30,
      perDialTimeout: 10,
    });
    const provided = (host: HostPlan): LabHost => ({
      plan: host,
      address: pulumi.output(host.address as string),
      labAddress: pulumi.output(host.labAddress ?? (host.address as string)),
      connection: connect(host.address as string, host),
      ready: [],
    });

    if (c.target === "local") {
      this.sut = {
        plan: plan.hosts.sut,
        address: pulumi.output("127.0.0.1"),
        labAddress: pulumi.output("127.0.0.1"),
        ready: [],
      };
      this.loadgen = null;
      this.registerOutputs({ sut: this.sut.address });
      return;
    }
    if (c.target === "static") {
      this.sut = provided(plan.hosts.sut);
      this.loadgen = provided(plan.hosts.loadgen as HostPlan);
      this.registerOutputs({ sut: this.sut.address, loadgen: this.loadgen.address });
      return;
    }

    // Hetzner Cloud: one key, one network, one firewall per server, servers in one location.
    const provider = args.hcloudProvider as hcloud.Provider;
    const child = { parent: this, provider };
    const labels = { "edgelab-stack": labelValue(c.stack), "edgelab-run": labelValue(plan.runId) };
    const sshKey = new hcloud.SshKey(`${name}-ssh-key`, { publicKey: c.sshPublicKey as string, labels }, child);
    const zone = LOCATIONS[c.location];
    const vswitch = c.target === "hcloud-baremetal" && c.vswitchId !== undefined;
    const needsNetwork = c.target === "hcloud" || vswitch;
    let network: hcloud.Network | undefined;
    let cloudSubnet: hcloud.NetworkSubnet | undefined;
    if (needsNetwork) {
      network = new hcloud.Network(
        `${name}-network`,
        { ipRange: NETWORK.range, labels, ...(vswitch ? { exposeRoutesToVswitch: true } : {}) },
        child,
      );
      const networkId = network.id.apply(Number);
      cloudSubnet = new hcloud.NetworkSubnet(
        `${name}-subnet`,
        { networkId, type: "cloud", networkZone: zone, ipRange: NETWORK.cloudSubnet },
        child,
      );
      if (vswitch) {
        const vswitchSubnet = new hcloud.NetworkSubnet(
          `${name}-vswitch-subnet`,
          { networkId, type: "vswitch", networkZone: zone, ipRange: c.vswitchSubnet, vswitchId: c.vswitchId },
          child,
        );
        this.hetznerResources.push(vswitchSubnet);
      }
      this.hetznerResources.push(network, cloudSubnet);
    }
    const rules = firewallRules({
      sshAllowedCidrs: c.sshAllowedCidrs ?? [],
      loadgenAddress: NETWORK.loadgenIp,
      ...(c.target === "hcloud-baremetal" && !vswitch ? { sutPublicAddress: c.sut?.address } : {}),
    });
    const server = (role: "sut" | "loadgen", serverType: string, fw: hcloud.Firewall) =>
      new hcloud.Server(
        `${name}-${role}`,
        {
          serverType,
          image: c.image,
          location: c.location,
          sshKeys: [sshKey.id],
          firewallIds: [fw.id.apply(Number)],
          publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
          userData: cloudInit(),
          labels: { ...labels, "edgelab-role": role },
        },
        child,
      );
    const attach = (role: "sut" | "loadgen", srv: hcloud.Server, ip: string) =>
      new hcloud.ServerNetwork(
        `${name}-${role}-network`,
        { serverId: srv.id.apply(Number), subnetId: (cloudSubnet as hcloud.NetworkSubnet).id, ip },
        child,
      );

    const lgFirewall = new hcloud.Firewall(`${name}-loadgen-firewall`, { rules: rules.loadgen, labels }, child);
    const lgServer = server("loadgen", c.loadgenServerType, lgFirewall);
    const lgReady: pulumi.Resource[] = [lgServer];
    if (needsNetwork) lgReady.push(attach("loadgen", lgServer, NETWORK.loadgenIp));
    this.hetznerResources.push(sshKey, lgFirewall, ...lgReady);
    const lgPlan = plan.hosts.loadgen as HostPlan;
    this.loadgen = {
      plan: lgPlan,
      address: lgServer.ipv4Address,
      labAddress: lgPlan.labAddress ? pulumi.output(lgPlan.labAddress) : lgServer.ipv4Address,
      connection: connect(lgServer.ipv4Address, lgPlan),
      ready: lgReady,
    };

    if (c.target === "hcloud") {
      const sutFirewall = new hcloud.Firewall(`${name}-sut-firewall`, { rules: rules.sut, labels }, child);
      const sutServer = server("sut", c.sutServerType, sutFirewall);
      const sutReady: pulumi.Resource[] = [sutServer, attach("sut", sutServer, NETWORK.sutIp)];
      this.hetznerResources.push(sutFirewall, ...sutReady);
      this.sut = {
        plan: plan.hosts.sut,
        address: sutServer.ipv4Address,
        labAddress: pulumi.output(NETWORK.sutIp),
        connection: connect(sutServer.ipv4Address, plan.hosts.sut),
        ready: sutReady,
      };
    } else {
      this.sut = provided(plan.hosts.sut);
    }
    this.registerOutputs({ sut: this.sut.address, loadgen: this.loadgen.address });
  }
}
