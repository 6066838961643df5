/**
 * One host pair as one component: its SUT's bootstrap, its load generator's bootstrap, the trust
 * between them and the load generator's checks, the SUT's checks, the artifacts, the pair's cells
 * and the pull-back of its results. `EdgeLab` (infra/pipeline.ts) makes one per pair.
 */
import { local } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { BootstrapContext, BootstrapStep, InstallOptions, PreflightOptions } from "./bootstrap";
import { finalSteps, hostKeyStep, installSteps, pluginsFor } from "./bootstrap";
import { HostBootstrap, StepChain } from "./hostBootstrap";
import type { LabHost } from "./hostCommand";
import { parseHostFacts } from "./hostFacts";
import type { PairOfHosts } from "./providers/types";
import { PullBack } from "./pullBack";
import { knownHostsLine } from "./sshKeys";
import type { HostPlan, LabPlan, PairPlan } from "./stackPlan";
import { SutArtifacts } from "./sutArtifacts";
import { Sweep } from "./sweep";
import { knownHostsFile, knownHostsScripts, type LoadTarget, type RunnerWiring } from "./sweepScripts";
import { HostTrust } from "./trust";

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

/** The lab's code archive as this machine has it and where it goes on the hosts (null: the local target). */
export interface CodeUpload {
  localPath: string;
  sha256: string;
  remotePath: string;
}

export interface LabPairArgs {
  plan: LabPlan;
  pair: PairPlan;
  hosts: PairOfHosts;
  code: CodeUpload | null;
  /** What every host installs (the same for each pair). */
  install: InstallOptions;
  /** The component the pair's stages were children of before pairs were components (their aliases). */
  formerParent?: pulumi.Resource;
}

/** One host's preflight line and host facts, as the stack publishes them. */
export interface HostChecks {
  preflight: pulumi.Output<string>;
  hostFacts: pulumi.Output<unknown>;
}

/** A known_hosts file here and the command that wrote it. */
export interface KnownHosts {
  /** Relative to the project (infra/sweepScripts.ts knownHostsFile). */
  file: string;
  written: pulumi.Resource;
}

/** What the load generator's side of a pair gives the SUT's. */
interface LoadgenSide {
  checks: HostChecks;
  /** Its pinned host key. */
  hostKey: pulumi.Output<string>;
  /** Where the SUT's runner reaches the load generator. */
  target: pulumi.Output<LoadTarget>;
  /** The SUT may run its checks once these are done (the trust, the load generator's checks). */
  sutMayContinue: pulumi.Resource[];
}

export class LabPair extends pulumi.ComponentResource {
  readonly pair: PairPlan;
  readonly sut: LabHost;
  readonly loadgen: LabHost | null;
  readonly artifacts: SutArtifacts;
  readonly sweep: Sweep;
  readonly pullBack: PullBack;
  readonly checks: { sut: HostChecks; loadgen: HostChecks | null };
  /** The pair's pinned host keys in a known_hosts file here (the Docker provider and a pull by hand use it). */
  readonly knownHosts: KnownHosts | null;

  /** The resource names of a pair: unchanged for a single pair, `-p<k>` for more. */
  private readonly prefix: string;
  private readonly child: pulumi.ComponentResourceOptions;
  private readonly args: LabPairArgs;

