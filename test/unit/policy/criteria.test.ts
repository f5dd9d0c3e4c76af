import type { Criterion, Plan } from '../../../definitions/schema';
import {
  baselineLimit,
  criterionWindows,
  evaluateCriterion,
  judgeStage,
  metricDirection,
  parsePercent,
  stageVerdict,
  type CriterionObservation,
  type Observation,
} from '../../../policy/criteria';

const criterion = (fields: Partial<Criterion> = {}): Criterion => ({ metric: 'precision', window: '14d', minSamples: 1, consecutive: 1, threshold: 0.8, ...fields });
const seen = (value: number | null, samples = 10): Observation => ({ value, samples });
const higher = 'higher-is-better';
const lower = 'lower-is-better';

describe('evaluateCriterion: samples', () => {
  it('is inconclusive on an empty window, keeping the run of passes', () => {
    expect(evaluateCriterion(criterion(), { value: null, samples: 0 }, undefined, higher, 2)).toEqual({
      verdict: 'inconclusive',
      reason: 'no data in the window',
      value: null,
      op: '>=',
      threshold: 0.8,
      samples: 0,
      consecutivePasses: 2,
    });
  });

  it('is inconclusive below minSamples and decides from minSamples on', () => {
    const strict = criterion({ minSamples: 30 });
    const few = evaluateCriterion(strict, seen(0.95, 29), undefined, higher, 0);
    expect(few).toMatchObject({ verdict: 'inconclusive', reason: '29 samples in the window, fewer than minSamples 30', consecutivePasses: 0 });
    expect(evaluateCriterion(strict, seen(0.95, 30), undefined, higher, 0).verdict).toBe('pass');
  });

  it('treats a value with zero samples as no data', () => {
    expect(evaluateCriterion(criterion(), { value: 0.9, samples: 0 }, undefined, higher, 0).reason).toBe('no data in the window');
  });

  it.each([NaN, Infinity, -Infinity])('never passes a value of %p, whatever the comparison', (value) => {
    for (const op of ['<', '<=', '>', '>='] as const) {
      const result = evaluateCriterion(criterion({ op }), seen(value), undefined, higher, 4);
      expect(result.verdict).toBe('inconclusive');
      expect(result.reason).toBe(`the value in the window is ${value}, not a finite number`);
      expect(result.consecutivePasses).toBe(4);
    }
  });
});

describe('evaluateCriterion: thresholds', () => {
  it('defaults op from the direction and passes a value exactly at the threshold', () => {
    const atLeast = evaluateCriterion(criterion({ threshold: 0.8 }), seen(0.8, 12), undefined, higher, 0);
    expect(atLeast).toEqual({ verdict: 'pass', reason: '0.8 >= 0.8 over 12 samples', value: 0.8, op: '>=', threshold: 0.8, samples: 12, consecutivePasses: 1 });
    const atMost = evaluateCriterion(criterion({ metric: 'override-rate', threshold: 0.1 }), seen(0.1), undefined, lower, 0);
    expect(atMost).toMatchObject({ verdict: 'pass', op: '<=' });
  });

  it('fails just past the threshold in the worse direction', () => {
    expect(evaluateCriterion(criterion({ threshold: 0.8 }), seen(0.7999), undefined, higher, 3)).toMatchObject({
      verdict: 'fail',
      reason: 'not 0.7999 >= 0.8 over 10 samples',
      consecutivePasses: 0,
    });
    expect(evaluateCriterion(criterion({ threshold: 0.1 }), seen(0.1001), undefined, lower, 0).verdict).toBe('fail');
  });

  it('uses an explicit op, strict at the threshold', () => {
    expect(evaluateCriterion(criterion({ op: '>', threshold: 0.8 }), seen(0.8), undefined, higher, 0).verdict).toBe('fail');
    expect(evaluateCriterion(criterion({ op: '<', threshold: 5 }), seen(4.99), undefined, higher, 0)).toMatchObject({ verdict: 'pass', op: '<' });
  });

  it('is inconclusive without a finite threshold or a baseline', () => {
    const { threshold: _threshold, ...bare } = criterion();
    expect(evaluateCriterion(bare, seen(1), undefined, higher, 0)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'the criterion has no finite threshold and no baseline',
      threshold: null,
    });
    expect(evaluateCriterion(criterion({ threshold: NaN }), seen(1), undefined, higher, 0).verdict).toBe('inconclusive');
  });
});

