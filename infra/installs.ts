/**
 * The plugins' installs (lab/install.ts), gathered from the registries: which plugin a host runs,
 * the revision downloads each fetches (what the lock covers), and each download as the plugin's
 * scripts get it. The lock, the plan, the bootstrap, the clean-up on destroy and
 * scripts/installPlugins.ts read them here; none of them names a plugin.
 */

import type { Profile } from "../core/config/profile";
import type { Download, Downloads, Revision } from "../core/config/revision";
import type { GeneratorName } from "../core/load/types";
import { type DownloadValues, downloadEnv, type HostInstall } from "../lab/install";
import { allInstalls, type PluginInstall, type PluginSources, registeredSources } from "../lab/installs";
import { generatorRegistry } from "../lab/load/registry";
import { getPlatform } from "../lab/platforms/registry";
import type { PluginSetup } from "./bootstrap/types";
import { refusal } from "./refusals";

// The registered plugins' installs are the engine's (lab/installs.ts): the Pulumi lab reads them here.
export { allInstalls, type PluginInstall, type PluginSources, registeredSources };

/** The downloads every revision file keeps outside any plugin (the lab's own toolchains). */
const LAB_DOWNLOADS = ["go", "goBuild"] as const;
/** Keys of `downloads` that are not files a host fetches. */
const NOT_FILES = new Set(["apt", "npm", "xk6", "k6Binary"]);

/** The generator the Pulumi lab's load generator runs for a profile (`auto`: k6, the one its bootstrap builds). */
export function pulumiGenerator(profile: Profile): GeneratorName {
  return profile.generator === undefined || profile.generator === "auto" ? "k6" : profile.generator;
}

/** The installs of a profile's hosts: its platforms' on the SUT, its generator's on the load generator. */
export function profileInstalls(profile: Profile, sources: PluginSources = registeredSources()): PluginInstall[] {
  const platforms = profile.platforms.map(
    (name) => sources.platforms.find((p) => p.name === name) ?? getPlatform(name),
  );
  const generatorName = pulumiGenerator(profile);
  const generator = sources.generators.find((g) => g.name === generatorName) ?? generatorRegistry[generatorName];
  return allInstalls({ platforms, generators: [generator] });
}

/** The revision downloads these installs fetch, once each, in order. */
export function pluginDownloadKeys(installs: readonly PluginInstall[]): string[] {
  return [...new Set(installs.flatMap((p) => Object.keys(p.install.downloads ?? {})))];
}

/** Every download the lock can cover: the lab's toolchains and every registered plugin's files. */
export function lockableDownloads(sources: PluginSources = registeredSources()): string[] {
  return [...LAB_DOWNLOADS, ...pluginDownloadKeys(allInstalls(sources))];
}

/**
 * A file of the revision's downloads by key: the toolchains' or a plugin's. Undefined when the
 * revision does not name it; an error when the key is one of the lab's other entries (apt, npm).
 */
export function downloadOf(downloads: Downloads, key: string): Download | undefined {
  if (NOT_FILES.has(key)) throw new Error(`downloads.${key} is not a file a host fetches: a plugin cannot declare it`);
  const entry = (downloads as Record<string, unknown>)[key];
  return entry === undefined ? undefined : (entry as Download);
}

/** The version a download is of: the toolchains' own, or the revision version its plugin names. */
export function downloadVersion(
  key: string,
  revision: Revision,
  sources: PluginSources = registeredSources(),
): string | undefined {
  if (key === "go") return revision.versions.go;
  if (key === "goBuild") return revision.downloads?.goBuild.version;
  for (const p of allInstalls(sources)) {
    const versionKey = p.install.downloads?.[key];
    if (versionKey) return (revision.versions as Record<string, string | undefined>)[versionKey];
  }
  return undefined;
}

/**
 * Problems with a profile's plugin downloads in a revision: a file the revision does not name, or
 * a version key it does not pin. Each names the plugin and the key.
 */
