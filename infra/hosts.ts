/**
 * The hosts of every pair, made by the stack's host provider (infra/providers/): this component
 * names no provider; it hands the plan and the secrets to the one the target names.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LabHost } from "./hostCommand";
import { providerOf } from "./providers";
import type { PairOfHosts } from "./providers/types";
import type { LabPlan } from "./stackPlan";

export interface LabHostsArgs {
  /** What the lab looks like (target, pairs, server types, addresses). */
  plan: LabPlan;
  /** The key Pulumi connects with (a secret). Unused by the local target. */
  privateKey?: pulumi.Output<string>;
  /** The provider's credentials (secrets), as its `credentials` read them. */
  credentials: Record<string, pulumi.Output<string>>;
}

export class LabHosts extends pulumi.ComponentResource {
  readonly pairs: PairOfHosts[];
  /** The first pair's hosts. */
  readonly sut: LabHost;
  readonly loadgen: LabHost | null;

  constructor(name: string, args: LabHostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:LabHosts", name, {}, opts);
    const provider = providerOf(args.plan.config.target);
    if (provider.remote && !args.privateKey) {
      throw new Error(`target ${provider.target} needs the ssh private key (edge-lab:sshPrivateKey)`);
    }
    this.pairs = provider.createHosts(name, {
      plan: args.plan,
      ...(args.privateKey ? { privateKey: args.privateKey } : {}),
      credentials: args.credentials,
      parent: this,
    });
    const first = this.pairs[0];
    if (!first) throw new Error(`target ${provider.target} made no host pair`);
    this.sut = first.sut;
    this.loadgen = first.loadgen;
    this.registerOutputs({ sut: this.sut.address, loadgen: this.loadgen?.address ?? null });
  }
}