describe('evaluateCriterion: baselines', () => {
  const vsBaseline = (maxRegression: string, fields: Partial<Criterion> = {}) => {
    const { threshold: _threshold, ...rest } = criterion({ baseline: { window: '4w', maxRegression }, ...fields });
    return rest;
  };

  it('allows a higher-is-better metric to fall at most maxRegression below the baseline', () => {
    const c = vsBaseline('5%');
    const inside = evaluateCriterion(c, seen(0.855, 40), seen(0.9, 50), higher, 0);
    expect(inside).toEqual({
      verdict: 'pass',
      reason: '0.855 >= 0.855 (baseline 0.9, at most 5% worse) over 40 samples',
      value: 0.855,
      op: '>=',
      threshold: 0.855,
      samples: 40,
      baseline: { value: 0.9, samples: 50 },
      consecutivePasses: 1,
    });
    expect(evaluateCriterion(c, seen(0.8549, 40), seen(0.9, 50), higher, 0)).toMatchObject({ verdict: 'fail', threshold: 0.855 });
  });

  it('allows a lower-is-better metric to rise at most maxRegression above the baseline', () => {
    const c = vsBaseline('2.5%', { metric: 'scrap-rate' });
    expect(evaluateCriterion(c, seen(41), seen(40), lower, 0)).toMatchObject({ verdict: 'pass', op: '<=', threshold: 41 });
    expect(evaluateCriterion(c, seen(41.01), seen(40), lower, 0)).toMatchObject({ verdict: 'fail', threshold: 41 });
    expect(evaluateCriterion(c, seen(12), seen(40), lower, 0).verdict).toBe('pass');
  });

  it('allows no regression at all from a baseline of 0', () => {
    const c = vsBaseline('10%', { metric: 'scrap-rate' });
    expect(evaluateCriterion(c, seen(0), seen(0), lower, 0)).toMatchObject({ verdict: 'pass', threshold: 0 });
    expect(evaluateCriterion(c, seen(0.001), seen(0), lower, 0)).toMatchObject({ verdict: 'fail', threshold: 0 });
  });

  it('passes a value exactly at the limit as written in decimal, despite binary rounding', () => {
    // In binary floating point 1.1 - 1.1 * 0.1 is 0.9900000000000001 and 0.7 + 0.7 * 0.1 is 0.7699999999999999.
    expect(evaluateCriterion(vsBaseline('10%'), seen(0.99), seen(1.1), higher, 0)).toMatchObject({ verdict: 'pass', threshold: 0.99 });
    expect(evaluateCriterion(vsBaseline('10%'), seen(0.77), seen(0.7), lower, 0)).toMatchObject({ verdict: 'pass', threshold: 0.77 });
    expect(evaluateCriterion(vsBaseline('10%'), seen(0.7701), seen(0.7), lower, 0).verdict).toBe('fail');
  });

  it('measures the regression from |baseline| for negative baselines', () => {
    expect(baselineLimit(-10, 0.1, higher)).toBe(-11);
    expect(baselineLimit(-10, 0.1, lower)).toBe(-9);
    expect(evaluateCriterion(vsBaseline('10%'), seen(-11), seen(-10), higher, 0).verdict).toBe('pass');
    expect(evaluateCriterion(vsBaseline('10%'), seen(-11.1), seen(-10), higher, 0).verdict).toBe('fail');
  });

  it('is inconclusive when the baseline window has no data, too few samples or no finite value', () => {
    const c = vsBaseline('5%', { minSamples: 5 });
    expect(evaluateCriterion(c, seen(0.9), undefined, higher, 1)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'no data in the baseline window',
      threshold: null,
      baseline: { value: null, samples: 0 },
      consecutivePasses: 1,
    });
    expect(evaluateCriterion(c, seen(0.9), { value: null, samples: 0 }, higher, 0).reason).toBe('no data in the baseline window');
    expect(evaluateCriterion(c, seen(0.9), seen(0.9, 4), higher, 0).reason).toBe('4 samples in the baseline window, fewer than minSamples 5');
    expect(evaluateCriterion(c, seen(0.9), seen(NaN), higher, 0).reason).toBe('the value in the baseline window is NaN, not a finite number');
  });

  it('checks the stage window too once the baseline is good', () => {
    const result = evaluateCriterion(vsBaseline('5%', { minSamples: 5 }), seen(0.99, 2), seen(0.9), higher, 0);
    expect(result).toMatchObject({ verdict: 'inconclusive', reason: '2 samples in the window, fewer than minSamples 5', threshold: 0.855 });
  });
});

