/** Helpers for tests that run the lab: a shipped revision with a changed quick profile, `npm run lab` as a child. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Profile } from "../../core/config/profile";
import type { Revision } from "../../core/config/revision";
import { repoRoot } from "../../core/paths";
import { loadRevision } from "../config/revision";

/** The shipped revision whose `quick` profile has `changes` (made from it) in place of its own fields. */
export function revisionWithQuick(changes: (quick: Profile) => Partial<Profile>): Revision {
  const revision = loadRevision();
  const quick = revision.profiles.quick;
  if (!quick) throw new Error("the shipped revision has no quick profile");
  // The machinery's tests run in matrix order with fixed repetitions unless they ask for more.
  const { order: _order, adaptive: _adaptive, ...fixed } = quick;
  return { ...revision, profiles: { ...revision.profiles, quick: { ...fixed, ...changes(quick) } } };
}

export interface LabChild {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output: () => string;
}

/** Where a test's lab puts its reports: beside its results root, never the checkout's reports/. */
export function reportsBeside(resultsRoot: string): string {
  return `${resultsRoot}-reports`;
}

/**
 * `npm run lab -- --results <resultsRoot> --reports <resultsRoot>-reports <args>` as a child
 * process; `started` collects it for clean-up.
 */
export function startLabCli(resultsRoot: string, args: readonly string[], started?: Set<ChildProcess>): LabChild {
  let text = "";
  const where = ["--results", resultsRoot, "--reports", reportsBeside(resultsRoot)];
  const child = spawn(process.execPath, ["--import", "tsx", "lab/runner/cli.ts", ...where, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started?.add(child);
  child.stdout?.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    text += chunk;
  });
  return { child, output: () => text };
}

/** `startLabCli` to its end: the exit code and everything it printed. */
export async function runLabCli(
  resultsRoot: string,
  args: readonly string[],
  started?: Set<ChildProcess>,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = startLabCli(resultsRoot, args, started);
  const [code] = await once(child, "exit");
  return { code: code as number | null, output: output() };
}
