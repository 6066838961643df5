import type { ArtifactRecipe } from "../../workloads/artifacts/build";
import { dockerPaperRecipe } from "../../workloads/artifacts/recipes";
import { dockerPlatform } from "./docker";
import { gvisorPlatform } from "./gvisor";
import { knobCatalogue } from "./knobs";
import { microvmPlatform } from "./microvm";
import { nanosPlatform } from "./nanos";
import { nativePlatform } from "./native";
import type { Platform } from "./types";

/** Every platform the lab knows, in the order reports list them. Adding one is a module plus a line here. */
const PLATFORMS: readonly Platform[] = [nativePlatform, dockerPlatform, gvisorPlatform, microvmPlatform, nanosPlatform];

/**
 * The registry. Tests may add a platform of their own (`registerPlatform`) and run it through the
 * runner like any other; nothing else in the lab names a platform.
 */
const registry = new Map<string, Platform>();

export function registerPlatform(platform: Platform): void {
  if (!/^[a-z][a-z0-9-]*$/.test(platform.name)) {
    throw new Error(`platform name ${JSON.stringify(platform.name)}: use lowercase letters, digits and dashes`);
  }
  if (registry.has(platform.name)) throw new Error(`platform ${platform.name} is registered twice`);
  knobCatalogue([...registry.values(), platform]); // throws on a knob name two platforms declare
  registry.set(platform.name, platform);
}

for (const platform of PLATFORMS) registerPlatform(platform);

export function platformNames(): string[] {
  return [...registry.keys()];
}

export function allPlatforms(): Platform[] {
  return [...registry.values()];
}

export function isPlatform(name: string): boolean {
  return registry.has(name);
}

export function getPlatform(name: string): Platform {
  const platform = registry.get(name);
  if (!platform) throw new Error(`unknown platform ${JSON.stringify(name)}: use one of ${platformNames().join(", ")}`);
  return platform;
}

/** A platform's start cost in seconds, for an ETA (1 for a name no platform has). */
export function platformStartSeconds(name: string): number {
  return registry.get(name)?.startCostS ?? 1;
}

/** Removes a platform a test registered. */
export function unregisterPlatform(name: string): void {
  registry.delete(name);
}

/**
 * Every artifact the lab can build: what each platform runs, and the paper's own Docker images
 * (built from its Dockerfiles where a registry is reachable, e.g. on the Pulumi lab's SUT).
 */
export function artifactRecipes(): ArtifactRecipe[] {
  const recipes = [...allPlatforms().map((p) => p.artifact), dockerPaperRecipe];
  return [...new Map(recipes.map((recipe) => [recipe.kind, recipe])).values()];
}

export function recipesOf(kinds: readonly string[]): ArtifactRecipe[] {
  const known = artifactRecipes();
  return kinds.map((kind) => {
    const recipe = known.find((r) => r.kind === kind);
    if (!recipe) {
      throw new Error(
        `unknown artifact kind ${JSON.stringify(kind)}: use one of ${known.map((r) => r.kind).join(", ")}`,
      );
    }
    return recipe;
  });
}

/** Whether every knob a cell records is at its default (the paper's setting where the paper had one). */
export function knobsAtDefaults(knobs: Readonly<Record<string, string>>): boolean {
  const catalogue = knobCatalogue(allPlatforms());
  return Object.entries(knobs).every(([name, value]) => {
    const known = catalogue.get(name);
    return known === undefined || known.spec.default === value;
  });
}
