/**
 * Bootstrap as command resources. `StepChain` runs generated scripts on one host strictly one after
 * another, each re-run only when its script (its hash, the trigger) changes. `HostBootstrap` adds
 * the uploads (bundle files, the code archive) and, on hosts the user lent the lab, the tolerant
 * clean-up that `pulumi destroy` runs there.
 */
import { join } from "node:path";
import { local, remote, type types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sh } from "../core/shell";
import type { BootstrapStep, PluginSetup } from "./bootstrap";
import { sha256 } from "./bootstrap/shell";
import { type HostCommand, hostCommand, type LabHost } from "./hostCommand";
import { REMOTE_BUNDLE_DIR } from "./layout";
import { knownHostsLine } from "./sshKeys";
import { cleanupScript, remoteCleanupCommand } from "./sweepScripts";

/** A step whose script may depend on other resources' outputs (a key made on the other host). */
export interface ChainStep {
  id: string;
  script: pulumi.Input<string>;
  /** Defaults to the script's sha256. */
  trigger?: pulumi.Input<string>;
  secretOutput?: boolean;
}

export function fromBootstrap(steps: readonly BootstrapStep[]): ChainStep[] {
  return steps.map((s) => ({ id: s.id, script: s.script, trigger: s.hash }));
}

export interface StepChainArgs {
  host: LabHost;
  steps: ChainStep[];
  /** Resources that must be done before the first step. */
  after?: pulumi.Resource[];
}

export class StepChain extends pulumi.ComponentResource {
  readonly commands: Record<string, HostCommand> = {};
  /** The last step (or the last of `after` when there is no step): chain the next thing after it. */
  readonly last: pulumi.Resource[];

  constructor(name: string, args: StepChainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:StepChain", name, {}, opts);
    let previous: pulumi.Resource[] = args.after ?? [];
    for (const step of args.steps) {
      const trigger = step.trigger ?? pulumi.output(step.script).apply(sha256);
      const command = hostCommand(
        `${name}-${step.id}`,
        args.host,
        { script: step.script, triggers: [trigger], secretOutput: step.secretOutput ?? false },
        { parent: this, dependsOn: previous },
      );
      this.commands[step.id] = command;
      previous = [command];
    }
    this.last = previous;
    this.registerOutputs(Object.fromEntries(Object.entries(this.commands).map(([id, c]) => [id, c.stdout])));
  }

  stdout(id: string): pulumi.Output<string> {
    const command = this.commands[id];
    if (!command) throw new Error(`no step ${id} in this chain`);
    return command.stdout.apply((s) => s.trim());
  }
}

export interface HostBootstrapArgs {
  host: LabHost;
  /** Install steps, in order (infra/bootstrap installSteps). */
  steps: readonly BootstrapStep[];
  /** The code archive made on this machine and where it goes on the host (null: the code is already there). */
  code: { localPath: string; sha256: string; remotePath: string } | null;
  /** Bundle directory on this machine and the file names this host takes from it. */
  bundle: { dir: string | null; files: readonly string[]; npmCache: boolean };
  /** A host the user lent the lab: `pulumi destroy` removes the lab's files there, tolerating a host already gone. */
  cleanupOnDestroy: boolean;
  /** The plugins installed there, whose own removal that clean-up runs first (lab/install.ts). */
  plugins?: readonly PluginSetup[];
  /** The host's pinned host key, for that clean-up's ssh (`ssh-ed25519 AAAA...`). */
  hostKey?: pulumi.Output<string>;
  after?: pulumi.Resource[];
}

/** What the clean-up hook of a lent host says when it is made. */
export function cleanupNoticeScript(address: string): string {
  return sh`echo ${`edgelab files on ${address} are removed on pulumi destroy`}`.text;
}

/** A non-root user cannot write /opt: the bundle folder is made theirs. */
export function uploadFolderScript(user: string): string {
  return sh`mkdir -p ${REMOTE_BUNDLE_DIR} && chown ${user} ${REMOTE_BUNDLE_DIR}`.text;
}

export class HostBootstrap extends pulumi.ComponentResource {
  readonly chain: StepChain;
  readonly last: pulumi.Resource[];

