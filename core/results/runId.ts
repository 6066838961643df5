/**
 * The one rule for run ids. A run id names a folder (results/<runId>), appears in resume commands
 * and in Pulumi resource triggers, so it is one plain path segment: the local runner's
 * `--run-id`/`--resume` and the stack's `edge-lab:runId` are checked here and nowhere else.
 */
import { randomBytes } from "node:crypto";
import { InputError } from "../config/errors";

export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** What the rule allows, in words, for error messages. */
export const RUN_ID_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)";

/** Null when `runId` is allowed, else what is wrong with it (naming the value). */
export function runIdProblem(runId: string): string | null {
  return RUN_ID_PATTERN.test(runId) ? null : `run id ${JSON.stringify(runId)} is not allowed: use ${RUN_ID_RULE}`;
}

/** A new run's id: time, profile and a random suffix (20250101-120000-quick-1a2b). */
export function newRunId(profileName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${profileName}-${randomBytes(2).toString("hex")}`;
}

/** Refuse a run id that is not a plain folder name, naming where it came from (`--resume`, `--run-id`). */
export function checkRunId(where: string, runId: string): string {
  if (RUN_ID_PATTERN.test(runId)) return runId;
  const shown = JSON.stringify(runId.length > 80 ? `${runId.slice(0, 77)}...` : runId);
  throw new InputError(`${where} ${shown} is not allowed: use ${RUN_ID_RULE}`);
}
