/**
 * The lab's clocks. Time to ready starts at a stamp the start script writes right before the
 * launch command (bash's $EPOCHREALTIME: wall-clock seconds with microseconds, read without a
 * fork) and ends at the first HTTP 200, seen on Node's monotonic performance clock.
 */
import { readFileSync } from "node:fs";

/** The line a generated start script puts right before its launch command. */
export const LAUNCH_STAMP_FILE = "launch.stamp";
export const LAUNCH_STAMP_LINE = `echo "$EPOCHREALTIME" > ${LAUNCH_STAMP_FILE}`;

/**
 * Wall-clock minus performance clock, in ms, to a few microseconds: Date.now() counts whole
 * milliseconds, so wait (at most 1 ms) for it to tick and take performance.now() at the edge.
 * Measured afresh for each launch, so the two clocks drifting apart over a long run does not matter.
 */
export function wallMinusPerformanceMs(): number {
  const start = Date.now();
  let now = start;
  let perf = performance.now();
  while (now === start) {
    perf = performance.now();
    now = Date.now();
  }
  return now - perf;
}

/** "1764470000.123456" (bash's $EPOCHREALTIME, any decimal separator) -> wall-clock ms. */
export function parseEpochRealtime(text: string): number | undefined {
  const match = /^(\d+)[.,](\d{6})$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * 1000 + Number(match[2]) / 1000;
}

/** The launch stamp of an instance on the performance clock, or undefined where none was written. */
export function readLaunchStamp(path: string, wallMinusPerf = wallMinusPerformanceMs()): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const wallMs = parseEpochRealtime(text);
  return wallMs === undefined ? undefined : wallMs - wallMinusPerf;
}
