/**
 * The bootstrap of one host as an ordered list of steps: which steps a host gets follows from its
 * roles, the plugins of the profile (its platforms and its load generator, each with what it
 * installs: lab/install.ts) and whether the lab installs software there at all.
 */

import { type Shell, sh, shellCode, shellEnv } from "../../core/shell";
import { hostFactsStep, preflightStep } from "./preflight";
import type { StepOutput } from "./shell";
import { sha256, stepScript } from "./shell";
import { aptStep, baseStep, codeStep, goBuildStep, goStep, k6Step, nodeStep } from "./steps";
import type { BootstrapContext, PluginSetup, PreflightOptions } from "./types";

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
  /** A platform of the profile runs under the Docker engine (lab/platforms). */
  docker: boolean;
  /** The installs of the profile's plugins, each on its role's hosts (infra/installs.ts). */
  plugins?: readonly PluginSetup[];
  /** The load generator takes a pinned k6 from the bundle, so no Go/xk6 build is needed. */
  k6FromBundle: boolean;
}

/** The plugins that go on a host, by its roles (the local target is both). */
export function pluginsFor(ctx: BootstrapContext, plugins: readonly PluginSetup[] = []): PluginSetup[] {
  return plugins.filter((p) => (p.role === "sut" ? ctx.roles.sut : ctx.roles.loadgen));
}

/**
 * A plugin's own shell, run in a subshell (it may `exit`) with its downloads' variables; what it
 * reports with `changed` and a clean `fail` reach the step through files (helpers.sh).
 */
export function pluginShell(setup: PluginSetup, script: string): Shell {
  // The plugin's script is shell its module wrote (lab/platforms, lab/load), not a value.
  // Each plugin's downloads are exported in a subshell of its own on purpose: two plugins may name
  // the same download (nanos and nanos-direct both take the Nanos release), each sees only its own.
  return sh`plugin_changes=$(mktemp)
plugin_failed=$(mktemp -u)
# shellcheck disable=SC2030,SC2031
(
${shellEnv(setup.env)}
${shellCode(script)}
)
while IFS= read -r plugin_change; do changes+=("$plugin_change"); done <"$plugin_changes"
rm -f "$plugin_changes"
plugin_changes=""`;
}

function pluginStep(ctx: BootstrapContext, setup: PluginSetup): BootstrapStep {
  const id = `${setup.plugin}-setup`;
  const body = pluginShell(setup, setup.install ?? "");
  return step(id, stepScript({ id, host: ctx.hostLabel, title: `${setup.plugin}: its install`, body }));
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
  if (ctx.roles.sut) steps.push(step("go", goStep(ctx)), step("node", nodeStep(ctx)));
  if (ctx.roles.loadgen) {
    if (!options.k6FromBundle) steps.push(step("go-build", goBuildStep(ctx)));
    steps.push(step("k6", k6Step(ctx)));
  }
  for (const setup of pluginsFor(ctx, options.plugins)) if (setup.install) steps.push(pluginStep(ctx, setup));
  if (ctx.code) steps.push(step("code", codeStep(ctx)));
  return steps;
}

/** Preflight then host facts: the last steps of a host, after everything it depends on. */
export function finalSteps(ctx: BootstrapContext, preflight: PreflightOptions): BootstrapStep[] {
  return [step("preflight", preflightStep(ctx, preflight), "value"), step("host-facts", hostFactsStep(ctx), "value")];
}

export { authorizeStep, hostKeyStep, labKeyStep, trustStep } from "./steps";
export type { BootstrapContext, HostRoles, PluginSetup, PreflightOptions } from "./types";