  constructor(prefix: string, args: LabPairArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:LabPair", prefix, {}, opts);
    this.args = args;
    this.prefix = prefix;
    this.pair = args.pair;
    this.sut = args.hosts.sut;
    this.loadgen = args.hosts.loadgen;
    // The stages keep the names and URNs they had as direct children of the whole lab.
    this.child = { parent: this, ...(args.formerParent ? { aliases: [{ parent: args.formerParent }] } : {}) };
    const code = args.code ? { archivePath: args.code.remotePath, sha256: args.code.sha256 } : null;
    const sutCtx = contextFor(args.plan, this.sut.plan, code);
    const sutName = `${prefix}-${this.sut.plan.label}`;
    const sutKey = this.pinnedHostKey(this.sut, sutName, sutCtx);
    const sutBoot = this.bootstrap(this.sut, sutName, sutCtx, sutKey);
    const lg = this.loadgen
      ? this.loadgenSide(this.loadgen, contextFor(args.plan, this.loadgen.plan, code), sutCtx, sutBoot.last)
      : null;
    const sutChecks = this.sutChecks(sutCtx, lg, lg ? lg.sutMayContinue : sutBoot.last);
    this.checks = { sut: sutChecks.checks, loadgen: lg?.checks ?? null };
    this.knownHosts = sutKey
      ? this.writeKnownHosts([this.sut, sutKey], lg && this.loadgen ? [this.loadgen, lg.hostKey] : null)
      : null;
    this.artifacts = new SutArtifacts(
      `${prefix}-artifacts`,
      {
        plan: args.plan,
        sut: this.sut,
        after: sutChecks.last,
        ...(this.knownHosts ? { knownHosts: this.knownHosts } : {}),
      },
      this.child,
    );
    this.sweep = new Sweep(
      `${prefix}-sweep`,
      { plan: args.plan, pair: this.pair, sut: this.sut, wiring: this.wiring(lg), after: this.artifacts.last },
      this.child,
    );
    this.pullBack = new PullBack(
      `${prefix}-results`,
      {
        plan: args.plan,
        pair: this.pair,
        sut: this.sut,
        ...(sutKey ? { hostKey: sutKey } : {}),
        after: this.sweep.last,
      },
      this.child,
    );
    this.registerOutputs({ cells: this.pair.cells.length });
  }

  /**
   * The host key the lab's own ssh pins for a host: the one the program made for a server's
   * cloud-init, the one you gave for a host of yours, else the one read over Pulumi's connection
   * (trust on its first use: preview warns, and the host's hostKey avoids it). None on the local target.
   */
  private pinnedHostKey(host: LabHost, name: string, ctx: BootstrapContext): pulumi.Output<string> | undefined {
    if (!host.connection) return undefined;
    if (host.hostKey) return host.hostKey;
    const read = new StepChain(
      `${name}-host-key`,
      { host, steps: [{ id: "read", script: hostKeyStep(ctx) }] },
      this.child,
    );
    return read.stdout("read");
  }

  /** A host's install steps, its uploads and (on a host the user lent) its clean-up on destroy. */
  private bootstrap(
    host: LabHost,
    name: string,
    ctx: BootstrapContext,
    hostKey: pulumi.Output<string> | undefined,
  ): HostBootstrap {
    const { plan, code, install } = this.args;
    const sut = host.plan.roles.sut;
    return new HostBootstrap(
      name,
      {
        host,
        steps: installSteps(ctx, install),
        code,
        bundle: {
          dir: plan.bundle.dir,
          files: sut ? plan.bundle.sut : plan.bundle.loadgen,
          npmCache: sut && plan.bundle.npmCache,
        },
        cleanupOnDestroy: host.plan.kind === "provided",
        plugins: pluginsFor(ctx, install.install ? install.plugins : []),
        ...(hostKey ? { hostKey } : {}),
      },
      this.child,
    );
  }

  /** The load generator's bootstrap, the trust between the hosts, and the load generator's checks. */
  private loadgenSide(
    loadgen: LabHost,
    ctx: BootstrapContext,
    sutCtx: BootstrapContext,
    sutAfter: pulumi.Resource[],
  ): LoadgenSide {
    const { prefix } = this;
    const hostKey = this.pinnedHostKey(loadgen, `${prefix}-loadgen`, ctx);
    if (!hostKey) throw new Error("a separate load generator is reached over ssh: it has a host key");
    const boot = this.bootstrap(loadgen, `${prefix}-loadgen`, ctx, hostKey);
    const trust = new HostTrust(
      `${prefix}-trust`,
      {
        sut: this.sut,
        loadgen,
        sutCtx,
        loadgenCtx: ctx,
        loadgenHostKey: hostKey,
        sutAfter,
        loadgenAfter: boot.last,
        sutName: `${prefix}-sut`,
        loadgenName: `${prefix}-loadgen`,
      },
      this.child,
    );
    const options: PreflightOptions = {
      strict: this.args.plan.config.bootstrap,
      docker: false,
      requireKvm: false,
      minCores: 1,
      loadgen: null,
      plugins: pluginsFor(ctx, this.args.plan.plugins),
    };
    const final = new StepChain(
      `${prefix}-loadgen-checks`,
      {
        host: loadgen,
        steps: finalSteps(ctx, options).map((s) => ({ id: s.id, script: s.script, trigger: s.hash })),
        after: trust.loadgenReady,
      },
      this.child,
    );
    return {
      checks: this.checksOf(final, `${prefix}-loadgen`),
      hostKey,
      target: loadgen.labAddress.apply((address) => ({ user: loadgen.plan.user, address })),
      sutMayContinue: [...trust.sutReady, ...final.last],
    };
  }

