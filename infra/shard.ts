/**
 * Sharding the plan across host pairs. A scenario (runtime, workload, CPUs, memory) keeps all its
 * platforms and repetitions on one pair, so a comparison never spans two machines; scenarios go
 * to the least-loaded pair, longest first. One calibration cell runs on every pair, so the pairs
 * can be compared with each other.
 */
import type { Cell } from "../core/matrix";

/** The comparison a cell belongs to: everything but its platform and repetition. */
export function scenarioKey(cell: Cell): string {
  const s = cell.spec;
  return `${s.runtime}|${s.workload}|${s.cpus}cpu|${s.memoryMB}mb`;
}

export interface Shard {
  /** 1-based. */
  pair: number;
  /** The cells this pair owns, in matrix order. */
  cells: Cell[];
  scenarios: string[];
  estimatedSeconds: number;
}

/** Split `cells` over `pairs` pairs by scenario (longest processing time first; ties to the lower pair). */
export function shardCells(cells: readonly Cell[], pairs: number, seconds: (cell: Cell) => number): Shard[] {
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`pairs must be a positive integer, got ${pairs}`);
  const groups = new Map<string, { cells: Cell[]; seconds: number; first: number }>();
  cells.forEach((cell, i) => {
    const key = scenarioKey(cell);
    const group = groups.get(key) ?? { cells: [], seconds: 0, first: i };
    group.cells.push(cell);
    group.seconds += seconds(cell);
    groups.set(key, group);
  });
  const shards: Shard[] = Array.from({ length: pairs }, (_, i) => ({
    pair: i + 1,
    cells: [],
    scenarios: [],
    estimatedSeconds: 0,
  }));
  const order = [...groups.entries()].sort((a, b) => b[1].seconds - a[1].seconds || a[1].first - b[1].first);
  const owner = new Map<string, number>();
  for (const [key, group] of order) {
    const target = shards.reduce((best, s) => (s.estimatedSeconds < best.estimatedSeconds ? s : best));
    target.scenarios.push(key);
    target.estimatedSeconds += group.seconds;
    owner.set(key, target.pair);
  }
  for (const cell of cells) shards[(owner.get(scenarioKey(cell)) as number) - 1]?.cells.push(cell);
  return shards;
}

/**
 * The cell every pair runs besides its own: the first load cell the pairs can all run (a cell that
 * needs KVM is avoided where the SUTs have none), else the first cell. Null for a single pair.
 */
export function calibrationCell(cells: readonly Cell[], pairs: number, runnable: (cell: Cell) => boolean): Cell | null {
  if (pairs < 2) return null;
  return cells.find((c) => c.spec.load !== null && runnable(c)) ?? cells.find(runnable) ?? cells[0] ?? null;
}
