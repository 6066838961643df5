/**
 * Target `scaleway`: per pair an hourly Elastic Metal server with Ubuntu 24.04 as the SUT (bare
 * metal: KVM, so the Nanos cells run) and a load generator that is an Elastic Metal server or an
 * instance, all on one private network at fixed addresses (IPAM). Elastic Metal has no provider
 * firewall: the lab's rules are enforced on those hosts by nftables (infra/bootstrap/network.ts);
 * an instance load generator gets a security group with the same rules. `pulumi destroy`
 * releases the servers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as scaleway from "@pulumiverse/scaleway";
import { z } from "zod";
import { ConfigError } from "../../core/config/errors";
import { hostFirewallStep, privateLinkStep } from "../bootstrap/network";
import type { LabHost } from "../hostCommand";
import { hostNetwork } from "../network";
import { roundEur } from "../pricing";
import {
  cloudHost,
  cloudHostPlan,
  cloudInit,
  type FirewallRule,
  firewallRules,
  labelValue,
  NETWORK,
  pairAddresses,
  pairPrefix,
  serverHostKey,
} from "./common";
import { BUNDLE_KEYS, CLOUD_KEYS, type KeyDef, keyName, missingKeys, sshSources, sshSourceWarnings } from "./keys";
import { credentialText, TOKEN_SHAPES, tokenProblem } from "./tokens";
import type { HostPlan, HostProvider } from "./types";

/** The OS every Scaleway host gets: the paper's Ubuntu 24.04. */
export const SCALEWAY_OS = { name: "Ubuntu", version: "24.04 LTS (Noble Numbat)", instanceImage: "ubuntu_noble" };
/** The prefix of the lab's private network (the pair addresses lie in it). */
export const PRIVATE_PREFIX_LENGTH = 16;

export const LOADGEN_KINDS = ["elasticmetal", "instance"] as const;

/**
 * Hourly prices (EUR excl. VAT) as Scaleway published them with the offers: EM-B112X-SSD and
 * EM-B212X-SSD on 7 Dec 2023 (scaleway/docs-content, changelog/december2023/
 * 2023-12-07-elastic-metal-added-beryllium-offers-b112x-and-b212x-av.mdx; Scaleway removed the
 * prices from that page on 26 Mar 2025 in favour of scaleway.com/en/pricing/elastic-metal). No
 * dated hourly price was found for other offers or for instances: those estimate as unknown.
 */
export const SCALEWAY_PRICES_AS_OF = "2023-12-07";
export const ELASTIC_METAL_OFFERS: Readonly<Record<string, { threads: number; memoryGB: number; eurPerHour: number }>> =
  {
    "EM-B112X-SSD": { threads: 12, memoryGB: 192, eurPerHour: 0.263 },
    "EM-B212X-SSD": { threads: 16, memoryGB: 256, eurPerHour: 0.321 },
  };

const offer = z.string().regex(/^EM-[A-Z0-9]+-[A-Z0-9]+$/, "expected an Elastic Metal offer like EM-B112X-SSD");

export const SCALEWAY_KEYS = {
  ...BUNDLE_KEYS,
  ...CLOUD_KEYS,
  zone: {
    kind: "string",
    schema: z
      .string()
      .regex(/^(fr-par|nl-ams|pl-waw)-[1-3]$/, "expected a Scaleway zone like nl-ams-1 or fr-par-2")
      .default("nl-ams-1"),
  },
  sutOffer: { kind: "string", schema: offer.default("EM-B112X-SSD") },
  loadgenKind: { kind: "string", schema: z.enum(LOADGEN_KINDS).default("elasticmetal") },
  loadgenOffer: { kind: "string", schema: offer.default("EM-B112X-SSD") },
  loadgenInstanceType: {
    kind: "string",
    schema: z
      .string()
      .regex(/^[A-Z0-9]+(-[A-Z0-9]+)+$/, "expected a Scaleway instance type like POP2-4C-16G")
      .default("POP2-4C-16G"),
  },
} as const satisfies Record<string, KeyDef>;

