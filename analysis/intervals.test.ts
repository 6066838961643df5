import assert from "node:assert/strict";
import { describe, it } from "node:test";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { excludesZero, fiellerRatio, linearCombination, ratioOfMeans } from "./intervals";
import { summarize } from "./stats";

const close = (actual: number | null, expected: number, tolerance = 1e-6) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);

describe("linearCombination", () => {
  it("matches SciPy's Welch t-test for a difference of two means", () => {
    // scipy.stats.ttest_ind([1,2,3,4], [2,4,6,8,10], equal_var=False): df 5.520787746170677,
    // confidence_interval(0.95) = (-7.385368080514045, 0.3853680805140449)
    const d = linearCombination([
      { group: { values: [1, 2, 3, 4] }, weight: 1 },
      { group: { values: [2, 4, 6, 8, 10] }, weight: -1 },
    ]);
    close(d.value, -3.5);
    close(d.df, 5.520787746170677);
    close(d.low, -7.385368080514045);
    close(d.high, 0.3853680805140449);
    assert.equal(excludesZero(d), false);
  });

  it("reduces to the per-scenario Student-t interval for one group", () => {
    const values = [10, 12, 11, 13];
    const one = linearCombination([{ group: { values }, weight: 1 }]);
    const s = summarize(values);
    close(one.low, s?.ciLow ?? Number.NaN);
    close(one.high, s?.ciHigh ?? Number.NaN);
  });

  it("gives no interval when a group has one value", () => {
    const d = linearCombination([
      { group: { values: [1] }, weight: 1 },
      { group: { values: [2, 3] }, weight: -1 },
    ]);
    assert.equal(d.low, null);
    assert.equal(d.value, -1.5);
  });
});

describe("ratioOfMeans", () => {
  it("holds the ratio of the means and brackets it", () => {
    const r = ratioOfMeans({ values: [200, 210, 190] }, { values: [100, 101, 99] });
    close(r?.value ?? null, 2);
    assert.ok(r?.low !== null && r?.high !== null && (r?.low ?? 9) < 2 && (r?.high ?? 0) > 2);
  });
  it("is null when a mean is not positive", () => {
    assert.equal(ratioOfMeans({ values: [0, 0] }, { values: [1, 2] }), null);
  });
});

describe("fiellerRatio", () => {
  // At each bound the Fieller statistic |N - θD| / sqrt(vN - 2θc + θ²vD) equals the t quantile.
  const statistic = (theta: number, n: number, vN: number, d: number, vD: number, c: number) =>
    Math.abs(n - theta * d) / Math.sqrt(vN - 2 * theta * c + theta * theta * vD);

  it("bounds are where the Fieller statistic meets the t quantile", () => {
    const [n, vN, d, vD, c, df] = [8, 1.5, 10, 0.8, 0.3, 4];
    const f = fiellerRatio({ value: n, variance: vN }, { value: d, variance: vD }, c, df);
    const t = tQuantile(0.975, df);
    assert.equal(f.bounded, true);
    close(f.value, 0.8);
    close(statistic(f.low ?? Number.NaN, n, vN, d, vD, c), t, 1e-9);
    close(statistic(f.high ?? Number.NaN, n, vN, d, vD, c), t, 1e-9);
    assert.ok(statistic(0.8, n, vN, d, vD, c) < t);
  });

  it("is unbounded when the denominator is not significantly different from 0", () => {
    const f = fiellerRatio({ value: 5, variance: 1 }, { value: 1, variance: 1 }, 0, 4);
    assert.equal(f.bounded, false);
    assert.equal(f.low, null);
  });
});
