/**
 * Intervals for sums and ratios of independent group means: the Welch/Satterthwaite t interval
 * the project's per-scenario intervals generalise to, and Fieller's interval for a ratio of two
 * such estimates. Both use the same t quantile as analysis/stats.ts.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { mean, sampleStandardDeviation } from "simple-statistics";
import { CONFIDENCE } from "./stats";

/** The repetitions of one scenario (one group of the comparison). */
export interface Group {
  values: readonly number[];
}

/** An estimate with its 95% interval; the bounds are null when no interval can be formed. */
export interface Estimate {
  value: number;
  low: number | null;
  high: number | null;
}

/** A group's weight in a linear combination: estimate = sum(weight * mean). */
export interface Term {
  group: Group;
  weight: number;
}

const tCritical = (df: number) => tQuantile(1 - (1 - CONFIDENCE) / 2, df);

/** Variance of one group's mean (s^2 / n); null with fewer than two values. */
export function meanVariance(group: Group): number | null {
  if (group.values.length < 2) return null;
  const sd = sampleStandardDeviation([...group.values]);
  return (sd * sd) / group.values.length;
}

/**
 * Welch/Satterthwaite degrees of freedom of sum(w_i^2 v_i); when every variance is 0 the
 * combination is exact and the df is the pooled n - k (the interval then has zero width anyway).
 */
function satterthwaite(parts: { v: number; n: number }[]): number {
  const total = parts.reduce((sum, p) => sum + p.v, 0);
  const denominator = parts.reduce((sum, p) => sum + (p.v * p.v) / (p.n - 1), 0);
  if (denominator === 0)
    return Math.max(
      1,
      parts.reduce((sum, p) => sum + p.n - 1, 0),
    );
  return (total * total) / denominator;
}

export interface Combination extends Estimate {
  /** Variance of the estimate; null without an interval. */
  variance: number | null;
  df: number | null;
}

/**
 * sum(w_i * mean_i) with a Welch/Satterthwaite t interval. Each group must appear once: a group
 * shared by two differences (a platform the knob does not touch) is passed with its net weight.
 */
export function linearCombination(terms: readonly Term[]): Combination {
  const used = terms.filter((t) => t.weight !== 0);
  const value = used.reduce((sum, t) => sum + t.weight * mean([...t.group.values]), 0);
  const parts: { v: number; n: number }[] = [];
  for (const t of used) {
    const v = meanVariance(t.group);
    if (v === null) return { value, low: null, high: null, variance: null, df: null };
    parts.push({ v: t.weight * t.weight * v, n: t.group.values.length });
  }
  const variance = parts.reduce((sum, p) => sum + p.v, 0);
  const df = satterthwaite(parts);
  const half = tCritical(df) * Math.sqrt(variance);
  return { value, low: value - half, high: value + half, variance, df };
}

/**
 * The ratio mean(a) / mean(b) of two independent groups: the interval of log(a / b) by the delta
 * method (var log mean = s^2 / (n mean^2)) with Satterthwaite df, exponentiated; null when a mean is not positive.
 */
export function ratioOfMeans(a: Group, b: Group): Estimate | null {
  const ma = mean([...a.values]);
  const mb = mean([...b.values]);
  if (!(ma > 0 && mb > 0)) return null;
  const value = ma / mb;
  const va = meanVariance(a);
  const vb = meanVariance(b);
  if (va === null || vb === null) return { value, low: null, high: null };
  const pa = { v: va / (ma * ma), n: a.values.length };
  const pb = { v: vb / (mb * mb), n: b.values.length };
  const half = tCritical(satterthwaite([pa, pb])) * Math.sqrt(pa.v + pb.v);
  return { value, low: value * Math.exp(-half), high: value * Math.exp(half) };
}

/**
 * Fieller's interval for N / D where N and D are estimates with variances vN, vD and covariance
 * cND, at `df` degrees of freedom. Bounded only when D is itself significantly different from 0;
 * otherwise `bounded` is false (the ratio can be anything) and the bounds are null.
 */
export function fiellerRatio(
  n: { value: number; variance: number },
  d: { value: number; variance: number },
  covariance: number,
  df: number,
): Estimate & { bounded: boolean } {
  const value = n.value / d.value;
  const t2 = tCritical(df) ** 2;
  const a = d.value * d.value - t2 * d.variance;
  const b = n.value * d.value - t2 * covariance;
  const c = n.value * n.value - t2 * n.variance;
  if (a <= 0) return { value, low: null, high: null, bounded: false };
  const discriminant = b * b - a * c;
  const root = Math.sqrt(Math.max(0, discriminant));
  return { value, low: (b - root) / a, high: (b + root) / a, bounded: true };
}

/** Whether an interval lies entirely on one side of 0. */
export function excludesZero(e: Estimate | null): boolean {
  return e !== null && e.low !== null && e.high !== null && (e.low > 0 || e.high < 0);
}
