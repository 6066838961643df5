/**
 * The whole lab as one component. It only composes: the hosts (the provider's), the lab's code as
 * one archive, and per host pair a `LabPair` (infra/pair.ts: bootstrap -> trust -> checks ->
 * artifacts -> the pair's cells -> its pull-back); with several pairs, the cells of the one run
 * folder counted once every pair is back; then the report, made here (infra/report.ts).
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { buildDir, repoRoot } from "../core/paths";
import type { InstallOptions } from "./bootstrap";
import { buildCodeArchive } from "./codeArchive";
import { LabHosts } from "./hosts";
import { type CodeUpload, type HostChecks, LabPair } from "./pair";
import { pairPrefix } from "./providers/common";
import { ResultsSummary } from "./pullBack";
import { LabReport } from "./report";
import type { LabPlan } from "./stackPlan";

export { contextFor } from "./pair";

export interface EdgeLabArgs {
  /** The checked plan (infra/stackPlan.ts planLab). */
  plan: LabPlan;
  /** The operator's ssh key (a secret), for targets that reach the operator's own servers. */
  operatorKey?: pulumi.Output<string>;
  /** The host provider's credentials (secrets). */
  credentials?: Record<string, pulumi.Output<string>>;
}

/** The lab's code as one archive; its hash decides whether a host gets new code (null: the code is here). */
function codeUpload(plan: LabPlan, remote: boolean): CodeUpload | null {
  if (!remote) return null;
  const archive = buildCodeArchive(repoRoot, join(buildDir, "pulumi", plan.config.stack, "edgelab-code.tgz"));
  return {
    localPath: archive.path,
    sha256: archive.sha256,
    remotePath: `/tmp/edgelab-code-${archive.sha256.slice(0, 16)}.tgz`,
  };
}

/** What every host installs, from the plan: the profile's plugins bring their own installs and checks. */
function installOptions(plan: LabPlan): InstallOptions {
  return {
    install: plan.config.bootstrap,
    docker: plan.needs.docker,
    k6FromBundle: plan.needs.k6FromBundle,
    plugins: plan.plugins,
  };
}

export class EdgeLab extends pulumi.ComponentResource {
  readonly hosts: LabHosts;
  readonly pairs: LabPair[];
  /** The first pair (the only one unless edge-lab:pairs says more). */
  readonly first: LabPair;
  /** Each host's preflight line and facts, of the first pair. */
  readonly checks: { sut: HostChecks; loadgen: HostChecks | null };
  /** Cells by status in the run folder here, once every pair is pulled back. */
  readonly counts: pulumi.Output<unknown>;
  readonly resultsPath: string;
  /** The report of the run, made here once every pair is back. */
  readonly report: LabReport;

  constructor(name: string, args: EdgeLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:EdgeLab", name, {}, opts);
    const { plan } = args;
    const key = args.operatorKey ? { operatorKey: args.operatorKey } : {};
    this.hosts = new LabHosts(`${name}-hosts`, { plan, ...key, credentials: args.credentials ?? {} }, { parent: this });
    const code = codeUpload(plan, this.hosts.sut.connection !== undefined);
    const install = installOptions(plan);
    this.pairs = plan.pairs.map((pair, i) => {
      const hosts = this.hosts.pairs[i];
      if (!hosts) throw new Error(`the provider made no hosts for pair ${pair.index}`);
      return new LabPair(
        pairPrefix(name, pair.index, plan.pairs.length),
        { plan, pair, hosts, code, install, formerParent: this },
        { parent: this },
      );
    });
    this.first = this.pairs[0] as LabPair;
    this.checks = this.first.checks;
    this.resultsPath = this.first.pullBack.resultsPath;
    const pulls = this.pairs.map((p) => p.pullBack.command);
    const summary =
      this.pairs.length > 1 ? new ResultsSummary(`${name}-results`, { plan, after: pulls }, { parent: this }) : null;
    this.counts = summary ? summary.counts : this.first.pullBack.counts;
    const counted = summary ? [summary.command] : pulls;
    this.report = new LabReport(`${name}-report`, { plan, counts: this.counts, after: counted }, { parent: this });
    this.registerOutputs({ cells: plan.cells.length, resultsPath: this.resultsPath });
  }
}
