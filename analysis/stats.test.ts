import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { distribution, intervalsSeparate, summarize } from "./stats";

const close = (actual: number | null, expected: number, tolerance = 1e-6) =>
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= tolerance,
    `${actual} is not ${expected} +/- ${tolerance}`,
  );

describe("summarize", () => {
  it("gives mean, sample sd and the Student-t 95% interval", () => {
    // R: t.test(c(10, 12, 14))$conf.int = 7.031725 16.968275 (t(0.975, 2) = 4.302653, sd = 2)
    const s = summarize([10, 12, 14]);
    assert.ok(s);
    assert.equal(s.n, 3);
    close(s.mean, 12);
    close(s.sd, 2);
    close(s.ciLow, 7.031725);
    close(s.ciHigh, 16.968275);
  });

  it("uses the t quantile of n - 1 degrees of freedom (n = 10)", () => {
    // R: t.test(1:10)$conf.int = 3.334149 7.665851
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    close(s?.ciLow ?? null, 3.334149);
    close(s?.ciHigh ?? null, 7.665851);
  });

  it("gives no interval for one value and nothing for none; ignores non-finite values", () => {
    const one = summarize([5, Number.NaN]);
    assert.equal(one?.n, 1);
    assert.equal(one?.ciLow, null);
    assert.equal(one?.sd, null);
    assert.equal(summarize([]), null);
  });
});

describe("intervalsSeparate", () => {
  it("is true only for disjoint intervals with both present", () => {
    const a = summarize([10, 11, 12]);
    const b = summarize([20, 21, 22]);
    const c = summarize([11, 14, 17]);
    const single = summarize([100]);
    assert.ok(a && b && c && single);
    assert.equal(intervalsSeparate(a, b), true);
    assert.equal(intervalsSeparate(a, c), false);
    assert.equal(intervalsSeparate(a, single), false);
  });
});

describe("distribution", () => {
  it("gives median, quartiles and range", () => {
    const d = distribution([5, 1, 3, 2, 4]);
    assert.deepEqual({ n: d?.n, median: d?.median, min: d?.min, max: d?.max }, { n: 5, median: 3, min: 1, max: 5 });
    assert.equal(distribution([]), null);
  });
});
