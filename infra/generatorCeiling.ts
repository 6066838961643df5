/**
 * Before any host exists (`pulumi preview`): can the load generator reach what the paper
 * published for this profile's cells? The estimate is the generator's measured ok req/s per core
 * (its plugin's reference) times the load generator's cores; the calibration on the load generator
 * before the sweep measures the real ceiling, and cells near it are flagged generator-bound.
 */

import type { Profile } from "../core/config/profile";
import type { Revision } from "../core/config/revision";
import type { GeneratorName } from "../core/load/types";
import type { PaperReference } from "../core/paperReference";
import { generatorRegistry } from "../lab/load/registry";
import { refusal } from "./refusals";

/** The highest throughput the paper published for cells this profile runs, with where it is from. */
export function paperPeak(profile: Profile, reference: PaperReference): { rps: number; id: string } | null {
  let peak: { rps: number; id: string } | null = null;
  for (const m of reference.measurements) {
    if (m.metric !== "throughputRps" || !profile.runtimes.includes(m.runtime)) continue;
    if (m.workload === "none" || !profile.workloads.includes(m.workload)) continue;
    const inProfile = profile.resources.some(
      (r) => (m.cpus === undefined || r.cpus === m.cpus) && (m.memoryMB === undefined || r.memoryMB === m.memoryMB),
    );
    if (inProfile && (peak === null || m.value > peak.rps)) peak = { rps: m.value, id: m.id };
  }
  return peak;
}

/** A warning when the generator's estimated ceiling on the load generator is below that peak. */
export function generatorCeilingWarning(
  generator: GeneratorName,
  loadgenCores: number | null,
  profile: Profile,
  reference: PaperReference,
): string | null {
  const peak = paperPeak(profile, reference);
  if (peak === null || loadgenCores === null) return null;
  const perCore = generatorRegistry[generator].referenceOkRpsPerCore;
  const estimate = perCore * loadgenCores;
  if (estimate >= peak.rps) return null;
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  return (
    `${generator} on the load generator's ${loadgenCores} cores reaches about ${fmt(estimate)} ok req/s ` +
    `(${fmt(perCore)} per core, measured), below the ${fmt(peak.rps)} req/s the paper published for this profile (${peak.id}): ` +
    `cells near the generator's ceiling will be flagged generator-bound (its calibration before the sweep measures it); ` +
    `a larger load generator or the wrk generator (${fmt(generatorRegistry.wrk.referenceOkRpsPerCore)} per core) reaches further`
  );
}

/** How the Pulumi lab's load generator host gets a generator, or why it cannot (lab/load/plugin.ts pulumiHost). */
function reachOf(name: GeneratorName, revision: Revision): string | null {
  const install = generatorRegistry[name].install;
  const how = install.pulumiHost;
  if (how === "bootstrap" || (how !== undefined && typeof how === "object")) return null;
  if (how === "apt") {
    const pkg = install.aptPackage ? revision.downloads?.apt.packages[install.aptPackage] : undefined;
    if (pkg?.for.includes("loadgen")) return null;
    return `revision ${revision.id} has no apt package ${install.aptPackage ?? name} for the load generator (downloads.apt.packages, for: [loadgen])`;
  }
  return `it installs only ${install.npmPackage ? `as the npm package ${install.npmPackage} of the lab's checkout` : "by hand"}, which the load generator host does not get`;
}

/**
 * Before any host exists: the profile's generator must be one the load generator host installs
 * (its bootstrap builds k6; an apt generator needs its package in the revision; a generator with
 * an install of its own brings it). A refusal names what to change.
 */
export function generatorProblems(profileName: string, revision: Revision, generator: GeneratorName): string[] {
  const why = reachOf(generator, revision);
  if (why === null) return [];
  const reachable = (Object.keys(generatorRegistry) as GeneratorName[]).filter((g) => reachOf(g, revision) === null);
  return [
    refusal(
      "generator-unreachable",
      `profile ${profileName} of revision ${revision.id} runs generator ${generator}, which the Pulumi lab's load generator cannot run (${why}): set generator: ${reachable.join(" or ")} in the profile, or run this profile with npm run lab on one machine (target local)`,
    ),
  ];
}