describe('evaluateCriterion: consecutive passes', () => {
  const threeInARow = criterion({ consecutive: 3 });

  it('passes only after N passing evaluations in a row; inconclusive ones neither count nor reset', () => {
    const steps: Array<[Observation, string, number]> = [
      [seen(0.9), 'inconclusive', 1],
      [seen(0.85), 'inconclusive', 2],
      [seen(null, 0), 'inconclusive', 2],
      [seen(0.81), 'pass', 3],
      [seen(0.95), 'pass', 4],
      [seen(0.5), 'fail', 0],
      [seen(0.9), 'inconclusive', 1],
    ];
    let run = 0;
    for (const [observation, verdict, after] of steps) {
      const result = evaluateCriterion(threeInARow, observation, undefined, higher, run);
      expect([result.verdict, result.consecutivePasses]).toEqual([verdict, after]);
      run = result.consecutivePasses;
    }
  });

  it('says how far along the run is', () => {
    expect(evaluateCriterion(threeInARow, seen(0.9), undefined, higher, 1).reason).toBe('0.9 >= 0.8 over 10 samples; 2 of 3 consecutive passing evaluations');
  });

  it('reads a nonsensical previous run as 0', () => {
    for (const previous of [NaN, -3, 1.5, Infinity]) {
      expect(evaluateCriterion(threeInARow, seen(0.9), undefined, higher, previous).consecutivePasses).toBe(1);
    }
  });
});

describe('stageVerdict', () => {
  it.each([
    [[], 'pass'],
    [['pass', 'pass'], 'pass'],
    [['pass', 'inconclusive'], 'inconclusive'],
    [['inconclusive', 'fail', 'pass'], 'fail'],
    [['fail'], 'fail'],
  ] as const)('%j → %s', (verdicts, expected) => {
    expect(stageVerdict(verdicts)).toBe(expected);
    expect(stageVerdict(verdicts.map((verdict) => ({ verdict })))).toBe(expected);
  });
});

describe('metric helpers', () => {
  it('takes a direction from the catalog before the built-ins', () => {
    const catalog: Plan['metrics'] = {
      'scrap-rate': { unit: '%', direction: 'lower-is-better', kind: 'leading', guardrail: true },
      precision: { unit: 'ratio', direction: 'lower-is-better', kind: 'leading', guardrail: false },
    };
    expect(metricDirection('scrap-rate', catalog)).toBe('lower-is-better');
    expect(metricDirection('precision', catalog)).toBe('lower-is-better');
    expect(metricDirection('precision', undefined)).toBe('higher-is-better');
    expect(metricDirection('toString', undefined)).toBeUndefined();
    expect(metricDirection('unknown', catalog)).toBeUndefined();
  });

  it('parses percentages', () => {
    expect(parsePercent('5%')).toBe(0.05);
    expect(parsePercent('2.5%')).toBe(0.025);
    expect(parsePercent('5')).toBeUndefined();
    expect(parsePercent('-5%')).toBeUndefined();
  });
});