  constructor(name: string, args: HostBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:HostBootstrap", name, {}, opts);
    const { host } = args;
    let first: pulumi.Resource[] = [...(args.after ?? []), ...host.ready];
    // Made first, so destroy deletes it last: its delete cleans the host once nothing else runs there.
    if (args.cleanupOnDestroy) {
      if (host.plan.kind !== "provided") throw new Error("clean-up on destroy is for hosts the user provides");
      const endpoint = { user: host.plan.user, address: host.plan.address as string, port: host.plan.port };
      const knownHosts = args.hostKey
        ? args.hostKey.apply((key) => knownHostsLine(endpoint.address, endpoint.port, key))
        : "";
      const hook = new local.Command(
        `${name}-cleanup-on-destroy`,
        {
          create: cleanupNoticeScript(endpoint.address),
          delete: remoteCleanupCommand(endpoint, args.plugins ?? []),
          interpreter: ["/bin/bash", "-c"],
          environment: { EDGELAB_SSH_KEY: pulumi.secret(host.privateKey ?? ""), EDGELAB_KNOWN_HOSTS: knownHosts },
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: first, additionalSecretOutputs: ["environment"] },
      );
      first = [hook];
    } else if (host.plan.kind === "local" && args.steps.length > 0) {
      const hook = new local.Command(
        `${name}-cleanup-on-destroy`,
        {
          create: "echo 'installed tools are removed on pulumi destroy'",
          // String(): the clean-up script as one word, whether it comes as text or as Shell.
          delete: sh`bash -c ${String(cleanupScript({ removeLabDir: false, plugins: args.plugins ?? [] }))} || true`
            .text,
          interpreter: ["/bin/bash", "-c"],
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: first },
      );
      first = [hook];
    }
    // The provider's own steps first (its private link, the host firewall where it has none).
    if (host.prepare && host.prepare.length > 0) {
      first = new StepChain(`${name}-prepare`, { host, steps: host.prepare, after: first }, { parent: this }).last;
    }
    const files = host.connection && args.bundle.dir !== null ? args.bundle.files : [];
    const npmCache =
      host.connection !== undefined && args.bundle.dir !== null && args.bundle.npmCache && host.plan.roles.sut;
    const anyUpload = files.length > 0 || npmCache || (host.connection !== undefined && args.code !== null);
    // A non-root user cannot write /opt: the bundle folder is made theirs first.
    if (host.connection && host.plan.user !== "root" && anyUpload) {
      first = [
        hostCommand(
          `${name}-upload-folder`,
          host,
          { script: uploadFolderScript(host.plan.user) },
          { parent: this, dependsOn: first },
        ),
      ];
    }
    const uploads: pulumi.Resource[] = [];
    const copy = (
      suffix: string,
      source: pulumi.asset.Asset | pulumi.asset.Archive,
      remotePath: string,
      triggers?: string[],
    ) =>
      uploads.push(
        new remote.CopyToRemote(
          `${name}-${suffix}`,
          {
            connection: host.connection as types.input.remote.ConnectionArgs,
            source,
            remotePath,
            ...(triggers ? { triggers } : {}),
          },
          { parent: this, dependsOn: first },
        ),
      );
    for (const file of files) {
      copy(
        `bundle-${file}`,
        new pulumi.asset.FileAsset(join(args.bundle.dir as string, file)),
        `${REMOTE_BUNDLE_DIR}/${file}`,
      );
    }
    if (npmCache)
      copy(
        "bundle-npm-cache",
        new pulumi.asset.FileArchive(join(args.bundle.dir as string, "npm-cache")),
        REMOTE_BUNDLE_DIR,
      );
    if (host.connection && args.code) {
      copy("code-archive", new pulumi.asset.FileAsset(args.code.localPath), args.code.remotePath, [args.code.sha256]);
    }
    this.chain = new StepChain(
      `${name}-steps`,
      { host, steps: fromBootstrap(args.steps), after: uploads.length > 0 ? uploads : first },
      { parent: this },
    );
    this.last = this.chain.last;
    this.registerOutputs({});
  }
}
