// The t quantile (core/robust.ts, shared with the runner's adaptive repetitions) comes from @stdlib/stats-base-dists-t-quantile: stdlib is actively maintained,
// tests its distributions against reference values from R/SciPy, and this package is one small
// function with its own types (jstat would bring a large, untyped, rarely released library for one
// call). simple-statistics (already used by the lab) supplies mean, standard deviation and quantiles.
import { max, mean, min, quantileSorted, sampleStandardDeviation } from "simple-statistics";
import { CONFIDENCE, tHalfWidth } from "../core/robust";

export { CONFIDENCE };

/** Mean, spread and a two-sided 95% Student-t confidence interval of the repetitions. */
export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation; null with one value. */
  sd: number | null;
  /** null with fewer than two values: one repetition says nothing about its own uncertainty. */
  ciLow: number | null;
  ciHigh: number | null;
  values: number[];
}

/** Summary of finite values; null when there are none. */
export function summarize(raw: readonly number[]): Summary | null {
  const values = raw.filter((v) => Number.isFinite(v));
  if (values.length === 0) return null;
  const m = mean(values);
  if (values.length < 2) return { n: values.length, mean: m, sd: null, ciLow: null, ciHigh: null, values };
  const sd = sampleStandardDeviation(values);
  const half = tHalfWidth(values) ?? 0;
  return { n: values.length, mean: m, sd, ciLow: m - half, ciHigh: m + half, values };
}

/** Median and spread of every launch (time to ready is skewed: quantiles, not mean and CI). */
export interface Distribution {
  n: number;
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

export function distribution(raw: readonly number[]): Distribution | null {
  const sorted = raw.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return {
    n: sorted.length,
    median: quantileSorted(sorted, 0.5),
    p25: quantileSorted(sorted, 0.25),
    p75: quantileSorted(sorted, 0.75),
    min: min(sorted),
    max: max(sorted),
  };
}

/** Whether two intervals are disjoint; intervals that are missing (n < 2) never separate. */
export function intervalsSeparate(a: Summary, b: Summary): boolean {
  if (a.ciLow === null || a.ciHigh === null || b.ciLow === null || b.ciHigh === null) return false;
  return a.ciLow > b.ciHigh || b.ciLow > a.ciHigh;
}
