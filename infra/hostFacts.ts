/**
 * The host facts a lab host's bootstrap publishes (the `host-facts` step): the same fields the
 * runner records in every manifest (core/results/schema.ts HostFactsSchema), and what only the
 * bootstrap knows besides: the host's role, its clock, the code it runs and the versions found.
 */
import { z } from "zod";
import { HostFactsSchema } from "../core/results/schema";

export const BootstrapHostFactsSchema = HostFactsSchema.extend({
  role: z.enum(["sut", "loadgen", "local"]),
  /** timedatectl's NTPSynchronized ("yes"/"no"), or "unknown" without systemd. */
  clockSynchronised: z.string(),
  /** The sha256 of the code archive the host runs (null before the code is there). */
  codeSha256: z.string().nullable(),
  /** The first line each tool prints for its version, null where it is not installed. */
  versions: z.record(z.string(), z.string().nullable()),
  /** Installed Debian versions of the revision's apt packages, null where not installed. */
  packages: z.record(z.string(), z.string().nullable()),
}).strict();

export type BootstrapHostFacts = z.output<typeof BootstrapHostFactsSchema>;

/** The step's one line, checked: a host whose facts do not parse says which field is wrong. */
export function parseHostFacts(stdout: string | undefined, host: string): BootstrapHostFacts | null {
  const line = stdout?.trim();
  if (!line) return null; // a preview: the step has not run yet
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    throw new Error(`${host}: the host-facts step printed no JSON: ${line.slice(0, 200)}`);
  }
  const parsed = BootstrapHostFactsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${host}: host facts: ${issue?.path.join(".") || "(top level)"}: ${issue?.message}`);
  }
  return parsed.data;
}
