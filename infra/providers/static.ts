/** Target `static`: two machines you have (one pair). No cloud resource; the hosts are lent to the lab. */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../core/config/errors";
import { providedHost, providedHostPlan } from "./common";
import {
  BUNDLE_KEYS,
  firstUseWarnings,
  type HostConfig,
  HostSchema,
  type KeyDef,
  missingKeys,
  missingOperatorKey,
  OPERATOR_KEY,
} from "./keys";
import type { HostProvider } from "./types";

export const STATIC_KEYS = {
  ...BUNDLE_KEYS,
  ...OPERATOR_KEY,
  sut: { kind: "json", schema: HostSchema.optional() },
  loadgen: { kind: "json", schema: HostSchema.optional() },
} as const satisfies Record<string, KeyDef>;

export const staticProvider: HostProvider = {
  target: "static",
  description: "two machines you have (one pair)",
  keys: STATIC_KEYS,
  remote: true,
  maxPairs: 1,
  secretKeys: [],
  configProblems(raw, c) {
    return [
      ...missingKeys(raw, c.target, {
        sut: "the system under test: {address, privateAddress?, user, hostKey?}",
        loadgen: "the load generator: {address, privateAddress?, user, hostKey?}",
      }),
      ...missingOperatorKey(raw, c.target),
    ];
  },
  pairHosts(c, pair) {
    return {
      sut: providedHostPlan("sut", c.sut as HostConfig, pair),
      loadgen: providedHostPlan("loadgen", c.loadgen as HostConfig, pair),
    };
  },
  plan({ config }) {
    return {
      problems: [],
      warnings: firstUseWarnings({ sut: config.sut, loadgen: config.loadgen }),
      pairEurPerHour: 0,
      pricesAsOf: null,
      kvm: true,
      loadgenCores: null,
      notes: ["your two machines must run Ubuntu 24.04 (the paper's OS)"],
    };
  },
  credentials() {
    return {};
  },
  createHosts(_name, { plan, operatorKey }) {
    return plan.pairs.map((pair) => ({
      sut: providedHost(pair.hosts.sut, operatorKey),
      loadgen: pair.hosts.loadgen ? providedHost(pair.hosts.loadgen, operatorKey) : null,
    }));
  },
};

/** Target `local`: this machine is both hosts; local commands only. */
export const localProvider: HostProvider = {
  target: "local",
  description: "this machine is both hosts (no cloud, no ssh)",
  keys: {},
  remote: false,
  maxPairs: 1,
  secretKeys: [],
  configProblems() {
    return [];
  },
  pairHosts(_c, pair) {
    return {
      sut: {
        label: "local",
        roles: { sut: true, loadgen: true },
        kind: "local",
        user: "",
        port: 0,
        address: null,
        labAddress: "127.0.0.1",
        pair,
      },
      loadgen: null,
    };
  },
  plan() {
    return {
      problems: [],
      warnings: [],
      pairEurPerHour: 0,
      pricesAsOf: null,
      kvm: true,
      loadgenCores: null,
      notes: [],
    };
  },
  credentials() {
    return {};
  },
  createHosts(_name, { plan }) {
    const pair = plan.pairs[0];
    if (!pair) throw new ConfigError(`stack ${plan.config.stack}`, ["no host pair planned"]);
    return [
      {
        sut: {
          plan: pair.hosts.sut,
          address: pulumi.output("127.0.0.1"),
          labAddress: pulumi.output("127.0.0.1"),
          ready: [],
        },
        loadgen: null,
      },
    ];
  },
};
