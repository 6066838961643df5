import { hasCommand } from "../exec";

/**
 * Whether a test that needs `tool` can run. On a developer machine a missing tool skips the test
 * with the reason printed; in CI (CI=true), where .ci/run installs everything, it fails instead,
 * so a broken install step can never pass as a skip.
 */
export async function skipUnlessTool(tool: string, probeArgs: readonly string[], why: string): Promise<string | false> {
  if (await hasCommand(tool, probeArgs)) return false;
  const reason = `${tool} is not usable here (${why})`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI must provide it (see .ci/run)`);
  process.stdout.write(`# skipped: ${reason}\n`);
  return reason;
}

export const dockerSkip = () =>
  skipUnlessTool("docker", ["info", "--format", "{{.ServerVersion}}"], "needs a running Docker engine");
export const shellcheckSkip = () => skipUnlessTool("shellcheck", ["--version"], "apt-get install shellcheck");
export const goSkip = () => skipUnlessTool("go", ["version"], "apt-get install golang-go");
