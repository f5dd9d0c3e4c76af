import { calibrateThreshold, thresholdCurve, wilsonInterval, type CalibrationSample } from '../../../policy/calibration';

const sample = (confidence: number, correct: boolean): CalibrationSample => ({ confidence, correct });

/** Precision by threshold: 0.95 → 0/1, 0.9 → 1/2, 0.85 → 2/3, 0.8 → 3/4, 0.75 → 4/5, 0.7 → 4/6, 0.65 → 5/7, 0.6 → 5/8. */
const SAMPLES = [
  sample(0.7, false),
  sample(0.95, false),
  sample(0.6, false),
  sample(0.9, true),
  sample(0.8, true),
  sample(0.65, true),
  sample(0.85, true),
  sample(0.75, true),
];

describe('thresholdCurve', () => {
  it('gives the precision of the decisions at or above each observed confidence, ties together', () => {
    expect(thresholdCurve([sample(0.8, true), sample(0.9, true), sample(0.7, false), sample(0.9, false)])).toEqual([
      { threshold: 0.9, samples: 2, correct: 1, precision: 0.5 },
      { threshold: 0.8, samples: 3, correct: 2, precision: 2 / 3 },
      { threshold: 0.7, samples: 4, correct: 2, precision: 0.5 },
    ]);
  });
});

describe('calibrateThreshold', () => {
  it('picks the lowest threshold that reaches the target, even where precision is not monotonic', () => {
    const result = calibrateThreshold(SAMPLES, { targetPrecision: 0.75, minOutcomes: 8 });
    expect(result).toEqual({
      ok: true,
      threshold: 0.75,
      precision: 0.8,
      interval: { low: expect.closeTo(0.37553, 5), high: expect.closeTo(0.96378, 5) },
      samples: 5,
      correct: 4,
      outcomes: 8,
      coverage: 0.625,
    });
  });

  it('meets a decimal target with counts that equal it exactly', () => {
    const samples = [...Array.from({ length: 7 }, () => sample(0.6, true)), ...Array.from({ length: 3 }, () => sample(0.6, false))];
    expect(calibrateThreshold(samples, { targetPrecision: 0.7, minOutcomes: 10 })).toMatchObject({ ok: true, threshold: 0.6, precision: 0.7, samples: 10 });
  });

  it('refuses with fewer outcomes than minOutcomes', () => {
    expect(calibrateThreshold(SAMPLES, { targetPrecision: 0.75, minOutcomes: 9 })).toEqual({
      ok: false,
      reason: 'insufficient-outcomes',
      outcomes: 8,
      minOutcomes: 9,
    });
    expect(calibrateThreshold([], { targetPrecision: 0.5, minOutcomes: 1 })).toMatchObject({ ok: false, reason: 'insufficient-outcomes', outcomes: 0 });
  });

  it('reports the best point when no threshold reaches the target', () => {
    expect(calibrateThreshold(SAMPLES, { targetPrecision: 0.81, minOutcomes: 1 })).toEqual({
      ok: false,
      reason: 'target-unreachable',
      outcomes: 8,
      best: { threshold: 0.75, samples: 5, correct: 4, precision: 0.8 },
    });
  });
});

describe('wilsonInterval', () => {
  it('matches the published 95% Wilson score intervals', () => {
    const nineOfTen = wilsonInterval(9, 10);
    expect(nineOfTen.low).toBeCloseTo(0.59585, 5);
    expect(nineOfTen.high).toBeCloseTo(0.98212, 5);
    const all = wilsonInterval(10, 10);
    expect(all.low).toBeCloseTo(0.72247, 5);
    expect(all.high).toBe(1);
    expect(wilsonInterval(0, 20).low).toBe(0);
  });

  it('is the whole range without trials', () => {
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });
});
