/**
 * The hosts of every pair, made by the stack's host provider (infra/providers/): this component
 * names no provider; it hands the plan, the keys and the secrets to the one the target names. The
 * servers a stack makes get a key pair of the stack's own (@pulumi/tls, a secret in the stack's
 * state); the operator's own servers are reached with the operator's key.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { LabHost } from "./hostCommand";
import { providerOf } from "./providers";
import type { PairOfHosts, StackKey } from "./providers/types";
import type { LabPlan } from "./stackPlan";

export interface LabHostsArgs {
  /** What the lab looks like (target, pairs, server types, addresses). */
  plan: LabPlan;
  /** The operator's key (a secret), for targets that reach the operator's own servers. */
  operatorKey?: pulumi.Output<string>;
  /** The provider's credentials (secrets), as its `credentials` read them. */
  credentials: Record<string, pulumi.Output<string>>;
}

/** Whether the stack makes servers (then it makes their key too). */
function makesServers(plan: LabPlan): boolean {
  return plan.pairs.some((p) => p.hosts.sut.kind === "cloud" || p.hosts.loadgen?.kind === "cloud");
}

export class LabHosts extends pulumi.ComponentResource {
  readonly pairs: PairOfHosts[];
  /** The first pair's hosts. */
  readonly sut: LabHost;
  readonly loadgen: LabHost | null;
  /** The public half of the stack's own key (null: the stack makes no server). */
  readonly stackPublicKey: pulumi.Output<string> | null;

  constructor(name: string, args: LabHostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:LabHosts", name, {}, opts);
    const provider = providerOf(args.plan.config.target);
    const provided = args.plan.pairs.some(
      (p) => p.hosts.sut.kind === "provided" || p.hosts.loadgen?.kind === "provided",
    );
    if (provided && !args.operatorKey) {
      throw new Error(`target ${provider.target} reaches your own servers: it needs your key (edge-lab:sshPrivateKey)`);
    }
    const stackKey = makesServers(args.plan) ? this.stackKey(name) : undefined;
    this.stackPublicKey = stackKey?.publicKey ?? null;
    this.pairs = provider.createHosts(name, {
      plan: args.plan,
      ...(stackKey ? { stackKey } : {}),
      ...(args.operatorKey ? { operatorKey: args.operatorKey } : {}),
      credentials: args.credentials,
      parent: this,
    });
    const first = this.pairs[0];
    if (!first) throw new Error(`target ${provider.target} made no host pair`);
    this.sut = first.sut;
    this.loadgen = first.loadgen;
    this.registerOutputs({ sut: this.sut.address, loadgen: this.loadgen?.address ?? null });
  }

  /** The stack's own ed25519 key pair: its private half only ever a secret. */
  private stackKey(name: string): StackKey {
    const key = new tls.PrivateKey(`${name}-lab-key`, { algorithm: "ED25519" }, { parent: this });
    return { privateKey: pulumi.secret(key.privateKeyOpenssh), publicKey: key.publicKeyOpenssh.apply((k) => k.trim()) };
  }
}