/** The region of a zone (private networks are regional). */
export function regionOf(zone: string): string {
  return zone.replace(/-\d+$/, "");
}

/** A Scaleway credential as a secret: from `scaleway:<key>` or the environment. */
function secretSetting(key: string, env: string): pulumi.Output<string> | undefined {
  const fromConfig = new pulumi.Config("scaleway").getSecret(key);
  if (fromConfig) return fromConfig;
  const fromEnv = process.env[env];
  return fromEnv ? pulumi.secret(fromEnv) : undefined;
}

export const scalewayProvider: HostProvider = {
  target: "scaleway",
  description:
    "Scaleway Elastic Metal (bare metal, KVM) SUT per pair beside an Elastic Metal or instance load generator, on a private network",
  keys: SCALEWAY_KEYS,
  remote: true,
  maxPairs: 10,
  secretKeys: ["scaleway:secretKey"],
  configProblems(raw, c) {
    const problems = [
      ...missingKeys(raw, c.target, {
        sshAllowedCidrs: "SSH is opened only to these networks, on the hosts' own firewall",
      }),
    ];
    if (c.loadgenKind === "instance" && raw.loadgenOffer !== undefined) {
      problems.push(
        `${keyName("loadgenOffer")} is set but ${keyName("loadgenKind")} = "instance" (it uses ${keyName("loadgenInstanceType")})`,
      );
    }
    if (c.loadgenKind === "elasticmetal" && raw.loadgenInstanceType !== undefined) {
      problems.push(
        `${keyName("loadgenInstanceType")} is set but ${keyName("loadgenKind")} = "elasticmetal" (it uses ${keyName("loadgenOffer")}); set loadgenKind: instance`,
      );
    }
    return problems;
  },
  pairHosts(_c, pair) {
    const ip = pairAddresses(pair);
    return { sut: cloudHostPlan("sut", ip.sut, pair), loadgen: cloudHostPlan("loadgen", ip.loadgen, pair) };
  },
  plan({ config, minCores }) {
    const problems: string[] = [];
    const warnings: string[] = sshSourceWarnings(config.sshAllowedCidrs);
    const sut = ELASTIC_METAL_OFFERS[config.sutOffer];
    if (sut && sut.threads < minCores) {
      problems.push(
        `${keyName("sutOffer")} = "${config.sutOffer}" has ${sut.threads} threads; profile ${config.profile} runs scenarios with ${minCores} CPUs: use ${Object.keys(ELASTIC_METAL_OFFERS).join(" or ")}`,
      );
    }
    const lg = config.loadgenKind === "elasticmetal" ? ELASTIC_METAL_OFFERS[config.loadgenOffer] : undefined;
    const unknown = [
      ...(sut ? [] : [config.sutOffer]),
      ...(config.loadgenKind === "elasticmetal" ? (lg ? [] : [config.loadgenOffer]) : [config.loadgenInstanceType]),
    ];
    if (unknown.length > 0) {
      warnings.push(
        `no dated hourly price for ${unknown.join(", ")} in infra/providers/scaleway.ts: the cost estimate is unknown (check scaleway.com/en/pricing before a long run)`,
      );
    }
    return {
      problems,
      warnings,
      pairEurPerHour: sut && lg ? roundEur(sut.eurPerHour + lg.eurPerHour) : null,
      pricesAsOf: SCALEWAY_PRICES_AS_OF,
      kvm: true,
      loadgenCores: lg?.threads ?? null,
      notes: [`the servers run ${SCALEWAY_OS.name} ${SCALEWAY_OS.version}, the paper's OS`],
    };
  },
  credentials(stack) {
    const secretKey = secretSetting("secretKey", "SCW_SECRET_KEY");
    const accessKey = secretSetting("accessKey", "SCW_ACCESS_KEY");
    const projectId = new pulumi.Config("scaleway").get("projectId") ?? process.env.SCW_DEFAULT_PROJECT_ID;
    const missing = [
      ...(accessKey ? [] : ["scaleway:accessKey (or SCW_ACCESS_KEY)"]),
      ...(secretKey ? [] : ["scaleway:secretKey (a secret; or SCW_SECRET_KEY)"]),
      ...(projectId ? [] : ["scaleway:projectId (or SCW_DEFAULT_PROJECT_ID)"]),
    ];
    const shapes = [
      ["scaleway:accessKey", "SCW_ACCESS_KEY", TOKEN_SHAPES.scalewayAccessKey],
      ["scaleway:secretKey", "SCW_SECRET_KEY", TOKEN_SHAPES.scalewaySecretKey],
      ["scaleway:projectId", "SCW_DEFAULT_PROJECT_ID", TOKEN_SHAPES.scalewayProjectId],
    ] as const;
    const problems = [
      ...missing.map((m) => `${m} is missing: target scaleway creates Elastic Metal servers with your API key`),
      ...shapes.flatMap(([key, env, shape]) => {
        const text = credentialText(key, env);
        const problem = text ? tokenProblem(text.source, text.value, shape) : null;
        return problem ? [problem] : [];
      }),
    ];
    if (problems.length > 0) throw new ConfigError(`stack ${stack} (Pulumi.${stack}.yaml)`, problems);
    return {
      accessKey: accessKey as pulumi.Output<string>,
      secretKey: secretKey as pulumi.Output<string>,
      projectId: pulumi.output(projectId as string),
    };
  },
  createHosts(name, { plan, stackKey, credentials, parent }) {
    if (!stackKey) throw new Error("target scaleway makes servers: it needs the stack's key");
    const c = plan.config;
    const zone = c.zone;
    const provider = new scaleway.Provider(
      `${name}-scaleway`,
      {
        accessKey: credentials.accessKey,
        secretKey: credentials.secretKey,
        projectId: credentials.projectId,
        zone,
        region: regionOf(zone),
      },
      { parent },
    );
    const child = { parent, provider };
    const invoke = { parent, provider };
    const tags = [`edgelab-stack=${labelValue(c.stack)}`, `edgelab-run=${labelValue(plan.runId)}`];
    // Elastic Metal installs keys of the project: the stack's own, and the operator's for their own logins.
    const sshKeys = [
      new scaleway.iam.SshKey(
        `${name}-ssh-key`,
        { name: `edgelab-${labelValue(c.stack)}`, publicKey: stackKey.publicKey },
        child,
      ),
      ...(c.sshPublicKey
        ? [
            new scaleway.iam.SshKey(
              `${name}-operator-ssh-key`,
              { name: `edgelab-${labelValue(c.stack)}-operator`, publicKey: c.sshPublicKey },
              child,
            ),
          ]
        : []),
    ];
    const network = new scaleway.network.PrivateNetwork(
      `${name}-network`,
      {
        name: `edgelab-${labelValue(c.stack)}`,
        region: regionOf(zone),
        ipv4Subnet: { subnet: NETWORK.range },
        tags,
      },
      child,
    );
    const os = scaleway.elasticmetal.getOsOutput(
      { zone, name: SCALEWAY_OS.name, version: SCALEWAY_OS.version },
      invoke,
    );
    const privateNetworkOption = scaleway.elasticmetal.getOptionOutput({ zone, name: "Private Network" }, invoke);
    const offerId = (offerName: string) =>
      scaleway.elasticmetal
        .getOfferOutput({ zone, name: offerName, subscriptionPeriod: "hourly" }, invoke)
        .apply((o) => o.offerId ?? "");

    /** A fixed address on the private network (IPAM), so the plan knows it before the server exists. */
    const fixedIp = (prefix: string, role: string, address: string) =>
      new scaleway.ipam.Ip(
        `${prefix}-${role}-ip`,
        { address, region: regionOf(zone), sources: [{ privateNetworkId: network.id }], tags },
        child,
      );

    const elasticMetal = (prefix: string, host: HostPlan, offerName: string, rules: FirewallRule[]): LabHost => {
      const role = host.label;
      const address = host.labAddress as string;
      const ip = fixedIp(prefix, role, address);
      const hostKey = serverHostKey(`${prefix}-${role}-host-key`, parent);
      const server = new scaleway.elasticmetal.Server(
        `${prefix}-${role}`,
        {
          zone,
          offer: offerId(offerName),
          os: os.apply((o) => o.osId ?? ""),
          sshKeyIds: sshKeys.map((k) => k.id),
          hostname: `edgelab-${role}${host.pair > 1 ? `-p${host.pair}` : ""}`,
          cloudInit: cloudInit(hostKey),
          options: [{ id: privateNetworkOption.apply((o) => o.optionId ?? "") }],
          privateNetworks: [{ id: network.id, ipamIpIds: [ip.id] }],
          tags: [...tags, `edgelab-role=${role}`, `edgelab-pair=${host.pair}`],
        },
        child,
      );
      const publicAddress = server.ipv4s.apply((ips) => ips[0]?.address ?? "");
      const vlan = server.privateNetworks.apply((pns) => pns?.[0]?.vlan);
      return {
        ...cloudHost(host, publicAddress, pulumi.output(address), { stackKey, hostKey }, [server]),
        prepare: [
          {
            id: "private-link",
            script: vlan.apply((v) =>
              privateLinkStep(role, { vlan: Number(v), address, prefixLength: PRIVATE_PREFIX_LENGTH }),
            ),
          },
          { id: "host-firewall", script: hostFirewallStep(role, rules) },
        ],
      };
    };

    const instance = (prefix: string, host: HostPlan, rules: FirewallRule[]): LabHost => {
      const role = host.label;
      const address = host.labAddress as string;
      const ip = fixedIp(prefix, role, address);
      const publicIp = new scaleway.instance.Ip(`${prefix}-${role}-public-ip`, { zone, tags }, child);
      const hostKey = serverHostKey(`${prefix}-${role}-host-key`, parent);
      const group = new scaleway.instance.SecurityGroup(
        `${prefix}-${role}-security-group`,
        {
          zone,
          inboundDefaultPolicy: "drop",
          outboundDefaultPolicy: "accept",
          inboundRules: rules.flatMap((r) =>
            r.sourceIps.map((source) => ({
              action: "accept",
              protocol: "TCP",
              ...(r.port.includes("-") ? { portRange: r.port } : { port: Number(r.port) }),
              ipRange: source,
            })),
          ),
          tags,
        },
        child,
      );
      const server = new scaleway.instance.Server(
        `${prefix}-${role}`,
        {
          zone,
          type: c.loadgenInstanceType,
          image: SCALEWAY_OS.instanceImage,
          ipId: publicIp.id,
          securityGroupId: group.id,
          cloudInit: cloudInit(hostKey),
          tags: [...tags, `edgelab-role=${role}`, `edgelab-pair=${host.pair}`],
        },
        child,
      );
      const nic = new scaleway.instance.PrivateNic(
        `${prefix}-${role}-private-nic`,
        { zone, serverId: server.id, privateNetworkId: network.id, ipamIpIds: [ip.id] },
        child,
      );
      return cloudHost(host, publicIp.address, pulumi.output(address), { stackKey, hostKey }, [server, nic]);
    };

    return plan.pairs.map((pair) => {
      const prefix = pairPrefix(name, pair.index, plan.pairs.length);
      const ip = pairAddresses(pair.index);
      // The SUT's runner reaches the load generator's sshd over the private network.
      const rules = firewallRules({
        sshAllowed: sshSources(c.sshAllowedCidrs),
        loadgen: [hostNetwork(ip.loadgen)],
        sut: [hostNetwork(ip.sut)],
      });
      const lgPlan = pair.hosts.loadgen;
      if (!lgPlan) throw new Error("scaleway pairs have a load generator");
      const loadgen =
        c.loadgenKind === "instance"
          ? instance(prefix, lgPlan, rules.loadgen)
          : elasticMetal(prefix, lgPlan, c.loadgenOffer, rules.loadgen);
      const sut = elasticMetal(prefix, pair.hosts.sut, c.sutOffer, rules.sut);
      return { sut, loadgen };
    });
  },
};
