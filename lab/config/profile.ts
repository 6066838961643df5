import type { z } from "zod";
import { type Profile, ProfileSchema } from "../../core/config/profile";
import { knobProblems } from "../platforms/knobs";
import { allPlatforms, isPlatform, platformNames } from "../platforms/registry";

type Issue = { path: PropertyKey[]; message: string };

function knobIssues(knobs: Readonly<Record<string, string>>, at: PropertyKey[]): Issue[] {
  return knobProblems(knobs, allPlatforms()).map(({ knob, allowed }) => ({ path: [...at, knob], message: allowed }));
}

/** What the platform registry says is wrong with a profile: unknown platforms, unknown knobs or values. */
export function registryProblems(profile: Profile): Issue[] {
  const issues: Issue[] = [];
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

/** A profile this checkout can run: its shape (core) and its platforms and knobs (the registry). */
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
