/**
 * One way to run a generated script on a lab host: `remote.Command` over ssh (as root, through
 * `sudo -n -H` for another user) or `local.Command` on this machine. Scripts print one line, so
 * the state stays small; `addPreviousOutputInEnv` is off everywhere.
 */
import { local, remote, type types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { sh, shellCode } from "../core/shell";
import type { HostPlan } from "./providers/types";

/** A lab host as the components see it. */
export interface LabHost {
  plan: HostPlan;
  /** The address Pulumi (and the operator) reach it on; "127.0.0.1" for the local target. */
  address: pulumi.Output<string>;
  /** The address the other host reaches it on (private network, vSwitch, LAN). */
  labAddress: pulumi.Output<string>;
  /** ssh connection with the secret key; undefined for the local target. */
  connection?: types.input.remote.ConnectionArgs;
  /** The key that connection logs in with (a secret): the lab's own ssh (pull-back, clean-up) uses it too. */
  privateKey?: pulumi.Output<string>;
  /**
   * Its host key as the lab pins it (`ssh-ed25519 AAAA...`): made by the program and handed to the
   * server's cloud-init, or given by the operator for a host of theirs; absent, it is read over
   * Pulumi's first connection (infra/pair.ts).
   */
  hostKey?: pulumi.Output<string>;
  /** What must exist before anything runs there (the server, its network attachment). */
  ready: pulumi.Resource[];
  /** Steps the provider runs there before the bootstrap (its private link, the host firewall). */
  prepare?: { id: string; script: pulumi.Input<string> }[];
}

export type HostCommand = remote.Command | local.Command;

export interface HostCommandArgs {
  /** The whole script; it runs as root on remote hosts. */
  script: pulumi.Input<string>;
  /** Re-run when these change (a script hash, a cell id). */
  triggers?: pulumi.Input<unknown[]>;
  /** Mark stdout/stderr secret (e.g. a step that handles key material). */
  secretOutput?: boolean;
}

/** `bash -c '<script>'`, through `sudo -n -H` unless the user is root. */
export function asRoot(script: string, user: string): string {
  const sudo = user === "root" ? shellCode("") : shellCode("sudo -n -H ");
  return sh`${sudo}bash -c ${script}`.text;
}

export function hostCommand(
  name: string,
  host: LabHost,
  args: HostCommandArgs,
  opts: pulumi.CustomResourceOptions,
): HostCommand {
  const secret = args.secretOutput ? { additionalSecretOutputs: ["stdout", "stderr"] } : {};
  // A secret step's output stays out of the console too, not only out of the state.
  const logging = args.secretOutput ? { logging: "none" as const } : {};
  const dependsOn = [...host.ready, ...toArray(opts.dependsOn)];
  if (!host.connection) {
    return new local.Command(
      name,
      {
        create: args.script,
        interpreter: ["/bin/bash", "-c"],
        triggers: args.triggers,
        addPreviousOutputInEnv: false,
        ...logging,
      },
      { ...opts, ...secret, dependsOn },
    );
  }
  return new remote.Command(
    name,
    {
      connection: host.connection,
      create: pulumi.output(args.script).apply((s) => asRoot(s, host.plan.user)),
      triggers: args.triggers,
      addPreviousOutputInEnv: false,
      ...logging,
    },
    { ...opts, ...secret, dependsOn },
  );
}

function toArray(value: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value as pulumi.Input<pulumi.Resource>];
}
