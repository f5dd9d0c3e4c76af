import { Criterion, type Plan } from '../../../definitions/schema';
import { judgeStage, type CriterionObservation } from '../../../policy/criteria';
import { summarize } from '../../../policy/statistics/summary';
import { seededRandom } from '../../../simulator/random';

const catalog: Plan['metrics'] = {
  throughput: { unit: 'parts/h', direction: 'higher-is-better', kind: 'leading', guardrail: true },
  scrap: { unit: '%', direction: 'lower-is-better', kind: 'leading', guardrail: true },
};

function criterion(metric: string, compare: Record<string, unknown>, minSamples = 20): Criterion {
  return Criterion.parse({ metric, window: '14d', minSamples, compare });
}

function observed(index: number, metric: string, treatment: number[], reference: number[], windowFull = true): CriterionObservation {
  return {
    index,
    metric,
    window: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-15T00:00:00.000Z' },
    observation: { value: null, samples: treatment.length },
    comparison: {
      treatment: summarize(treatment, true),
      reference: summarize(reference, true),
      referenceWindow: { from: '2026-11-17T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
      windowFull,
    },
  };
}

const random = seededRandom(7);
const group = (n: number, mean: number, sd: number) => Array.from({ length: n }, () => random.normal(mean, sd));

describe('comparison criteria in a stage evaluation', () => {
  it('passes a guardrail with no material change, and reports the statistics and the look', () => {
    const c = criterion('throughput', { against: 'baseline', minEffect: '5%' });
    const result = judgeStage([c], [observed(0, 'throughput', group(300, 100, 5), group(300, 100, 5))], catalog, [], [3]);
    const only = result.criteria[0]!;
    expect(only.verdict).toBe('pass');
    expect(only.comparison).toMatchObject({ test: 'sequential', against: 'baseline', look: 4, family: 1, samples: { treatment: 300, reference: 300 } });
    expect(only.comparison!.lower!).toBeLessThan(only.comparison!.estimate!);
    expect(only.referenceWindow).toEqual({ from: '2026-11-17T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
  });

  it('fails a guardrail that got clearly worse, in the direction of the metric', () => {
    const c = criterion('scrap', { against: 'control', control: { scope: { line: 'line-2' } } });
    const result = judgeStage([c], [observed(0, 'scrap', group(200, 3.5, 0.5), group(200, 3, 0.5))], catalog);
    expect(result.verdict).toBe('fail');
    expect(result.criteria[0]!.reason).toMatch(/^significantly worse than the control/);
    expect(result.criteria[0]!.comparison!.eValue!).toBeGreaterThan(20);
  });

  it('is inconclusive below minSamples, and mann-whitney before its window is full', () => {
    const sequential = criterion('throughput', { against: 'baseline' }, 50);
    const rank = criterion('throughput', { against: 'baseline', test: 'mann-whitney' }, 5);
    const result = judgeStage(
      [sequential, rank],
      [observed(0, 'throughput', group(10, 90, 1), group(60, 100, 1)), observed(1, 'throughput', group(30, 90, 1), group(30, 100, 1), false)],
      catalog,
    );
    expect(result.criteria.map((entry) => entry.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(result.criteria[0]!.reason).toMatch(/fewer than minSamples 50/);
    expect(result.criteria[1]!.reason).toMatch(/window is full/);
  });

  it('mann-whitney fails on a shift and reports the Hodges–Lehmann estimate', () => {
    const c = criterion('throughput', { against: 'baseline', test: 'mann-whitney' });
    const result = judgeStage([c], [observed(0, 'throughput', group(100, 95, 3), group(100, 100, 3))], catalog);
    expect(result.criteria[0]!.verdict).toBe('fail');
    expect(result.criteria[0]!.comparison!.estimate!).toBeLessThan(-3);
    expect(result.criteria[0]!.comparison!.pValue!).toBeLessThan(1e-6);
  });

  it('corrects across the comparison criteria of a stage with Holm', () => {
    // A difference significant alone (p just under 0.05) is not once a second criterion joins the family.
    const treatment = Array.from({ length: 40 }, (_, i) => 100 + ((i * 7) % 13));
    const reference = treatment.map((value) => value + 2);
    const c = criterion('throughput', { against: 'baseline', test: 'mann-whitney' });
    const alone = judgeStage([c], [observed(0, 'throughput', treatment, reference)], catalog).criteria[0]!;
    const both = judgeStage([c, c], [observed(0, 'throughput', treatment, reference), observed(1, 'throughput', treatment, reference)], catalog).criteria[0]!;
    expect(alone.comparison!.pValue!).toBeLessThan(0.05);
    expect(alone.verdict).toBe('fail');
    expect(both.comparison!.family).toBe(2);
    expect(both.comparison!.adjustedPValue!).toBeCloseTo(Math.min(1, 2 * alone.comparison!.pValue!), 12);
    expect(both.comparison!.adjustedPValue!).toBeGreaterThan(0.05);
    expect(both.verdict).toBe('inconclusive');
    expect(both.reason).toMatch(/\(Holm 0\.06\d* over 2\)/);
  });

  it('must-improve passes on a significant improvement of at least minEffect and fails when none of that size is left', () => {
    const c = criterion('throughput', { against: 'baseline', direction: 'must-improve', minEffect: '2%' });
    expect(judgeStage([c], [observed(0, 'throughput', group(400, 106, 4), group(400, 100, 4))], catalog).criteria[0]!.verdict).toBe('pass');
    expect(judgeStage([c], [observed(0, 'throughput', group(400, 100, 4), group(400, 100, 4))], catalog).criteria[0]!.verdict).toBe('fail');
  });

  it('no evidence read for the comparison is inconclusive', () => {
    const c = criterion('throughput', { against: 'baseline' });
    const bare: CriterionObservation = { ...observed(0, 'throughput', [], []), comparison: undefined };
    expect(judgeStage([c], [bare], catalog).criteria[0]!.reason).toBe('no evidence was read for the comparison');
  });
});
