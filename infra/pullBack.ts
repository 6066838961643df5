/**
 * After the last cell: the SUT writes its run folder's checksum manifest, then the folder is
 * copied into the same place in the operator's checkout (the layout the local runner writes),
 * checked against that manifest on arrival, and the cells counted by status.
 */
import { local } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { hostCommand, type LabHost } from "./hostCommand";
import { knownHostsLine } from "./sshKeys";
import type { LabPlan, PairPlan } from "./stackPlan";
import { parseJsonLine } from "./sutArtifacts";
import { localSummaryScript, manifestScript, pullBackScript, summaryScript } from "./sweepScripts";

export interface PullBackArgs {
  plan: LabPlan;
  /** The pair whose SUT is pulled (its cells and its calibration run). */
  pair: PairPlan;
  /** The SUT: its key (a secret) goes in the environment, never in the command. */
  sut: LabHost;
  /** The SUT's pinned host key (`ssh-ed25519 AAAA...`); absent on the local target. */
  hostKey?: pulumi.Output<string>;
  /** The last cell. */
  after: pulumi.Resource[];
}

export class PullBack extends pulumi.ComponentResource {
  readonly command: local.Command;
  /** Cells by status, e.g. { ok: 170, oom: 6, skipped: 4 }. */
  readonly counts: pulumi.Output<unknown>;
  /** Where the results are on this machine, relative to the project. */
  readonly resultsPath: string;

  constructor(name: string, args: PullBackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:PullBack", name, {}, opts);
    const { plan, sut } = args;
    this.resultsPath = `${plan.resultsRoot}/${plan.runId}`;
    const triggers = [
      plan.runId,
      ...args.pair.cells.map((c) => c.id),
      ...(args.pair.calibration ? [args.pair.calibration.id] : []),
    ];
    if (!sut.connection) {
      this.command = new local.Command(
        `${name}-summary`,
        { create: localSummaryScript(plan), interpreter: ["/bin/bash", "-c"], triggers, addPreviousOutputInEnv: false },
        { parent: this, dependsOn: args.after },
      );
    } else {
      if (!sut.privateKey || !args.hostKey)
        throw new Error("the pull-back needs the SUT's key and its pinned host key");
      // The manifest's sha256 comes over Pulumi's connection, the files over the pull's own ssh.
      const manifest = hostCommand(
        `${name}-manifest`,
        sut,
        { script: manifestScript(plan), triggers },
        { parent: this, dependsOn: args.after },
      );
      const script = sut.address.apply((address) =>
        pullBackScript(plan, { user: sut.plan.user, address, port: sut.plan.port }, args.pair),
      );
      const knownHosts = pulumi
        .all([sut.address, args.hostKey])
        .apply(([address, key]) => knownHostsLine(address, sut.plan.port, key));
      this.command = new local.Command(
        `${name}-pull`,
        {
          create: script,
          interpreter: ["/bin/bash", "-c"],
          environment: {
            EDGELAB_SSH_KEY: pulumi.secret(sut.privateKey),
            EDGELAB_KNOWN_HOSTS: knownHosts,
            EDGELAB_MANIFEST_SHA256: manifest.stdout.apply((s) => s.trim()),
          },
          triggers,
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: [manifest], additionalSecretOutputs: ["environment"] },
      );
    }
    this.counts = this.command.stdout.apply(parseJsonLine);
    this.registerOutputs({ counts: this.counts, resultsPath: this.resultsPath });
  }
}

export interface ResultsSummaryArgs {
  plan: LabPlan;
  /** Every pair's pull-back. */
  after: pulumi.Resource[];
}

/** With several pairs: the cells of the one run folder, counted once every pair is pulled back. */
export class ResultsSummary extends pulumi.ComponentResource {
  readonly command: local.Command;
  readonly counts: pulumi.Output<unknown>;

  constructor(name: string, args: ResultsSummaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:ResultsSummary", name, {}, opts);
    this.command = new local.Command(
      `${name}-summary`,
      {
        create: summaryScript(args.plan),
        interpreter: ["/bin/bash", "-c"],
        triggers: [args.plan.runId, ...args.plan.cells.map((c) => c.id)],
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: args.after },
    );
    this.counts = this.command.stdout.apply(parseJsonLine);
    this.registerOutputs({ counts: this.counts });
  }
}
