/** How an instance ended, as far as the platform can tell. */
export interface InstanceExit {
  exitCode: number | null;
  signal: string | null;
  /** The kernel's (cgroup's) OOM killer ended it. */
  oomKilled: boolean;
}

/** A running app on some platform, reachable over HTTP. */
export interface LaunchedInstance {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** performance.now() taken just before the launch command was issued: the start of TTR. */
  launchedAt: number;
  /**
   * Resolves once polling the instance cannot disturb it (for Docker: `docker run -d` returned,
   * so the container's network exists); rejects when the launch itself failed.
   */
  started: Promise<void>;
  isAlive(): boolean;
  /** What the instance printed (stdout and stderr interleaved); for Docker, complete after stop(). */
  output(): string;
  /** Ask it to stop (SIGTERM or the platform's equivalent), wait, and report how it ended. */
  stop(graceMs?: number): Promise<InstanceExit>;
}

/** Collect a child's output with a cap, so a chatty app cannot exhaust the runner's memory. */
export class OutputBuffer {
  private text = "";
  constructor(private readonly limit = 256 * 1024) {}
  append(chunk: Buffer | string): void {
    if (this.text.length < this.limit) this.text += chunk.toString();
  }
  toString(): string {
    return this.text;
  }
}
