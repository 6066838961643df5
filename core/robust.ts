/**
 * The estimator the lab's verdicts rest on, in one place for the runner (adaptive repetitions) and
 * the report: a skipped mean. Repetitions that are outliers by the rule below are set aside and
 * marked; the rest get their mean and a two-sided 95% Student-t interval. One repetition far off
 * (a disturbed one the interference figures missed) then cannot drag the mean or widen the
 * interval until nothing separates.
 *
 * The outlier rule (OUTLIER_RULE): with at least three repetitions, one whose value is below half
 * or above twice the median of the scenario's other repetitions is an outlier. The rule is a
 * factor, not a multiple of the spread, because three repetitions give no stable spread (a median
 * absolute deviation of three values is the smaller of two gaps, and would set aside ordinary
 * noise). Only a minority may be set aside: when more than (n - 1) / 2 repetitions break the rule,
 * the scenario is noisy rather than disturbed once, and none is set aside.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { mean, median, sampleStandardDeviation } from "simple-statistics";

export const CONFIDENCE = 0.95;
export const OUTLIER_FACTOR = 2;
export const OUTLIER_RULE = `below 1/${OUTLIER_FACTOR} or above ${OUTLIER_FACTOR}x the median of the scenario's other repetitions (with 3 or more)`;
export const ESTIMATOR =
  "skipped mean: the mean of the repetitions left after the outlier rule, with a two-sided 95% Student-t interval";

/** Half the width of the 95% Student-t interval of the mean; null with fewer than two values. */
export function tHalfWidth(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const sd = sampleStandardDeviation([...values]);
  return tQuantile(1 - (1 - CONFIDENCE) / 2, values.length - 1) * (sd / Math.sqrt(values.length));
}

/** The indexes of `values` the outlier rule sets aside (none for fewer than three values, or for a noisy majority). */
export function outlierIndexes(values: readonly number[]): number[] {
  if (values.length < 3) return [];
  const out: number[] = [];
  values.forEach((value, index) => {
    const others = values.filter((_, j) => j !== index);
    const m = median(others);
    if (!(m > 0) || !(value >= 0)) return;
    if (value < m / OUTLIER_FACTOR || value > m * OUTLIER_FACTOR) out.push(index);
  });
  return out.length <= Math.floor((values.length - 1) / 2) ? out : [];
}

/** The skipped mean's interval half-width over its value (what adaptive repetitions narrow); null without an interval. */
export function relativeHalfWidth(values: readonly number[]): number | null {
  const skipped = new Set(outlierIndexes(values));
  const kept = values.filter((_, i) => !skipped.has(i));
  const half = tHalfWidth(kept);
  if (half === null) return null;
  const m = mean([...kept]);
  return m > 0 ? half / m : null;
}
