/**
 * The registered plugins' installs (lab/install.ts says what one is): every platform's `host` and
 * every generator's `install.pulumiHost`, one list for the revision's checks (lab/config), the
 * Pulumi lab (infra/installs.ts) and the local install script.
 */
import type { HostInstall } from "./install";
import type { LoadGenerator } from "./load/plugin";
import { generatorRegistry } from "./load/registry";
import { allPlatforms } from "./platforms/registry";
import type { Platform } from "./platforms/types";

/** One plugin's install, and the host of a pair it goes on. */
export interface PluginInstall {
  /** The platform's or the generator's name. */
  name: string;
  kind: "platform" | "generator";
  /** Platforms go on the SUT, generators on the load generator. */
  role: "sut" | "loadgen";
  install: HostInstall;
}

/** Where the plugins come from (the registries; a test passes its own). */
export interface PluginSources {
  platforms: readonly Platform[];
  generators: readonly LoadGenerator[];
}

export function registeredSources(): PluginSources {
  return { platforms: allPlatforms(), generators: Object.values(generatorRegistry) };
}

function platformInstall(p: Platform): PluginInstall | null {
  return p.host ? { name: p.name, kind: "platform", role: "sut", install: p.host } : null;
}

function generatorInstall(g: LoadGenerator): PluginInstall | null {
  const host = g.install.pulumiHost;
  return host && typeof host === "object" ? { name: g.name, kind: "generator", role: "loadgen", install: host } : null;
}

/** Every plugin that declares an install. */
export function allInstalls(sources: PluginSources = registeredSources()): PluginInstall[] {
  return [...sources.platforms.map(platformInstall), ...sources.generators.map(generatorInstall)].filter(
    (p): p is PluginInstall => p !== null,
  );
}
