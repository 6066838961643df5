/**
 * The whole lab as one component: hosts -> bootstrap (each host) -> the lab key and the trust
 * between the hosts -> preflight and host facts -> artifacts on the SUT -> plan and every cell,
 * one after another -> results pulled back here. Each stage is a component of its own.
 */
import { join } from "node:path";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { buildDir, repoRoot } from "../lab/paths";
import { parseJsonLine, SutArtifacts } from "./artifacts";
import {
  authorizeStep,
  type BootstrapContext,
  type BootstrapStep,
  finalSteps,
  hostKeyStep,
  installSteps,
  labKeyStep,
  trustStep,
} from "./bootstrap";
import { buildCodeArchive } from "./codeArchive";
import { HostBootstrap, StepChain } from "./hostBootstrap";
import type { LabHost } from "./hostCommand";
import { LabHosts } from "./hosts";
import type { HostPlan, LabPlan } from "./labPlan";
import { PullBack } from "./pullBack";
import { Sweep } from "./sweep";
import type { RunnerWiring } from "./sweepScripts";

export interface EdgeLabArgs {
  /** The checked plan (infra/labPlan.ts planLab). */
  plan: LabPlan;
  /** ssh key for every remote host (a secret); not used by the local target. */
  privateKey?: pulumi.Output<string>;
  /** Hetzner API token (a secret); hcloud targets only. */
  hcloudToken?: pulumi.Output<string>;
}

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

/** The bootstrap context of one host. */
export function contextFor(plan: LabPlan, host: HostPlan, code: BootstrapContext["code"]): BootstrapContext {
  return {
    revision: plan.revision,
    downloads: plan.downloads,
    roles: host.roles,
    hostLabel: host.label,
    labDir: plan.labDir,
    code,
    hardenSsh: host.kind !== "local",
  };
}

export class EdgeLab extends pulumi.ComponentResource {
  readonly hosts: LabHosts;
  readonly sutBootstrap: HostBootstrap;
  readonly loadgenBootstrap: HostBootstrap | null;
  readonly artifacts: SutArtifacts;
  readonly sweep: Sweep;
  readonly pullBack: PullBack;
  readonly preflight: { sut: pulumi.Output<string>; loadgen: pulumi.Output<string> | null };
  readonly hostFacts: { sut: pulumi.Output<unknown>; loadgen: pulumi.Output<unknown> | null };

