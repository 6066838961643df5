import type { z } from "zod";
import { type Profile, ProfileSchema } from "../../core/config/profile";
import { isWorkload, workloadNames } from "../../workloads/endpoints";
import { isRuntime, runtimeNames } from "../../workloads/runtimes/registry";
import { knobProblems } from "../platforms/knobs";
import { allPlatforms, isPlatform, platformNames } from "../platforms/registry";

type Issue = { path: PropertyKey[]; message: string };

function knobIssues(knobs: Readonly<Record<string, string>>, at: PropertyKey[]): Issue[] {
  return knobProblems(knobs, allPlatforms()).map(({ knob, allowed }) => ({ path: [...at, knob], message: allowed }));
}

/** Names the registry lacks, each at its place in the profile. */
function unknownNames(
  names: readonly string[],
  at: PropertyKey[],
  known: (name: string) => boolean,
  what: string,
  allowed: readonly string[],
): Issue[] {
  return names.flatMap((name, index) =>
    known(name) ? [] : [{ path: [...at, index], message: `no such ${what}: use one of ${allowed.join(", ")}` }],
  );
}

/**
 * What the registries say is wrong with a profile: unknown runtimes, workloads or platforms
 * (workloads/runtimes/registry.ts, workloads/endpoints.ts, lab/platforms/registry.ts), unknown
 * knobs or values.
 */
export function registryProblems(profile: Profile): Issue[] {
  const issues: Issue[] = [];
  const runtimes = runtimeNames();
  const workloads = workloadNames();
  const isWorkloadOrStartup = (name: string) => name === "startup" || isWorkload(name);
  issues.push(...unknownNames(profile.runtimes, ["runtimes"], isRuntime, "runtime", runtimes));
  issues.push(...unknownNames(profile.workloads, ["workloads"], isWorkload, "workload", workloads));
  profile.resources.forEach((level, index) => {
    const at = ["resources", index];
    issues.push(...unknownNames(level.runtimes ?? [], [...at, "runtimes"], isRuntime, "runtime", runtimes));
    issues.push(
      ...unknownNames(level.workloads ?? [], [...at, "workloads"], isWorkloadOrStartup, "workload", [
        ...workloads,
        "startup",
      ]),
    );
  });
  const cross = profile.crossCheck;
  issues.push(...unknownNames(cross?.runtimes ?? [], ["crossCheck", "runtimes"], isRuntime, "runtime", runtimes));
  issues.push(...unknownNames(cross?.workloads ?? [], ["crossCheck", "workloads"], isWorkload, "workload", workloads));
  profile.platforms.forEach((name, index) => {
    if (!isPlatform(name)) {
      issues.push({
        path: ["platforms", index],
        message: `no such platform: use one of ${platformNames().join(", ")}`,
      });
    }
  });
  issues.push(...knobIssues(profile.knobs, ["knobs"]));
  (profile.knobVariants ?? []).forEach((variant, index) => {
    issues.push(...knobIssues(variant, ["knobVariants", index]));
  });
  return issues;
}

/** A profile this checkout can run: its shape (core) and its runtimes, workloads, platforms and knobs (the registries). */
export const RunnableProfileSchema = ProfileSchema.superRefine((profile, ctx) => {
  for (const { path, message } of registryProblems(profile)) ctx.addIssue({ code: "custom", message, path });
});

export function addRegistryIssues(profiles: Readonly<Record<string, Profile>>, ctx: z.RefinementCtx): void {
  for (const [name, profile] of Object.entries(profiles)) {
    for (const { path, message } of registryProblems(profile)) {
      ctx.addIssue({ code: "custom", message, path: ["profiles", name, ...path] });
    }
  }
}