describe('criterionWindows', () => {
  const day = 86_400_000;
  const start = Date.UTC(2025, 2, 1);

  it('looks back `window` from now, but never before the stage started', () => {
    expect(criterionWindows(criterion({ window: '14d' }), start, start + 20 * day)).toEqual({ window: { from: start + 6 * day, to: start + 20 * day } });
    expect(criterionWindows(criterion({ window: '14d' }), start, start + 3 * day)).toEqual({ window: { from: start, to: start + 3 * day } });
  });

  it('puts the baseline window just before the stage started', () => {
    const c = criterion({ window: '7d', baseline: { window: '4w', maxRegression: '5%' } });
    expect(criterionWindows(c, start, start + 10 * day)).toEqual({
      window: { from: start + 3 * day, to: start + 10 * day },
      baseline: { from: start - 28 * day, to: start },
    });
  });

  it('is undefined when a duration does not parse', () => {
    expect(criterionWindows(criterion({ window: 'fortnight' }), start, start)).toBeUndefined();
    expect(criterionWindows(criterion({ baseline: { window: 'soon', maxRegression: '5%' } }), start, start)).toBeUndefined();
  });
});

describe('judgeStage', () => {
  const window = { from: '2025-03-01T00:00:00.000Z', to: '2025-03-15T00:00:00.000Z' };
  const observed = (index: number, metric: string, observation: Observation, baseline?: Observation): CriterionObservation => ({
    index,
    metric,
    window,
    observation,
    ...(baseline ? { baselineWindow: { from: '2025-02-01T00:00:00.000Z', to: window.from }, baseline } : {}),
  });

  it('fails the stage when a guardrail regresses while the primary metric improves', () => {
    const catalog: Plan['metrics'] = { 'scrap-rate': { unit: '%', direction: 'lower-is-better', kind: 'leading', guardrail: true } };
    const { threshold: _t, ...guardrail } = criterion({ metric: 'scrap-rate', baseline: { window: '4w', maxRegression: '5%' } });
    const criteria = [criterion({ metric: 'precision', threshold: 0.8 }), guardrail];
    const judged = judgeStage(criteria, [observed(0, 'precision', seen(0.93)), observed(1, 'scrap-rate', seen(2.2), seen(2))], catalog, [0, 0]);
    expect(judged.verdict).toBe('fail');
    expect(judged.criteria.map((c) => [c.index, c.metric, c.verdict, c.threshold])).toEqual([
      [0, 'precision', 'pass', 0.8],
      [1, 'scrap-rate', 'fail', 2.1],
    ]);
    expect(judged.criteria[1]?.baselineWindow).toEqual({ from: '2025-02-01T00:00:00.000Z', to: window.from });
  });

  it('carries each criterion its own previous run, by index', () => {
    const criteria = [criterion({ consecutive: 2 }), criterion({ metric: 'recall', consecutive: 2 })];
    const judged = judgeStage(criteria, [observed(1, 'recall', seen(0.9)), observed(0, 'precision', seen(0.9))], undefined, [1]);
    expect(judged.criteria.map((c) => [c.verdict, c.consecutivePasses])).toEqual([
      ['pass', 2],
      ['inconclusive', 1],
    ]);
    expect(judged.verdict).toBe('inconclusive');
  });

  it('is inconclusive, not an exception, for an unknown metric or a missing observation', () => {
    const judged = judgeStage([criterion({ metric: 'mystery' }), criterion()], [observed(0, 'mystery', seen(1))], undefined);
    expect(judged.criteria.map((c) => [c.verdict, c.reason])).toEqual([
      ['inconclusive', 'unknown metric mystery'],
      ['inconclusive', 'no observation for this criterion'],
    ]);
    expect(judged.verdict).toBe('inconclusive');
  });
});
