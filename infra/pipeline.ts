/**
 * The whole lab as one component. It only composes, per host pair: hosts (the provider's) ->
 * bootstrap (each host) -> the trust between the hosts -> preflight and host facts -> artifacts on
 * the SUT -> plan and the pair's cells, one after another -> results pulled back here into one run
 * folder. Each stage is a component of its own.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { buildDir, repoRoot } from "../core/paths";
import { getPlatform } from "../lab/platforms/registry";
import { type BootstrapContext, type BootstrapStep, finalSteps, installSteps, platformSetups } from "./bootstrap";
import { buildCodeArchive } from "./codeArchive";
import { HostBootstrap, StepChain } from "./hostBootstrap";
import type { LabHost } from "./hostCommand";
import { parseHostFacts } from "./hostFacts";
import { LabHosts } from "./hosts";
import { pairPrefix } from "./providers/common";
import { PullBack, ResultsSummary } from "./pullBack";
import type { HostPlan, LabPlan, PairPlan } from "./stackPlan";
import { SutArtifacts } from "./sutArtifacts";
import { Sweep } from "./sweep";
import type { RunnerWiring } from "./sweepScripts";
import { HostTrust } from "./trust";

export interface EdgeLabArgs {
  /** The checked plan (infra/stackPlan.ts planLab). */
  plan: LabPlan;
  /** ssh key for every remote host (a secret); not used by the local target. */
  privateKey?: pulumi.Output<string>;
  /** The host provider's credentials (secrets). */
  credentials?: Record<string, pulumi.Output<string>>;
}

/** The bootstrap context of one host. */
export function contextFor(plan: LabPlan, host: HostPlan, code: BootstrapContext["code"]): BootstrapContext {
  return {
    revision: plan.revision,
    downloads: plan.downloads,
    roles: host.roles,
    hostLabel: host.label,
    labDir: plan.labDir,
    code,
    aptPackages: plan.config.bootstrap
      ? [
          ...(host.roles.sut ? plan.aptPackages.sut : []),
          ...(host.roles.loadgen ? plan.aptPackages.loadgen : []),
        ].filter((p, i, all) => all.indexOf(p) === i)
      : [],
    hardenSsh: host.kind !== "local",
    npmRegistry: plan.npmRegistry,
  };
}

/** What one pair made: its stages, for the stack's outputs. */
export interface PairStages {
  pair: PairPlan;
  sut: LabHost;
  loadgen: LabHost | null;
  artifacts: SutArtifacts;
  sweep: Sweep;
  pullBack: PullBack;
  preflight: { sut: pulumi.Output<string>; loadgen: pulumi.Output<string> | null };
  hostFacts: { sut: pulumi.Output<unknown>; loadgen: pulumi.Output<unknown> | null };
}

export class EdgeLab extends pulumi.ComponentResource {
  readonly hosts: LabHosts;
  readonly pairs: PairStages[] = [];
  /** The first pair's stages (the only one unless edge-lab:pairs says more). */
  readonly artifacts: SutArtifacts;
  readonly sweep: Sweep;
  readonly pullBack: PullBack;
  readonly preflight: PairStages["preflight"];
  readonly hostFacts: PairStages["hostFacts"];
  /** Cells by status in the run folder here, once every pair is pulled back. */
  readonly counts: pulumi.Output<unknown>;
  readonly resultsPath: string;

