/**
 * The trust between the two hosts of a pair: the SUT's lab key (made there once) is authorized on
 * the load generator, restricted to the SUT's lab address (the step is a secret); the SUT trusts
 * exactly the load generator's pinned host key (the one the program gave its cloud-init, the one
 * you gave, or the one read over Pulumi's connection: infra/pair.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { authorizeStep, type BootstrapContext, labKeyStep, trustStep } from "./bootstrap";
import { StepChain } from "./hostBootstrap";
import type { LabHost } from "./hostCommand";

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

export interface HostTrustArgs {
  sut: LabHost;
  loadgen: LabHost;
  sutCtx: BootstrapContext;
  loadgenCtx: BootstrapContext;
  /** The load generator's pinned host key (`ssh-ed25519 AAAA...`). */
  loadgenHostKey: pulumi.Output<string>;
  /** The end of each host's bootstrap. */
  sutAfter: pulumi.Resource[];
  loadgenAfter: pulumi.Resource[];
  /** Resource name prefix of the SUT's chains ("<name>-sut" style names stay readable). */
  sutName: string;
  loadgenName: string;
}

export class HostTrust extends pulumi.ComponentResource {
  /** The SUT may use the load generator once these are done. */
  readonly sutReady: pulumi.Resource[];
  /** The load generator is fully set up once these are done. */
  readonly loadgenReady: pulumi.Resource[];

  constructor(name: string, args: HostTrustArgs, opts?: pulumi.ComponentResourceOptions) {
    super("edgelab:infra:HostTrust", name, {}, opts);
    const child = { parent: this };
    const { sut, loadgen, sutCtx, loadgenCtx } = args;
    const sutKey = new StepChain(
      `${args.sutName}-key`,
      { host: sut, steps: [{ id: "lab-key", script: labKeyStep(sutCtx) }], after: args.sutAfter },
      child,
    );
    const from = sut.labAddress.apply((a) => (IPV4.test(a) ? a : null));
    const access = new StepChain(
      `${args.loadgenName}-access`,
      {
        host: loadgen,
        steps: [
          {
            id: "authorize-sut",
            script: pulumi.secret(
              pulumi
                .all([sutKey.stdout("lab-key"), from])
                .apply(([key, address]) => authorizeStep(loadgenCtx, key, address)),
            ),
            secretOutput: true,
          },
        ],
        after: [...args.loadgenAfter, ...sutKey.last],
      },
      child,
    );
    const trust = new StepChain(
      `${args.sutName}-trust`,
      {
        host: sut,
        steps: [
          {
            id: "trust-loadgen",
            script: pulumi
              .all([loadgen.labAddress, args.loadgenHostKey])
              .apply(([address, hostKey]) => trustStep(sutCtx, address, hostKey)),
          },
        ],
        after: [...sutKey.last, ...args.loadgenAfter],
      },
      child,
    );
    this.sutReady = trust.last;
    this.loadgenReady = access.last;
    this.registerOutputs({});
  }
}
