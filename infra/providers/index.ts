/**
 * The host providers, one module each. Adding a target is one module here and one line below
 * (plus its tests, stack file and README section); nothing else in infra/ names a provider.
 */
import { hcloudProvider } from "./hcloud";
import { hcloudBaremetalProvider } from "./hcloudBaremetal";
import { scalewayProvider } from "./scaleway";
import { localProvider, staticProvider } from "./static";
import type { HostProvider } from "./types";

export const PROVIDERS = {
  hcloud: hcloudProvider,
  "hcloud-baremetal": hcloudBaremetalProvider,
  scaleway: scalewayProvider,
  static: staticProvider,
  local: localProvider,
} as const satisfies Record<string, HostProvider>;

export type Target = keyof typeof PROVIDERS;
export const TARGETS = Object.keys(PROVIDERS) as [Target, ...Target[]];

export function providerOf(target: Target): HostProvider {
  return PROVIDERS[target];
}

export type { HostPlan, HostProvider, PairHosts } from "./types";
