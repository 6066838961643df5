/**
 * load.log as a generator's output minus its per-request lines: k6 prints one "Request Failed"
 * warning per failed request whatever --quiet says (58,466 lines for one OOM cell). Those are
 * counted and summarised in one line at the end; everything else is kept as printed.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export class FilteredLog {
  private readonly fd: number;
  private pending = "";
  private dropped = 0;
  private firstDropped: string | null = null;
  /** A write that failed (a full disk): kept for close(), since write() runs in the child's output events, where a throw would end the lab. */
  private failed: Error | undefined;

  constructor(
    path: string,
    private readonly perRequestLine: RegExp | undefined,
    flags: "w" | "a" = "w",
  ) {
    this.fd = openSync(path, flags);
  }

  write(chunk: string | Buffer): void {
    this.pending += chunk.toString();
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (this.perRequestLine?.test(line)) {
      this.dropped++;
      this.firstDropped ??= line;
      return;
    }
    this.keep(line);
  }

  /** Into the file, unfiltered. */
  private keep(text: string): void {
    if (this.failed) return;
    try {
      writeSync(this.fd, `${text}\n`);
    } catch (error) {
      this.failed = error as Error;
    }
  }

  /** Flush, write the count of left-out lines (with the first one as an example), close; returns the count. */
  close(): number {
    if (this.pending !== "") this.line(this.pending);
    this.pending = "";
    if (this.dropped > 0) {
      // Kept as is: the example is itself a per-request line, which the filter would leave out.
      this.keep(`[lab] ${this.dropped} per-request line(s) left out of this log; the first was:\n${this.firstDropped}`);
    }
    closeSync(this.fd);
    if (this.failed) throw this.failed;
    return this.dropped;
  }
}

/** The same filter for text already in hand (the remote runner's captured output). */
export function filterLogText(text: string, perRequestLine: RegExp | undefined): { text: string; dropped: number } {
  if (!perRequestLine) return { text, dropped: 0 };
  const kept: string[] = [];
  let dropped = 0;
  let first: string | null = null;
  for (const line of text.split("\n")) {
    if (perRequestLine.test(line)) {
      dropped++;
      first ??= line;
    } else kept.push(line);
  }
  if (dropped > 0) kept.push(`[lab] ${dropped} per-request line(s) left out of this log; the first was:`, first ?? "");
  return { text: kept.join("\n"), dropped };
}
