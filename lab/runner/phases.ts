import type { CellPhase } from "../../core/results/schema";

/**
 * Wall time per phase of one cell, so the runner's own cost (what a cell takes beyond its TTR,
 * warm-up and load) can be told apart by phase (bench/runner.ts prints it). A phase met more
 * than once (a startup cell's launches) adds up.
 */
export class PhaseClock {
  private readonly spentMs = new Map<CellPhase, number>();

  add(phase: CellPhase, ms: number): void {
    this.spentMs.set(phase, (this.spentMs.get(phase) ?? 0) + Math.max(0, ms));
  }

  /** Time `work` as `phase`, whether it resolves or throws. */
  async time<T>(phase: CellPhase, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  /** Time synchronous `work` as `phase`. */
  timeSync<T>(phase: CellPhase, work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  /** Seconds per phase met, to the millisecond. */
  seconds(): Partial<Record<CellPhase, number>> {
    return Object.fromEntries([...this.spentMs].map(([phase, ms]) => [phase, Math.round(ms) / 1000]));
  }
}