  constructor(name: string, args: EdgeLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:EdgeLab", name, {}, opts);
    const { plan } = args;
    const c = plan.config;
    const child = { parent: this };
    const hetzner = c.target === "hcloud" || c.target === "hcloud-baremetal";
    const provider = hetzner ? new hcloud.Provider(`${name}-hcloud`, { token: args.hcloudToken }, child) : undefined;
    this.hosts = new LabHosts(
      `${name}-hosts`,
      {
        plan,
        ...(args.privateKey ? { privateKey: args.privateKey } : {}),
        ...(provider ? { hcloudProvider: provider } : {}),
      },
      child,
    );
    const sut = this.hosts.sut;
    const loadgen = this.hosts.loadgen;

    // The lab's code travels as one archive; its hash decides whether a host gets new code.
    const archive =
      c.target === "local" ? null : buildCodeArchive(repoRoot, join(buildDir, "pulumi", c.stack, "edgelab-code.tgz"));
    const code = archive
      ? {
          localPath: archive.path,
          sha256: archive.sha256,
          remotePath: `/tmp/edgelab-code-${archive.sha256.slice(0, 16)}.tgz`,
        }
      : null;
    const bootCode = code ? { archivePath: code.remotePath, sha256: code.sha256 } : null;
    const sutCtx = contextFor(plan, sut.plan, bootCode);
    const install = {
      install: c.bootstrap,
      docker: plan.needs.docker,
      nanos: plan.needs.nanos,
      k6FromBundle: plan.needs.k6FromBundle,
    };
    const lent = (host: LabHost) => host.plan.kind === "provided";
    this.sutBootstrap = new HostBootstrap(
      `${name}-${sut.plan.label}`,
      {
        host: sut,
        steps: installSteps(sutCtx, install),
        code,
        bundle: { dir: plan.bundle.dir, files: plan.bundle.sut, npmCache: plan.bundle.npmCache },
        cleanupOnDestroy: lent(sut),
        ...(args.privateKey ? { privateKey: args.privateKey } : {}),
      },
      child,
    );

    let sutReady: pulumi.Resource[] = this.sutBootstrap.last;
    let loadgenTarget: pulumi.Output<{ user: string; address: string }> | null = null;
    if (loadgen) {
      const lgCtx = contextFor(plan, loadgen.plan, bootCode);
      this.loadgenBootstrap = new HostBootstrap(
        `${name}-loadgen`,
        {
          host: loadgen,
          steps: installSteps(lgCtx, install),
          code,
          bundle: { dir: plan.bundle.dir, files: plan.bundle.loadgen, npmCache: false },
          cleanupOnDestroy: lent(loadgen),
          ...(args.privateKey ? { privateKey: args.privateKey } : {}),
        },
        child,
      );
      // The SUT's runner starts k6 on the load generator over ssh with a key of the lab's own,
      // and trusts exactly the load generator's host key.
      const sutKey = new StepChain(
        `${name}-sut-key`,
        { host: sut, steps: [{ id: "lab-key", script: labKeyStep(sutCtx) }], after: this.sutBootstrap.last },
        child,
      );
      const lgKey = new StepChain(
        `${name}-loadgen-key`,
        { host: loadgen, steps: [{ id: "host-key", script: hostKeyStep(lgCtx) }], after: this.loadgenBootstrap.last },
        child,
      );
      const from = sut.labAddress.apply((a) => (IPV4.test(a) ? a : null));
      const access = new StepChain(
        `${name}-loadgen-access`,
        {
          host: loadgen,
          steps: [
            {
              id: "authorize-sut",
              script: pulumi.secret(
                pulumi
                  .all([sutKey.stdout("lab-key"), from])
                  .apply(([key, address]) => authorizeStep(lgCtx, key, address)),
              ),
              secretOutput: true,
            },
          ],
          after: [...lgKey.last, ...sutKey.last],
        },
        child,
      );
      const trust = new StepChain(
        `${name}-sut-trust`,
        {
          host: sut,
          steps: [
            {
              id: "trust-loadgen",
              script: pulumi
                .all([loadgen.labAddress, lgKey.stdout("host-key")])
                .apply(([address, hostKey]) => trustStep(sutCtx, address, hostKey)),
            },
          ],
          after: [...sutKey.last, ...lgKey.last],
        },
        child,
      );
      const lgFinal = new StepChain(
        `${name}-loadgen-checks`,
        {
          host: loadgen,
          steps: finalSteps(lgCtx, {
            strict: c.bootstrap,
            docker: false,
            nanos: false,
            requireKvm: false,
            minCores: 1,
            loadgen: null,
          }).map((s) => ({ id: s.id, script: s.script, trigger: s.hash })),
          after: access.last,
        },
        child,
      );
      loadgenTarget = loadgen.labAddress.apply((address) => ({ user: loadgen.plan.user, address }));
      sutReady = [...trust.last, ...lgFinal.last];
      this.preflight = { sut: pulumi.output(""), loadgen: lgFinal.stdout("preflight") };
      this.hostFacts = { sut: pulumi.output(null), loadgen: lgFinal.stdout("host-facts").apply(parseJsonLine) };
    } else {
      this.loadgenBootstrap = null;
      this.preflight = { sut: pulumi.output(""), loadgen: null };
      this.hostFacts = { sut: pulumi.output(null), loadgen: null };
    }

    const preflightOptions = (target: { user: string; address: string } | null) => ({
      strict: c.bootstrap,
      docker: plan.needs.docker,
      nanos: plan.needs.nanos,
      requireKvm: plan.needs.requireKvm,
      minCores: plan.needs.minCores,
      loadgen: target,
    });
    const target: pulumi.Output<{ user: string; address: string } | null> = loadgenTarget ?? pulumi.output(null);
    const sutFinalSteps = target.apply((t) => finalSteps(sutCtx, preflightOptions(t)));
    const sutFinal = new StepChain(
      `${name}-${sut.plan.label}-checks`,
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
    this.preflight.sut = sutFinal.stdout("preflight");
    this.hostFacts.sut = sutFinal.stdout("host-facts").apply(parseJsonLine);

    this.artifacts = new SutArtifacts(`${name}-artifacts`, { plan, sut, after: sutFinal.last }, child);
    const wiring: pulumi.Output<RunnerWiring> = pulumi
      .all([sut.labAddress, loadgenTarget ?? pulumi.output(null)])
      .apply(([bind, target]) => ({ bindAddress: loadgen ? bind : null, loadgen: target }));
    this.sweep = new Sweep(`${name}-sweep`, { plan, sut, wiring, after: this.artifacts.last }, child);
    this.pullBack = new PullBack(
      `${name}-results`,
      { plan, sut, ...(args.privateKey ? { privateKey: args.privateKey } : {}), after: this.sweep.last },
      child,
    );
    this.registerOutputs({ cells: plan.cells.length, resultsPath: this.pullBack.resultsPath });
  }
}
