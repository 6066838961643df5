/**
 * The host providers, one module each. Adding a target is one module here, its line in PROVIDERS
 * and its keys in PROVIDER_KEYS (plus its tests, stack file and docs/pulumi-lab.md section); nothing else in
 * infra/ names a provider.
 */
import { HCLOUD_KEYS, hcloudProvider } from "./hcloud";
import { BAREMETAL_KEYS, hcloudBaremetalProvider } from "./hcloudBaremetal";
import { SCALEWAY_KEYS, scalewayProvider } from "./scaleway";
import { localProvider, STATIC_KEYS, staticProvider } from "./static";
import type { HostProvider } from "./types";

export const PROVIDERS = {
  hcloud: hcloudProvider,
  "hcloud-baremetal": hcloudBaremetalProvider,
  scaleway: scalewayProvider,
  static: staticProvider,
  local: localProvider,
} as const satisfies Record<string, HostProvider>;

/** Every provider's keys, typed (a key two providers share has one definition): the config's schema. */
export const PROVIDER_KEYS = { ...HCLOUD_KEYS, ...BAREMETAL_KEYS, ...SCALEWAY_KEYS, ...STATIC_KEYS } as const;

export type Target = keyof typeof PROVIDERS;
export const TARGETS = Object.keys(PROVIDERS) as [Target, ...Target[]];

export function providerOf(target: Target): HostProvider {
  return PROVIDERS[target];
}

export type { HostPlan, HostProvider, PairHosts } from "./types";
