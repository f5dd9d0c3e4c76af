import vectors from '../../fixtures/statistics/vectors.json';
import { holmAdjust } from '../../../policy/statistics/holm';
import { hodgesLehmannShift, mannWhitney, type Alternative } from '../../../policy/statistics/mann-whitney';
import { mixtureEValue, mixtureRadius, mixtureRatio, sequentialDifference } from '../../../policy/statistics/sequential';
import { capSamples, summarize } from '../../../policy/statistics/summary';

describe('Mann–Whitney U against SciPy (test/fixtures/statistics/make-vectors.py)', () => {
  for (const entry of vectors.mannWhitney) {
    for (const alternative of ['two-sided', 'less', 'greater'] as Alternative[]) {
      it(`${entry.name}, ${alternative}`, () => {
        const expected = entry.tests[alternative as keyof typeof entry.tests];
        const result = mannWhitney(entry.x, entry.y, alternative)!;
        expect(result.u).toBeCloseTo(expected.u, 9);
        expect(Math.abs(result.pValue - expected.pValue)).toBeLessThan(1e-12 + 1e-9 * expected.pValue);
      });
    }
    it(`${entry.name}: the Hodges–Lehmann shift is numpy's median of differences`, () => {
      const shift = hodgesLehmannShift(entry.x, entry.y, 0.05)!;
      expect(shift.estimate).toBeCloseTo(entry.hodgesLehmann, 9);
      expect(shift.lower).toBeLessThanOrEqual(shift.estimate);
      expect(shift.upper).toBeGreaterThanOrEqual(shift.estimate);
    });
  }

  it('leaves missing data out and answers undefined for an empty group', () => {
    const plain = mannWhitney([1, 2, 3], [2, 4])!;
    expect(mannWhitney([1, null, 2, NaN, 3, Infinity], [2, 4, null])).toEqual(plain);
    expect(mannWhitney([], [1])).toBeUndefined();
    expect(mannWhitney([null], [1])).toBeUndefined();
  });

  it('a wider interval at a smaller alpha', () => {
    const entry = vectors.mannWhitney.find((candidate) => candidate.name === 'normal shifted')!;
    const narrow = hodgesLehmannShift(entry.x, entry.y, 0.2)!;
    const wide = hodgesLehmannShift(entry.x, entry.y, 0.01)!;
    expect(wide.lower).toBeLessThan(narrow.lower);
    expect(wide.upper).toBeGreaterThan(narrow.upper);
  });
});

describe('Holm–Bonferroni', () => {
  it('adjusts as R p.adjust(method = "holm") does', () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((expected, i) => expect(adjusted[i]).toBeCloseTo(expected, 12));
  });
  it('caps at 1 and leaves untested entries out of the family', () => {
    expect(holmAdjust([0.6, null, 0.4])).toEqual([0.8, null, 0.8]);
    expect(holmAdjust([0.7, 0.9])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});

describe('the normal-mixture confidence sequence', () => {
  it('the radius is where the mixture likelihood ratio reaches 1/alpha', () => {
    for (const [v, tau2, alpha] of [
      [0.5, 2, 0.05],
      [1e-3, 1e-2, 0.01],
      [4, 1, 0.2],
    ] as const) {
      const radius = mixtureRadius(v, tau2, alpha);
      expect(mixtureEValue(radius, v, tau2)).toBeCloseTo(1 / alpha, 6);
    }
  });

  it('tunes the mixture at the minimum of the boundary', () => {
    const u = mixtureRatio(0.05);
    const cost = (ratio: number) => (1 + 1 / ratio) * (2 * Math.log(20) + Math.log(1 + ratio));
    expect(cost(u)).toBeLessThanOrEqual(cost(u * 1.05));
    expect(cost(u)).toBeLessThanOrEqual(cost(u / 1.05));
  });

  it('is wider than the fixed-sample interval at the same alpha', () => {
    const x = summarize([10, 12, 11, 13, 9, 10, 12, 11, 10, 12], false);
    const y = summarize([11, 11, 10, 12, 10, 11, 9, 13, 11, 10], false);
    const result = sequentialDifference(x, y, 0.05, 'control', 10)!;
    const fixed = 1.959964 * Math.sqrt(x.variance! / x.n + y.variance! / y.n);
    expect(result.estimate).toBeCloseTo(x.mean! - y.mean!, 12);
    expect(result.upper - result.estimate).toBeGreaterThan(fixed);
    expect(result.pValue).toBeCloseTo(Math.min(1, 1 / result.eValue!), 12);
  });

  it('the baseline design adds a fixed interval for the reference, and its p-value is where the interval reaches 0', () => {
    const x = summarize([5, 6, 7, 5, 6, 7, 5, 6, 7, 6], false);
    const y = summarize([4, 5, 4, 5, 4, 5, 4, 5, 4, 5], false);
    const result = sequentialDifference(x, y, 0.05, 'baseline', 10)!;
    expect(result.lower).toBeGreaterThan(0);
    expect(result.pValue).toBeLessThan(0.05);
    const atP = sequentialDifference(x, y, result.pValue * 1.0001, 'baseline', 10)!;
    expect(atP.lower).toBeGreaterThan(0);
  });

  it('needs two samples per group', () => {
    expect(sequentialDifference(summarize([1], false), summarize([1, 2], false), 0.05, 'control', 2)).toBeUndefined();
  });
});

describe('sample summaries', () => {
  it('mean and unbiased variance, missing data left out', () => {
    const summary = summarize([2, 4, null, 4, 4, 5, 5, 7, 9, NaN], true);
    expect(summary.n).toBe(8);
    expect(summary.mean).toBeCloseTo(5, 12);
    expect(summary.variance).toBeCloseTo(32 / 7, 12);
    expect(summary.values).toEqual([2, 4, 4, 4, 5, 5, 7, 9]);
  });
  it('caps the values evenly', () => {
    const capped = capSamples(Array.from({ length: 10 }, (_, i) => i), 5);
    expect(capped).toEqual([0, 2, 4, 6, 8]);
  });
});
