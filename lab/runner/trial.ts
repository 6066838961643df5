/**
 * A platform counts as available only once it has started and stopped an instance here: a
 * Docker engine that answers `docker info` but cannot start a container, a runtime whose sandbox
 * cannot come up, or a VM that does not boot are found in seconds, before the sweep, with the
 * platform's own error, instead of as a column of timeouts.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Runtime } from "../../core/model";
import { lastLinesExcerpt } from "../../core/text";
import { instanceContext } from "../platforms/context";
import { type LaunchedInstance, launchInstance } from "../platforms/instance";
import type { Platform } from "../platforms/types";
import { waitForInstance } from "../ready";

export interface TrialOptions {
  platform: Platform;
  runtime: Runtime;
  artifact: string;
  /** The profile's knobs: the trial runs the platform as the cells will. */
  knobs: Readonly<Record<string, string>>;
  workDir: string;
  runId: string;
  bindAddress: string;
  emulated: boolean;
  allowEmulation: boolean;
  timeoutMs: number;
}

/**
 * `commandLine`: the VM's exact QEMU command line, where the platform's start script recorded it
 * (qemu.cmdline, one argument per line): the manifest keeps it and the report sets the VM rows'
 * side by side.
 *
 * `instanceS`: the whole trial, from its scripts to its stop: what one instance costs here (the ETA's measure).
 */
export type TrialOutcome =
  | { ok: true; ttrMs: number; instanceS: number; commandLine: string[] | null }
  | { ok: false; reason: string };

/** The argv a start script recorded in qemu.cmdline, or null. */
export function recordedCommandLine(workDir: string): string[] | null {
  const file = join(workDir, "qemu.cmdline");
  if (!existsSync(file)) return null;
  const argv = readFileSync(file, "utf8").split("\n");
  while (argv.length > 0 && argv[argv.length - 1] === "") argv.pop();
  return argv.length > 0 ? argv : null;
}

/** The end of a log, quoted in the skip reason: plain text on one line (core/text.ts). */
function lastLines(text: string, count = 5): string {
  return lastLinesExcerpt(text, count, 500);
}

/** Start one instance with room to spare (1 CPU, 256 MB), wait for its first 200, stop it. */
export async function trialStart(options: TrialOptions): Promise<TrialOutcome> {
  const { platform } = options;
  const started = performance.now();
  mkdirSync(options.workDir, { recursive: true });
  const context = await instanceContext({
    ...options,
    label: `trial-${platform.name}`,
    resources: { cpus: 1, memoryMB: 256 },
  });
  let instance: LaunchedInstance | undefined;
  try {
    instance = await launchInstance(platform, context);
    const ready = await waitForInstance(instance, "/io", options.timeoutMs);
    await instance.stop();
    return {
      ok: true,
      ttrMs: ready.elapsedMs,
      instanceS: (performance.now() - started) / 1000,
      commandLine: recordedCommandLine(context.workDir),
    };
  } catch (error) {
    const launchError = instance?.launchError();
    await instance?.cleanup();
    const why = launchError ?? `${(error as Error).message}${instance ? `; log: ${lastLines(instance.output())}` : ""}`;
    return { ok: false, reason: `${platform.name}: a trial instance did not start: ${lastLines(why)}` };
  }
}
