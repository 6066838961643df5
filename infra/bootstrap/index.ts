/**
 * The bootstrap of one host as an ordered list of steps: which steps a host gets follows from its
 * roles, the profile's platforms and whether the lab installs software there at all.
 */

import { sh, shellCode } from "../../core/shell";
import type { Platform } from "../../lab/platforms/types";
import { hostFactsStep, preflightStep } from "./preflight";
import type { StepOutput } from "./shell";
import { sha256, stepScript } from "./shell";
import { aptStep, baseStep, codeStep, goBuildStep, goStep, k6Step, nodeStep, opsStep } from "./steps";
import type { BootstrapContext, PreflightOptions } from "./types";

export interface BootstrapStep {
  id: string;
  script: string;
  /** sha256 of the script: the command's trigger, so only changed steps run again. */
  hash: string;
  output: StepOutput;
}

export interface InstallOptions {
  /** Install pinned software (false: the host's own tools are used and the preflight records them; the code still goes there). */
  install: boolean;
  /** A platform of the profile runs under the Docker engine / needs ops and its kernel (lab/platforms). */
  docker: boolean;
  ops: boolean;
  /** The SUT's own setup of each platform of the profile that declares one (its host.installScript). */
  platformSetups?: readonly PlatformSetup[];
  /** The load generator takes a pinned k6 from the bundle, so no Go/xk6 build is needed. */
  k6FromBundle: boolean;
}

/** A platform's host setup and check, as its module declares them (lab/platforms, Platform.host). */
export interface PlatformSetup {
  platform: string;
  install?: string;
  preflight?: string;
}

/** The setups of the given platforms, from the registry: the bootstrap names no platform itself. */
export function platformSetups(platforms: readonly Platform[]): PlatformSetup[] {
  return platforms
    .filter((p) => p.host?.installScript || p.host?.preflightScript)
    .map((p) => ({ platform: p.name, install: p.host?.installScript, preflight: p.host?.preflightScript }));
}

function platformStep(ctx: BootstrapContext, setup: PlatformSetup, kind: "install" | "preflight"): BootstrapStep {
  const id = `${setup.platform}-${kind === "preflight" ? "check" : "setup"}`;
  // In a subshell: a platform's own script may `exit`, which must end it and not the step around it.
  // The platform's script is shell its module wrote (lab/platforms), not a value.
  const body = sh`(\n${shellCode((kind === "install" ? setup.install : setup.preflight) ?? "")}\n)`;
  return step(id, stepScript({ id, host: ctx.hostLabel, title: `${setup.platform} platform ${kind}`, body }));
}

function step(id: string, script: string, output: StepOutput = "status"): BootstrapStep {
  return { id, script, hash: sha256(script), output };
}

/**
 * Install steps, in order. Preflight and host facts come after the cross-host steps (the lab key,
 * trust of the load generator), so they are separate: see `finalSteps`.
 */
export function installSteps(ctx: BootstrapContext, options: InstallOptions): BootstrapStep[] {
  // Without the install steps a remote host still needs the lab's code (its tools are the user's).
  if (!options.install) return ctx.code ? [step("code", codeStep(ctx))] : [];
  const steps: BootstrapStep[] = [step("base", baseStep(ctx))];
  if (ctx.aptPackages.length > 0) steps.push(step("apt", aptStep(ctx)));
  if (ctx.roles.sut) {
    steps.push(step("go", goStep(ctx)), step("node", nodeStep(ctx)));
    if (options.ops) steps.push(step("ops", opsStep(ctx)));
    for (const setup of options.platformSetups ?? [])
      if (setup.install) steps.push(platformStep(ctx, setup, "install"));
  }
  if (ctx.roles.loadgen) {
    if (!options.k6FromBundle) steps.push(step("go-build", goBuildStep(ctx)));
    steps.push(step("k6", k6Step(ctx)));
  }
  if (ctx.code) steps.push(step("code", codeStep(ctx)));
  return steps;
}

/** Preflight then host facts: the last steps of a host, after everything it depends on. */
export function finalSteps(
  ctx: BootstrapContext,
  preflight: PreflightOptions,
  setups: readonly PlatformSetup[] = [],
): BootstrapStep[] {
  const checks = ctx.roles.sut ? setups.filter((s) => s.preflight).map((s) => platformStep(ctx, s, "preflight")) : [];
  return [
    ...checks,
    step("preflight", preflightStep(ctx, preflight), "value"),
    step("host-facts", hostFactsStep(ctx), "value"),
  ];
}

export { authorizeStep, hostKeyStep, labKeyStep, trustStep } from "./steps";
export type { BootstrapContext, HostRoles, PreflightOptions } from "./types";
