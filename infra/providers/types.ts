/**
 * What a host provider is: the module that owns a target's config keys and their validation, its
 * host plan (per pair), its prices, its credentials and the resources that make its hosts. The
 * config parser, the plan and the hosts component dispatch to it and name no provider.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostRoles } from "../bootstrap/types";
import type { LabConfig } from "../config";
import type { ChainStep } from "../hostBootstrap";
import type { LabHost } from "../hostCommand";
import type { Network } from "../network";
import type { LabPlan } from "../stackPlan";
import type { KeyDef } from "./keys";

/** One host of the lab as the scripts see it. */
export interface HostPlan {
  label: "sut" | "loadgen" | "local";
  roles: HostRoles;
  /** Made by the stack (a cloud server), given by the user, or this machine. */
  kind: "cloud" | "provided" | "local";
  user: string;
  port: number;
  /** The address Pulumi connects to, when known now (provided hosts); cloud: the server's public IPv4. */
  address: string | null;
  /**
   * The address the other host reaches this one on (private network, vSwitch, LAN), when known
   * now; null means the public IPv4 of a server the stack creates.
   */
  labAddress: string | null;
  /** The host pair it belongs to (1-based). */
  pair: number;
  /**
   * A provided host's `address` as networks of one (/32, /128), resolved at plan time
   * (providers/addresses.ts): where a firewall must admit the host's connections by address.
   */
  resolved?: readonly Network[];
  /** A provided host's host key as the operator gave it (`ssh-ed25519 AAAA...`). */
  hostKey?: string;
}

export interface PairHosts {
  sut: HostPlan;
  loadgen: HostPlan | null;
}

/** What the plan tells a provider about the run. */
export interface ProviderPlanInput {
  config: LabConfig;
  /** The profile's largest CPU count. */
  minCores: number;
  /** Cells that need KVM (Nanos) and how many there are. */
  kvmCells: number;
  allowEmulation: boolean;
}

export interface ProviderPlan {
  problems: string[];
  warnings: string[];
  /** Hourly price of one pair in EUR (0 for hosts you own; null when a price is unknown). */
  pairEurPerHour: number | null;
  /** When the prices were read, and where (docs/pulumi-lab.md and `pricesAsOf`). */
  pricesAsOf: string | null;
  /** The SUTs have KVM (false: cells that need it are recorded as skipped, not failed). */
  kvm: boolean;
  /** The load generator's cores where the provider knows them (its server type), else null. */
  loadgenCores: number | null;
  /** What the preview says besides warnings (e.g. the OS the servers get). */
  notes: string[];
}

/** The hosts of one pair as the components see them. */
export interface PairOfHosts {
  sut: LabHost;
  loadgen: LabHost | null;
}

/** The stack's own ssh key pair (infra/hosts.ts), installed on every server the stack makes. */
export interface StackKey {
  /** OpenSSH private key, a secret. */
  privateKey: pulumi.Output<string>;
  /** `ssh-ed25519 AAAA...`. */
  publicKey: pulumi.Output<string>;
}

export interface CreateHostsArgs {
  plan: LabPlan;
  /** The stack's own key: what it connects to the servers it makes with. */
  stackKey?: StackKey;
  /** The operator's key (a secret): what it connects to the operator's own servers with. */
  operatorKey?: pulumi.Output<string>;
  /** The provider's credentials (secrets), as `credentials` read them. */
  credentials: Record<string, pulumi.Output<string>>;
  /** Resources are children of this component. */
  parent: pulumi.ComponentResource;
}

export interface HostProvider {
  target: string;
  /** One line for the docs and error messages. */
  description: string;
  /** The provider's own `edge-lab:*` keys (beyond the ones every target has). */
  keys: Readonly<Record<string, KeyDef>>;
  /** Reached over ssh (false: this machine, local commands only). */
  remote: boolean;
  /** How many host pairs one stack can stand up. */
  maxPairs: number;
  /** Problems no single key shows: missing keys, bad combinations. */
  configProblems(raw: Record<string, unknown>, config: LabConfig): string[];
  /** The hosts of pair `pair` (1-based). */
  pairHosts(config: LabConfig, pair: number): PairHosts;
  /** Checks against the profile, warnings, prices. */
  plan(input: ProviderPlanInput): ProviderPlan;
  /** Read the provider's credentials as secrets (throws a ConfigError naming what is missing). */
  credentials(stack: string, config: LabConfig): Record<string, pulumi.Output<string>>;
  /** Config keys holding credentials that must be stored as secrets. */
  secretKeys: readonly string[];
  /**
   * The provided hosts whose own address a firewall of this provider admits (their `address` is
   * resolved at plan time into `HostPlan.resolved`, providers/addresses.ts); none when absent.
   */
  admitsByAddress?(config: LabConfig): readonly ("sut" | "loadgen")[];
  /** Make the hosts of every pair. */
  createHosts(name: string, args: CreateHostsArgs): PairOfHosts[];
}

/** Steps a provider needs on a host before the bootstrap (its private link, its host firewall). */
export type PrepareSteps = ChainStep[];
