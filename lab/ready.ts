import http from "node:http";

export interface ReadyResult {
  /** Milliseconds from `since` (or the launch command's stamp, see waitForInstance) to the first HTTP 200. */
  elapsedMs: number;
  attempts: number;
  /** performance.now() when the first HTTP 200 arrived. */
  readyAt: number;
  /** Where the clock started: the launch command's own stamp, or the harness spawning the start script. */
  clock: "launch-command" | "harness";
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
 * performance.now() taken just before it) to the first HTTP 200.
 *
 * A new attempt starts every `intervalMs` (1 ms by default) while earlier ones are still in
 * flight, and the first 200 from any of them wins. Waiting for each attempt to finish would
 * quantise the result: Docker's proxy accepts a connection before the container's network is
 * up, and its SYN to the container is only retransmitted after TCP's 1 s initial timeout.
 */
export function waitForReady(
  url: string,
  since: number,
  options: { timeoutMs?: number; intervalMs?: number; maxInFlight?: number; isAlive?: () => boolean } = {},
): Promise<ReadyResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 1;
  const maxInFlight = options.maxInFlight ?? 64;
  return new Promise((resolve, reject) => {
    let attempts = 0;
    let inFlight = 0;
    let done = false;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      outcome();
    };
    const tick = () => {
      if (done) return;
      const elapsed = performance.now() - since;
      if (elapsed > timeoutMs) {
        finish(() => reject(new Error(`${url}: no HTTP 200 within ${timeoutMs} ms (${attempts} attempts)`)));
        return;
      }
      if (options.isAlive && !options.isAlive()) {
        finish(() => reject(new Error(`${url}: the instance exited before it was ready`)));
        return;
      }
      if (inFlight >= maxInFlight) return;
      attempts++;
      inFlight++;
      httpStatus(url, 5_000)
        .then((status) => {
          if (status === 200) {
            const readyAt = performance.now();
            finish(() => resolve({ elapsedMs: readyAt - since, attempts, readyAt, clock: "harness" }));
          }
        })
        .catch(() => undefined) // not listening yet
        .finally(() => {
          inFlight--;
        });
    };
    // The first probe goes out at once; later ones every intervalMs.
    const ticker = setInterval(tick, intervalMs);
    tick();
  });
}

/**
 * TTR of a launched instance: from the stamp its start script wrote right before the launch
 * command (`docker run`, `qemu ...`, the exec of the binary) to the first HTTP 200, so the lab's
 * own wrappers stay off the clock. Without a stamp the clock starts where the harness spawned the
 * start script (`clock: "harness"`). Probing begins at once where the platform allows it,
 * otherwise when the launch command has returned; a failed launch rejects.
 */
export async function waitForInstance(
  instance: {
    baseUrl: string;
    launchedAt: number;
    started: Promise<void>;
    probeDuringStart: boolean;
    isAlive: () => boolean;
    launchStamp: () => number | undefined;
  },
  path = "/io",
  timeoutMs = 30_000,
): Promise<ReadyResult> {
  if (!instance.probeDuringStart) await instance.started;
  const probing = waitForReady(`${instance.baseUrl}${path}`, instance.launchedAt, {
    timeoutMs,
    isAlive: instance.isAlive,
  });
  // Whichever settles first: readiness, or the launch command failing.
  const launchFailure = instance.started.then(
    () => new Promise<never>(() => {}),
    (error: unknown) => Promise.reject(error),
  );
  const ready = instance.probeDuringStart ? await Promise.race([probing, launchFailure]) : await probing;
  const stamp = instance.launchStamp();
  if (stamp === undefined || stamp < instance.launchedAt || stamp > ready.readyAt) return ready;
  return { ...ready, elapsedMs: ready.readyAt - stamp, clock: "launch-command" };
}
