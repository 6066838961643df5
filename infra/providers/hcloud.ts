/**
 * Target `hcloud`: two Hetzner Cloud servers per pair in one location, on one private network, SSH
 * open only to the operator's networks and the app ports only to the pair's load generator.
 * Hetzner Cloud has no KVM: Nanos cells are recorded as skipped (or run emulated when allowed).
 */

import { hostNetwork } from "../network";
import { cloudHostPlan, firewallRules, pairAddresses, pairPrefix } from "./common";
import { hourlyCostEur, PRICES_AS_OF, SERVER_TYPES } from "./hcloudPricing";
import { HETZNER_KEYS, HetznerBase, hetznerCredentials, SUT_SERVER_TYPE_KEY } from "./hetzner";
import { keyName, missingKeys, sshSources, sshSourceWarnings } from "./keys";
import type { HostProvider } from "./types";

export const HCLOUD_KEYS = { ...HETZNER_KEYS, sutServerType: SUT_SERVER_TYPE_KEY } as const;

export const hcloudProvider: HostProvider = {
  target: "hcloud",
  description: "two Hetzner Cloud servers per pair on a private network (no KVM: Nanos cells are skipped)",
  keys: HCLOUD_KEYS,
  remote: true,
  maxPairs: 10,
  secretKeys: ["hcloud:token"],
  configProblems(raw, c) {
    return [...missingKeys(raw, c.target, { sshAllowedCidrs: "SSH is opened only to these networks" })];
  },
  pairHosts(_c, pair) {
    const ip = pairAddresses(pair);
    return { sut: cloudHostPlan("sut", ip.sut, pair), loadgen: cloudHostPlan("loadgen", ip.loadgen, pair) };
  },
  plan({ config, minCores, kvmCells, allowEmulation }) {
    const problems: string[] = [];
    const warnings: string[] = sshSourceWarnings(config.sshAllowedCidrs);
    const sutType = SERVER_TYPES[config.sutServerType];
    if (sutType && sutType.cores < minCores) {
      const bigEnough = Object.entries(SERVER_TYPES)
        .filter(([name, t]) => name.startsWith("ccx") && t.cores >= minCores)
        .map(([name]) => name);
      problems.push(
        `${keyName("sutServerType")} = "${config.sutServerType}" has ${sutType.cores} CPUs; profile ${config.profile} runs scenarios with ${minCores}: use ${bigEnough.slice(0, 2).join(" or ")}, or a profile with fewer CPUs`,
      );
    }
    if (sutType && !sutType.dedicated) {
      warnings.push(
        `${keyName("sutServerType")} = "${config.sutServerType}" has shared vCPUs: neighbours add noise to every measurement (ccx types are dedicated)`,
      );
    }
    if (kvmCells > 0 && !allowEmulation) {
      warnings.push(
        `Hetzner Cloud servers have no KVM: the ${kvmCells} nanos cells will be recorded as skipped; use target scaleway (bare metal) or hcloud-baremetal for them, or set ${keyName("allowEmulation")} true (TCG, results marked emulated)`,
      );
    }
    return {
      problems,
      warnings,
      pairEurPerHour: hourlyCostEur([config.sutServerType, config.loadgenServerType]),
      pricesAsOf: PRICES_AS_OF,
      kvm: false,
      loadgenCores: SERVER_TYPES[config.loadgenServerType]?.cores ?? null,
      notes: [`the servers run Hetzner's image ${config.image}`],
    };
  },
  credentials: hetznerCredentials,
  createHosts(name, { plan, stackKey, credentials, parent }) {
    const c = plan.config;
    const base = new HetznerBase(name, c, plan.runId, { token: credentials.token, stackKey }, parent, {
      vswitch: null,
    });
    return plan.pairs.map((pair) => {
      const prefix = pairPrefix(name, pair.index, plan.pairs.length);
      const ip = pairAddresses(pair.index);
      const rules = firewallRules({ sshAllowed: sshSources(c.sshAllowedCidrs), loadgen: [hostNetwork(ip.loadgen)] });
      const loadgenPlan = pair.hosts.loadgen;
      if (!loadgenPlan) throw new Error("hcloud pairs have a load generator");
      const loadgen = base.server(prefix, c, loadgenPlan, c.loadgenServerType, rules.loadgen, ip.loadgen, parent);
      const sut = base.server(prefix, c, pair.hosts.sut, c.sutServerType, rules.sut, ip.sut, parent);
      return { sut, loadgen };
    });
  },
};
