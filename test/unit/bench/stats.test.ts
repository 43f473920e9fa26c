// The benches' statistics: the median, and the bootstrap interval printed next to the proxy's latency ratio.

import assert from 'node:assert/strict';
import { bootstrapRatio, median } from '../../bench/stats';

describe('bench/stats', () => {
  it('takes the median of odd and even counts without reordering its input', () => {
    const xs = [5, 1, 3];
    assert.equal(median(xs), 3);
    assert.deepEqual(xs, [5, 1, 3]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('gives a bootstrap interval around the ratio of medians, the same on every run', () => {
    const den = [100, 110, 90, 105, 95, 120, 80, 100, 101];
    const num = den.map((d, i) => d * 1.5 + (i % 3) * 10);
    const [lo, hi] = bootstrapRatio(num, den);
    const point = median(num) / median(den);
    assert.ok(lo <= point && point <= hi, `${lo} ≤ ${point} ≤ ${hi}`);
    assert.ok(lo > 1.2 && hi < 1.9, `interval ${lo}–${hi} is near 1.5`);
    assert.deepEqual(bootstrapRatio(num, den), [lo, hi]);
    assert.deepEqual(bootstrapRatio([2, 2, 2], [1, 1, 1]), [2, 2], 'identical rounds leave no doubt');
    const [wideLo, wideHi] = bootstrapRatio(num, den, 0.99);
    assert.ok(wideLo <= lo && wideHi >= hi, 'a higher level gives a wider interval');
  });

  it('refuses rounds that are not paired, and levels or iteration counts that give no interval', () => {
    assert.throws(() => bootstrapRatio([1, 2], [1]), /paired/);
    assert.throws(() => bootstrapRatio([], []), /paired/);
    assert.throws(() => bootstrapRatio([1], [1], 1), /level/);
    assert.throws(() => bootstrapRatio([1], [1], 0.9, 0), /iterations/);
  });

  it('reports an unbounded interval when the baseline rounds are at or below zero (noise larger than the figure)', () => {
    const [lo, hi] = bootstrapRatio([10, 12, 11, 9, 13], [1, -1, 0, 2, -2]);
    assert.ok(Number.isFinite(lo) || lo === Infinity, String(lo));
    assert.equal(hi, Infinity);
    assert.deepEqual(bootstrapRatio([0, 0, 1], [0, 0, 1]).map(Number.isNaN), [false, false]);
  });
});