  /** The SUT's preflight (which reaches k6 on the load generator over the lab key) and host facts. */
  private sutChecks(ctx: BootstrapContext, lg: LoadgenSide | null, after: pulumi.Resource[]) {
    const target: pulumi.Output<LoadTarget | null> = lg ? lg.target : pulumi.output(null);
    const steps = target.apply((t) => finalSteps(ctx, this.sutPreflight(ctx, t)));
    // The steps' ids do not depend on where the load generator is.
    const ids = finalSteps(ctx, this.sutPreflight(ctx, null)).map((s) => s.id);
    const name = `${this.prefix}-${this.sut.plan.label}`;
    const final = new StepChain(
      `${name}-checks`,
      {
        host: this.sut,
        steps: ids.map((id) => ({
          id,
          script: steps.apply((all: BootstrapStep[]) => all.find((s) => s.id === id)?.script ?? ""),
        })),
        after,
      },
      this.child,
    );
    return { checks: this.checksOf(final, name), last: final.last };
  }

  /** What the SUT's preflight holds it to (the profile's needs; k6 on the load generator when there is one). */
  private sutPreflight(ctx: BootstrapContext, loadgen: LoadTarget | null): PreflightOptions {
    const { plan } = this.args;
    return {
      strict: plan.config.bootstrap,
      docker: plan.needs.docker,
      requireKvm: plan.needs.requireKvm,
      minCores: plan.needs.minCores,
      loadgen,
      plugins: pluginsFor(ctx, plan.plugins),
    };
  }

  /** The pair's known_hosts file on this machine, from the hosts' public addresses and pinned keys. */
  private writeKnownHosts(
    sut: [LabHost, pulumi.Output<string>],
    loadgen: [LabHost, pulumi.Output<string>] | null,
  ): KnownHosts {
    const { plan } = this.args;
    const line = ([host, key]: [LabHost, pulumi.Output<string>]) =>
      pulumi.all([host.address, key]).apply(([address, k]) => knownHostsLine(address, host.plan.port, k));
    const lines = pulumi.all([line(sut), ...(loadgen ? [line(loadgen)] : [])]).apply((all) => all.join("\n"));
    const scripts = knownHostsScripts(plan, this.pair.index);
    const written = new local.Command(
      `${this.prefix}-known-hosts`,
      {
        create: scripts.create,
        delete: scripts.delete,
        interpreter: ["/bin/bash", "-c"],
        environment: { EDGELAB_KNOWN_HOSTS: lines },
        triggers: [lines],
        addPreviousOutputInEnv: false,
      },
      this.child,
    );
    return { file: knownHostsFile(plan, this.pair.index), written };
  }

  private checksOf(chain: StepChain, host: string): HostChecks {
    return {
      preflight: chain.stdout("preflight"),
      hostFacts: chain.stdout("host-facts").apply((out) => parseHostFacts(out, host)),
    };
  }

  /** Where the SUT's instances listen and where its runner starts the load. */
  private wiring(lg: LoadgenSide | null): pulumi.Output<RunnerWiring> {
    return pulumi
      .all([this.sut.labAddress, lg ? lg.target : pulumi.output(null)])
      .apply(([bind, loadgen]) => ({ bindAddress: lg ? bind : null, loadgen }));
  }
}
