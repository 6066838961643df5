import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

export interface ReadyResult {
  /** Milliseconds from `since` to the first HTTP 200. */
  elapsedMs: number;
  attempts: number;
}

/** One GET with no connection reuse; resolves to the status code, rejects on a network error. */
export function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

/**
 * Time to ready as the paper defines it: from the launch command being issued (`since`, a
 * performance.now() taken just before it) to the first HTTP 200. Polls every `intervalMs`
 * (1 ms by default): a refused or reset connection (Docker's proxy accepts before the app
 * listens) just means "not yet".
 */
export async function waitForReady(
  url: string,
  since: number,
  options: { timeoutMs?: number; intervalMs?: number; isAlive?: () => boolean } = {},
): Promise<ReadyResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 1;
  let attempts = 0;
  while (performance.now() - since < timeoutMs) {
    attempts++;
    try {
      if ((await httpStatus(url, 1_000)) === 200) return { elapsedMs: performance.now() - since, attempts };
    } catch {
      // not listening yet
    }
    if (options.isAlive && !options.isAlive()) throw new Error(`${url}: the instance exited before it was ready`);
    await sleep(intervalMs);
  }
  throw new Error(`${url}: no HTTP 200 within ${timeoutMs} ms (${attempts} attempts)`);
}