export function downloadProblems(revision: Revision, installs: readonly PluginInstall[]): string[] {
  const problems: string[] = [];
  for (const p of installs) {
    for (const [key, versionKey] of Object.entries(p.install.downloads ?? {})) {
      const d = revision.downloads ? downloadOf(revision.downloads, key) : undefined;
      if (!d)
        problems.push(`${p.kind} ${p.name} fetches downloads.${key}, which revision ${revision.id} does not name`);
      const versions = revision.versions as Record<string, string | undefined>;
      if (versionKey && versions[versionKey] === undefined) {
        problems.push(
          `${p.kind} ${p.name}: downloads.${key} is of versions.${versionKey}, which revision ${revision.id} does not pin`,
        );
      }
    }
  }
  return problems;
}

/**
 * A profile's plugins whose packages the hosts' OS does not carry (`vendorAptPackages`, e.g.
 * runsc on Ubuntu 24.04): each must be in the revision's apt packages, for the plugin and from a
 * repository the revision names (its key held to a fingerprint). A refusal names what to add.
 */
export function vendorPackageProblems(
  profileName: string,
  revision: Revision,
  installs: readonly PluginInstall[],
): string[] {
  const apt = revision.downloads?.apt;
  const problems: string[] = [];
  for (const p of installs) {
    for (const pkg of p.install.vendorAptPackages ?? []) {
      const entry = apt?.packages[pkg];
      const missing = !entry
        ? `names no apt package ${pkg}`
        : !entry.for.includes(p.name)
          ? `names apt package ${pkg} but not for ${p.name} (for: [${entry.for.join(", ")}])`
          : entry.from === undefined
            ? `takes apt package ${pkg} from the OS archive, which has none`
            : apt?.repositories[entry.from] === undefined
              ? `takes apt package ${pkg} from repository ${entry.from}, which it does not name`
              : null;
      if (missing === null) continue;
      problems.push(
        refusal(
          "vendor-repository-missing",
          `profile ${profileName} runs ${p.name}, which needs ${pkg} from its vendor's apt repository (Ubuntu 24.04, the hosts' OS, has no ${pkg}), and revision ${revision.id} ${missing}: add the repository under downloads.apt.repositories (url, suite, components, and key: { url, fingerprint } with the fingerprint as you checked it) and downloads.apt.packages.${pkg}: { version, for: [${p.name}], from: <that repository> }, or leave ${p.name} out of the profile's platforms`,
        ),
      );
    }
  }
  return problems;
}

/**
 * A plugin's downloads as its scripts get them (lab/install.ts downloadEnv): every file with its
 * sha256, which the revision or its lock gave (infra/lock.ts runs first; a file not locked yet has
 * an empty sha256, which the plan refuses wherever the file is installed: stackPlan.ts).
 */
export function downloadValues(
  install: HostInstall,
  revision: Revision,
  downloads: Downloads,
): Record<string, DownloadValues> {
  const values: Record<string, DownloadValues> = {};
  for (const [key, versionKey] of Object.entries(install.downloads ?? {})) {
    const d = downloadOf(downloads, key);
    if (!d) throw new Error(`downloads.${key} is not in revision ${revision.id} (the plan names it first)`);
    const version = versionKey ? ((revision.versions as Record<string, string | undefined>)[versionKey] ?? null) : null;
    values[key] = { file: d.file, url: d.url, sha256: d.sha256 ?? "", version };
  }
  return values;
}

/** The installs as the bootstrap runs them, with their downloads' variables (infra/bootstrap). */
export function pluginSetups(
  installs: readonly PluginInstall[],
  revision: Revision,
  downloads: Downloads,
): PluginSetup[] {
  return installs.map((p) => ({
    plugin: p.name,
    role: p.role,
    env: downloadEnv(downloadValues(p.install, revision, downloads)),
    ...(p.install.installScript ? { install: p.install.installScript } : {}),
    ...(p.install.preflightScript ? { preflight: p.install.preflightScript } : {}),
    ...(p.install.removeScript ? { remove: p.install.removeScript } : {}),
  }));
}
