/**
 * The one lookup of a profile in a revision, with the one error for a name it lacks. The local
 * runner (`--profile`) and the Pulumi lab (`edge-lab:profile`) both ask here; each names where the
 * value came from in front of the message.
 */
import type { Profile } from "./profile";
import type { Revision } from "./revision";

/** Null when the revision has the profile, else what is wrong (the value and the names allowed). */
export function profileProblem(revision: Revision, name: string): string | null {
  if (Object.hasOwn(revision.profiles, name)) return null;
  return `profile ${JSON.stringify(name)} is not in revision ${revision.id}: use one of ${Object.keys(revision.profiles).join(", ")}`;
}

/** The profile, or an error `wrap` makes from the problem (a UsageError, a ConfigError, ...). */
export function profileOf(revision: Revision, name: string, wrap: (problem: string) => Error): Profile {
  const problem = profileProblem(revision, name);
  if (problem) throw wrap(problem);
  return revision.profiles[name] as Profile;
}
