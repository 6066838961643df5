import { InputError } from "./errors";

/**
 * A run id is a folder name under the results root: letters, digits, '.', '_' and '-', starting
 * with a letter or digit, so no id is a path ("..", "a/b") or an option ("-x"). 200 characters at
 * most: a file name has 255 bytes and the runner adds to it.
 */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Refuse a run id that is not a plain folder name, naming where it came from (`--resume`, `--run-id`). */
export function checkRunId(where: string, runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw new InputError(
      `${where} ${JSON.stringify(runId).slice(0, 80)} is not allowed: use letters, digits, '.', '_' and '-' (at most 200, starting with a letter or digit)`,
    );
  }
  return runId;
}
