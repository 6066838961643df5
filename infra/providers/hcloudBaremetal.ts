/**
 * Target `hcloud-baremetal`: the user's dedicated server (KVM) as the SUT beside a Hetzner Cloud
 * load generator, joined through a Robot vSwitch subnet when one is given. One pair: the SUT is
 * the user's.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { hostNetwork, type Network } from "../network";
import { cloudHostPlan, firewallRules, NETWORK, providedHost, providedHostPlan } from "./common";
import { hourlyCostEur, PRICES_AS_OF, SERVER_TYPES } from "./hcloudPricing";
import { HETZNER_KEYS, HetznerBase, hetznerCredentials, LOCATIONS } from "./hetzner";
import {
  cidr,
  firstUseWarnings,
  type HostConfig,
  HostSchema,
  ipInCidr,
  type KeyDef,
  keyName,
  missingKeys,
  missingOperatorKey,
  OPERATOR_KEY,
  sshSources,
  sshSourceWarnings,
} from "./keys";
import type { HostPlan, HostProvider } from "./types";

export const BAREMETAL_KEYS = {
  ...HETZNER_KEYS,
  ...OPERATOR_KEY,
  sut: { kind: "json", schema: HostSchema.optional() },
  vswitchId: {
    kind: "number",
    schema: z.number().int().positive("expected the numeric id of a Robot vSwitch").optional(),
  },
  vswitchSubnet: { kind: "string", schema: cidr.default(NETWORK.defaultVswitchSubnet) },
} as const satisfies Record<string, KeyDef>;

/** A provided host's addresses: resolved at plan time, or its address when that is one. */
function addressesOf(host: HostPlan): readonly Network[] {
  if (host.resolved) return host.resolved;
  if (host.address !== null && isIP(host.address) !== 0) return [hostNetwork(host.address)];
  throw new Error(
    `${keyName(host.label)}.address ${JSON.stringify(host.address)} was not resolved before the hosts were made (providers/addresses.ts resolveHostAddresses)`,
  );
}

export const hcloudBaremetalProvider: HostProvider = {
  target: "hcloud-baremetal",
  description: "your dedicated server (KVM) as the SUT beside a Hetzner Cloud load generator",
  keys: BAREMETAL_KEYS,
  remote: true,
  maxPairs: 1,
  secretKeys: ["hcloud:token"],
  configProblems(raw, c) {
    const problems = [
      ...missingKeys(raw, c.target, {
        sshAllowedCidrs: "SSH is opened only to these networks",
        sut: "your bare-metal system under test: {address, privateAddress?, user, hostKey?}",
      }),
      ...missingOperatorKey(raw, c.target),
    ];
    if (c.vswitchId !== undefined) {
      if (LOCATIONS[c.location] !== "eu-central") {
        problems.push(
          `${keyName("vswitchId")}: a vSwitch joins Hetzner Cloud networks in network zone eu-central only; ${keyName("location")} = "${c.location}" is in ${LOCATIONS[c.location]} (use fsn1, nbg1 or hel1)`,
        );
      }
      if (!c.sut?.privateAddress) {
        problems.push(
          `${keyName("sut")}.privateAddress is missing: with a vSwitch it is the SUT's address on the vSwitch VLAN`,
        );
      } else if (!ipInCidr(c.sut.privateAddress, c.vswitchSubnet)) {
        problems.push(
          `${keyName("sut")}.privateAddress = "${c.sut.privateAddress}" is not in ${keyName("vswitchSubnet")} = "${c.vswitchSubnet}"`,
        );
      }
      if (
        ipInCidr(NETWORK.loadgenIp, c.vswitchSubnet) ||
        !ipInCidr(c.vswitchSubnet.split("/")[0] ?? "", NETWORK.range)
      ) {
        problems.push(
          `${keyName("vswitchSubnet")} = "${c.vswitchSubnet}" must lie inside the lab network ${NETWORK.range} and outside its cloud subnet ${NETWORK.cloudSubnet}`,
        );
      }
    } else if (raw.vswitchSubnet !== undefined) {
      problems.push(`${keyName("vswitchSubnet")} is set without ${keyName("vswitchId")}`);
    }
    return problems;
  },
  pairHosts(c, pair) {
    return {
      sut: providedHostPlan("sut", c.sut as HostConfig, pair),
      loadgen: cloudHostPlan("loadgen", c.vswitchId !== undefined ? NETWORK.loadgenIp : null, pair),
    };
  },
  plan({ config }) {
    const warnings: string[] = [...sshSourceWarnings(config.sshAllowedCidrs), ...firstUseWarnings({ sut: config.sut })];
    if (config.vswitchId === undefined) {
      warnings.push(
        `no ${keyName("vswitchId")}: the load generator reaches your SUT on its public address ${config.sut?.address}, and the instances listen there during the cells; join both with a vSwitch (or firewall the SUT) to keep them private`,
      );
    }
    return {
      problems: [],
      warnings,
      pairEurPerHour: hourlyCostEur([config.loadgenServerType]),
      pricesAsOf: PRICES_AS_OF,
      kvm: true,
      loadgenCores: SERVER_TYPES[config.loadgenServerType]?.cores ?? null,
      notes: [
        `your SUT ${config.sut?.address} must run Ubuntu 24.04 (the paper's OS); the load generator runs Hetzner's image ${config.image}`,
      ],
    };
  },
  credentials: hetznerCredentials,
  // Without a vSwitch the load generator's firewall admits the SUT's runner by the SUT's address.
  admitsByAddress: (c) => (c.vswitchId === undefined ? ["sut"] : []),
  createHosts(name, { plan, stackKey, operatorKey, credentials, parent }) {
    const c = plan.config;
    const vswitch = c.vswitchId !== undefined ? { id: c.vswitchId, subnet: c.vswitchSubnet } : null;
    const access = { token: credentials.token, stackKey };
    const base = new HetznerBase(name, c, plan.runId, access, parent, vswitch ? { vswitch } : null);
    const pair = plan.pairs[0];
    if (!pair?.hosts.loadgen) throw new Error("hcloud-baremetal has one pair with a load generator");
    // Without a vSwitch the SUT's runner reaches the load generator's sshd over the internet:
    // admit the SUT's own addresses, resolved at plan time (a host name is no firewall source).
    const rules = firewallRules({
      sshAllowed: sshSources(c.sshAllowedCidrs),
      loadgen: [hostNetwork(NETWORK.loadgenIp)],
      ...(vswitch ? {} : { sut: addressesOf(pair.hosts.sut) }),
    });
    const loadgen = base.server(
      name,
      c,
      pair.hosts.loadgen,
      c.loadgenServerType,
      rules.loadgen,
      vswitch ? NETWORK.loadgenIp : null,
      parent,
    );
    return [{ sut: providedHost(pair.hosts.sut, operatorKey), loadgen }];
  },
};
