/**
 * The trust between the two hosts of a pair: the SUT's lab key (made there once) is authorized on
 * the load generator, restricted to the SUT's lab address (the step is a secret); the SUT trusts
 * exactly the load generator's host key, read over Pulumi's own connection (no trust on first use).
 */
import * as pulumi from "@pulumi/pulumi";
import { authorizeStep, type BootstrapContext, hostKeyStep, labKeyStep, trustStep } from "./bootstrap";
import { StepChain } from "./hostBootstrap";
import type { LabHost } from "./hostCommand";

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

export interface HostTrustArgs {
  sut: LabHost;
  loadgen: LabHost;
  sutCtx: BootstrapContext;
  loadgenCtx: BootstrapContext;
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
    const lgKey = new StepChain(
      `${args.loadgenName}-key`,
      { host: loadgen, steps: [{ id: "host-key", script: hostKeyStep(loadgenCtx) }], after: args.loadgenAfter },
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
        after: [...lgKey.last, ...sutKey.last],
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
              .all([loadgen.labAddress, lgKey.stdout("host-key")])
              .apply(([address, hostKey]) => trustStep(sutCtx, address, hostKey)),
          },
        ],
        after: [...sutKey.last, ...lgKey.last],
      },
      child,
    );
    this.sutReady = trust.last;
    this.loadgenReady = access.last;
    this.registerOutputs({});
  }
}