  constructor(name: string, args: EdgeLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:EdgeLab", name, {}, opts);
    const { plan } = args;
    const c = plan.config;
    const child = { parent: this };
    this.hosts = new LabHosts(
      `${name}-hosts`,
      { plan, ...(args.privateKey ? { privateKey: args.privateKey } : {}), credentials: args.credentials ?? {} },
      child,
    );
    // The lab's code travels as one archive; its hash decides whether a host gets new code.
    const remote = this.hosts.sut.connection !== undefined;
    const archive = remote ? buildCodeArchive(repoRoot, join(buildDir, "pulumi", c.stack, "edgelab-code.tgz")) : null;
    const code = archive
      ? {
          localPath: archive.path,
          sha256: archive.sha256,
          remotePath: `/tmp/edgelab-code-${archive.sha256.slice(0, 16)}.tgz`,
        }
      : null;
    const bootCode = code ? { archivePath: code.remotePath, sha256: code.sha256 } : null;
    // Each platform of the profile brings its own host setup and check (lab/platforms, Platform.host).
    const setups = c.bootstrap ? platformSetups(plan.profile.platforms.map(getPlatform)) : [];
    const install = {
      install: c.bootstrap,
      docker: plan.needs.docker,
      ops: plan.needs.ops,
      k6FromBundle: plan.needs.k6FromBundle,
      platformSetups: setups,
    };
    const key = args.privateKey ? { privateKey: args.privateKey } : {};

    plan.pairs.forEach((pair, i) => {
      const hosts = this.hosts.pairs[i];
      if (!hosts) throw new Error(`the provider made no hosts for pair ${pair.index}`);
      const prefix = pairPrefix(name, pair.index, plan.pairs.length);
      const { sut, loadgen } = hosts;
      const sutCtx = contextFor(plan, sut.plan, bootCode);
      const sutBoot = new HostBootstrap(
        `${prefix}-${sut.plan.label}`,
        {
          host: sut,
          steps: installSteps(sutCtx, install),
          code,
          bundle: { dir: plan.bundle.dir, files: plan.bundle.sut, npmCache: plan.bundle.npmCache },
          cleanupOnDestroy: sut.plan.kind === "provided",
          ...key,
        },
        child,
      );
      let sutReady: pulumi.Resource[] = sutBoot.last;
      let loadgenTarget: pulumi.Output<{ user: string; address: string }> | null = null;
      const preflight: PairStages["preflight"] = { sut: pulumi.output(""), loadgen: null };
      const hostFacts: PairStages["hostFacts"] = { sut: pulumi.output(null), loadgen: null };
      if (loadgen) {
        const lgCtx = contextFor(plan, loadgen.plan, bootCode);
        const lgBoot = new HostBootstrap(
          `${prefix}-loadgen`,
          {
            host: loadgen,
            steps: installSteps(lgCtx, install),
            code,
            bundle: { dir: plan.bundle.dir, files: plan.bundle.loadgen, npmCache: false },
            cleanupOnDestroy: loadgen.plan.kind === "provided",
            ...key,
          },
          child,
        );
        const trust = new HostTrust(
          `${prefix}-trust`,
          {
            sut,
            loadgen,
            sutCtx,
            loadgenCtx: lgCtx,
            sutAfter: sutBoot.last,
            loadgenAfter: lgBoot.last,
            sutName: `${prefix}-sut`,
            loadgenName: `${prefix}-loadgen`,
          },
          child,
        );
        const lgFinal = new StepChain(
          `${prefix}-loadgen-checks`,
          {
            host: loadgen,
            steps: finalSteps(lgCtx, {
              strict: c.bootstrap,
              docker: false,
              ops: false,
              requireKvm: false,
              minCores: 1,
              loadgen: null,
            }).map((s) => ({ id: s.id, script: s.script, trigger: s.hash })),
            after: trust.loadgenReady,
          },
          child,
        );
        loadgenTarget = loadgen.labAddress.apply((address) => ({ user: loadgen.plan.user, address }));
        sutReady = [...trust.sutReady, ...lgFinal.last];
        preflight.loadgen = lgFinal.stdout("preflight");
        hostFacts.loadgen = lgFinal.stdout("host-facts").apply((out) => parseHostFacts(out, `${prefix}-loadgen`));
      }
      const target: pulumi.Output<{ user: string; address: string } | null> = loadgenTarget ?? pulumi.output(null);
      const sutFinalSteps = target.apply((t) =>
        finalSteps(
          sutCtx,
          {
            strict: c.bootstrap,
            docker: plan.needs.docker,
            ops: plan.needs.ops,
            requireKvm: plan.needs.requireKvm,
            minCores: plan.needs.minCores,
            loadgen: t,
          },
          setups,
        ),
      );
      const sutFinal = new StepChain(
        `${prefix}-${sut.plan.label}-checks`,
        {
          host: sut,
          steps: ["preflight", "host-facts"].map((id) => ({
            id,
            script: sutFinalSteps.apply((steps: BootstrapStep[]) => steps.find((s) => s.id === id)?.script ?? ""),
          })),
          after: sutReady,
        },
        child,
      );
      preflight.sut = sutFinal.stdout("preflight");
      hostFacts.sut = sutFinal.stdout("host-facts").apply((out) => parseHostFacts(out, `${prefix}-${sut.plan.label}`));

      const artifacts = new SutArtifacts(`${prefix}-artifacts`, { plan, sut, after: sutFinal.last }, child);
      const wiring: pulumi.Output<RunnerWiring> = pulumi
        .all([sut.labAddress, loadgenTarget ?? pulumi.output(null)])
        .apply(([bind, t]) => ({ bindAddress: loadgen ? bind : null, loadgen: t }));
      const sweep = new Sweep(`${prefix}-sweep`, { plan, pair, sut, wiring, after: artifacts.last }, child);
      const pullBack = new PullBack(`${prefix}-results`, { plan, pair, sut, ...key, after: sweep.last }, child);
      this.pairs.push({ pair, sut, loadgen, artifacts, sweep, pullBack, preflight, hostFacts });
    });

    const first = this.pairs[0] as PairStages;
    this.artifacts = first.artifacts;
    this.sweep = first.sweep;
    this.pullBack = first.pullBack;
    this.preflight = first.preflight;
    this.hostFacts = first.hostFacts;
    this.resultsPath = first.pullBack.resultsPath;
    if (this.pairs.length > 1) {
      const summary = new ResultsSummary(
        `${name}-results`,
        { plan, after: this.pairs.map((p) => p.pullBack.command) },
        child,
      );
      this.counts = summary.counts;
    } else {
      this.counts = first.pullBack.counts;
    }
    this.registerOutputs({ cells: plan.cells.length, resultsPath: this.resultsPath });
  }
}
