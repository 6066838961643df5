/**
 * Artifacts on the SUT. The engine's builders run there with the pinned toolchains (Go binary,
 * Node single executable, offline Docker images, Nanos images through the ops build script of
 * workloads/artifacts/nanos.ts) and report their sizes; the paper's own Docker images are built
 * from the paper's build contexts (workloads/artifacts/dockerImages.ts) by @pulumi/docker against
 * the SUT's daemon over SSH, or by the engine on the SUT, or not at all (`edge-lab:paperImages`).
 */
import { join } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Runtime } from "../core/model";
import { buildDir, repoRoot } from "../core/paths";
import { type ImageSpec, writeBuildContext } from "../workloads/artifacts/dockerImages";
import { getRuntime } from "../workloads/runtimes/registry";
import { NoArtifactForm } from "../workloads/runtimes/types";
import { sha256 } from "./bootstrap/shell";
import { type HostCommand, hostCommand, type LabHost } from "./hostCommand";
import type { LabPlan } from "./stackPlan";
import { artifactsScript, paperImageSizesScript } from "./sweepScripts";

/** The paper's image of a runtime: its Dockerfile and context, as the engine defines them. */
export function paperImageSpec(plan: LabPlan, runtime: Runtime): ImageSpec {
  const described = getRuntime(runtime);
  if (!described.paperImage) throw new NoArtifactForm(runtime, "docker-paper", "image in the paper");
  return described.paperImage(plan.revision);
}

/** Where the paper build contexts are written on this machine (the Docker provider sends them). */
export function paperContextDir(plan: LabPlan, runtime: Runtime): string {
  return join(buildDir, "pulumi", plan.config.stack, "docker", `${runtime}-paper`);
}

/** The Docker daemon the provider talks to: the SUT's over SSH, or this machine's for the local target. */
export function dockerHostUri(host: LabHost): pulumi.Output<string> | undefined {
  if (!host.connection) return undefined;
  return host.address.apply((address) => `ssh://${host.plan.user}@${address}:${host.plan.port}`);
}

export interface SutArtifactsArgs {
  plan: LabPlan;
  sut: LabHost;
  /** The SUT's pinned host key in a known_hosts file here: the Docker provider's ssh trusts only it. */
  knownHosts?: { file: string; written: pulumi.Resource };
  /** After the SUT's bootstrap (its Docker daemon, Go, Node, ops). */
  after: pulumi.Resource[];
}

export class SutArtifacts extends pulumi.ComponentResource {
  readonly build: HostCommand;
  readonly paperImages: docker.Image[] = [];
  /** One line of JSON per source: the engine's artifacts and the paper images' sizes. */
  readonly sizes: pulumi.Output<unknown>;
  readonly last: pulumi.Resource[];

  constructor(name: string, args: SutArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:SutArtifacts", name, {}, opts);
    const { plan, sut } = args;
    const script = artifactsScript(plan);
    this.build = hostCommand(
      `${name}-build`,
      sut,
      { script, triggers: [sha256(script)] },
      { parent: this, dependsOn: args.after },
    );
    let last: pulumi.Resource[] = [this.build];
    let paperSizes: pulumi.Output<unknown> = pulumi.output(null);
    if (plan.needs.docker && plan.config.paperImages === "docker-provider") {
      const host = dockerHostUri(sut);
      if (host && !args.knownHosts)
        throw new Error("the Docker provider reaches the SUT over ssh: it needs its pinned host key");
      // The provider runs the system ssh: your key must be in your ssh-agent (docs/pulumi-lab.md);
      // it trusts exactly the SUT's pinned host key, never one seen for the first time.
      const known = args.knownHosts ? join(repoRoot, args.knownHosts.file) : "";
      const provider = new docker.Provider(
        `${name}-docker`,
        {
          ...(host ? { host } : {}),
          ...(host
            ? {
                sshOpts: [
                  "-o",
                  "StrictHostKeyChecking=yes",
                  "-o",
                  `UserKnownHostsFile=${known}`,
                  "-o",
                  "BatchMode=yes",
                ],
              }
            : {}),
          disableDockerDaemonCheck: true,
        },
        { parent: this, ...(args.knownHosts ? { dependsOn: [args.knownHosts.written] } : {}) },
      );
      for (const runtime of plan.profile.runtimes) {
        const spec = paperImageSpec(plan, runtime);
        const context = writeBuildContext(spec, paperContextDir(plan, runtime));
        this.paperImages.push(
          new docker.Image(
            `${name}-paper-${runtime}`,
            {
              imageName: spec.tag,
              build: { context, dockerfile: join(context, "Dockerfile"), platform: "linux/amd64" },
              skipPush: true,
            },
            { parent: this, provider, dependsOn: [this.build] },
          ),
        );
      }
      const sizesScript = paperImageSizesScript(plan.profile.runtimes.map((r) => paperImageSpec(plan, r).tag));
      const sizes = hostCommand(
        `${name}-paper-sizes`,
        sut,
        { script: sizesScript, triggers: this.paperImages.map((i) => i.repoDigest) },
        { parent: this, dependsOn: this.paperImages },
      );
      paperSizes = sizes.stdout.apply(parseJsonLine);
      last = [sizes];
    }
    this.sizes = pulumi
      .all([this.build.stdout.apply(parseJsonLine), paperSizes])
      .apply(([engine, paper]) => ({ engine, paperImages: paper }));
    this.last = last;
    this.registerOutputs({ sizes: this.sizes });
  }
}

/** The last line of a command's output as JSON (null when it is not JSON: previews, mocks). */
export function parseJsonLine(stdout: string | undefined): unknown {
  const line = (stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    return line === "" ? null : line;
  }
}
