import { judgeDataQuality } from '../../../policy/data-quality';
import { judgeStage } from '../../../policy/criteria';
import type { Criterion } from '../../../definitions/schema';

const base = { window: '1h', minSamples: 1, consecutive: 1 } as const;
const window = { from: Date.parse('2026-01-05T00:00:00Z'), to: Date.parse('2026-01-05T01:00:00Z') };
const at = (offsetMs: number) => new Date(window.to - offsetMs).toISOString();
const freshness = (maxAge: string): Criterion => ({ ...base, metric: 'oee', freshness: maxAge });

describe('freshness', () => {
  it('passes while the newest sample is younger than the limit, at the limit too', () => {
    expect(judgeDataQuality(freshness('10m'), { newestAt: at(60_000) }, window, 0)).toMatchObject({ verdict: 'pass', value: 60, op: '<=', threshold: 600, consecutivePasses: 1 });
    expect(judgeDataQuality(freshness('10m'), { newestAt: at(600_000) }, window, 0).verdict).toBe('pass');
  });

  it('is inconclusive, never failed, when the feed went quiet or never spoke, and keeps the run of passes', () => {
    const stale = judgeDataQuality(freshness('10m'), { newestAt: at(600_001) }, window, 2);
    expect(stale).toMatchObject({ verdict: 'inconclusive', consecutivePasses: 2 });
    expect(stale.reason).toBe('freshness: the newest sample of oee is 600.001s old, older than 10m; the feed may have stopped');
    expect(judgeDataQuality(freshness('10m'), { newestAt: null }, window, 0)).toMatchObject({ verdict: 'inconclusive', reason: 'freshness: no sample of oee in the window' });
  });
});

describe('completeness', () => {
  const criterion: Criterion = { ...base, metric: 'oee', completeness: { cadence: '15m', min: '75%' } };

  it('counts the cadence intervals, back from the window end, that hold a sample', () => {
    const times = [1, 16, 31].map((minutes) => window.to - minutes * 60_000);
    expect(judgeDataQuality(criterion, { times }, window, 0)).toMatchObject({ verdict: 'pass', value: 0.75, threshold: 0.75 });
    expect(judgeDataQuality(criterion, { times: times.slice(0, 2) }, window, 0)).toMatchObject({ verdict: 'fail', value: 0.5, consecutivePasses: 0 });
  });

  it('takes the cadence from the metric when the criterion gives none', () => {
    const catalog = { oee: { unit: 'ratio', direction: 'higher-is-better', kind: 'leading', guardrail: false, cadence: '30m' } } as const;
    const result = judgeDataQuality({ ...base, metric: 'oee', completeness: { min: '100%' } }, { times: [window.to - 1, window.to - 40 * 60_000] }, window, 0, catalog);
    expect(result).toMatchObject({ verdict: 'pass', value: 1 });
    expect(result.reason).toMatch(/^completeness: 2 of 2 intervals of 30m hold samples of oee/);
  });

  it('is inconclusive while the window is shorter than one interval', () => {
    expect(judgeDataQuality(criterion, { times: [] }, { from: window.to - 60_000, to: window.to }, 0).verdict).toBe('inconclusive');
  });
});

describe('skew', () => {
  const criterion: Criterion = { ...base, metric: 'line-rate', skew: { max: '30s', maxSpread: '10s' } };

  it('fails on the largest magnitude of received − observedAt, samples from ahead included, and on the spread', () => {
    expect(judgeDataQuality(criterion, { lags: { samples: 3, maxMs: 5_000, minMs: 0 } }, window, 0)).toMatchObject({ verdict: 'pass', value: 5, threshold: 30, samples: 3 });
    expect(judgeDataQuality(criterion, { lags: { samples: 3, maxMs: 1_000, minMs: -31_000 } }, window, 0)).toMatchObject({ verdict: 'fail', value: 31 });
    const spread = judgeDataQuality(criterion, { lags: { samples: 3, maxMs: 20_000, minMs: 5_000 } }, window, 0);
    expect(spread).toMatchObject({ verdict: 'fail', value: 20 });
    expect(spread.reason).toMatch(/the spread is more than 10s$/);
  });

  it('is inconclusive without samples', () => {
    expect(judgeDataQuality(criterion, { lags: { samples: 0, maxMs: 0, minMs: 0 } }, window, 0).verdict).toBe('inconclusive');
  });
});

describe('judgeStage with pulled evidence', () => {
  it('makes a provider error inconclusive with its reason, never a pass', () => {
    const criterion: Criterion = { ...base, metric: 'oee', threshold: 0.8 };
    const catalog = { oee: { unit: 'ratio', direction: 'higher-is-better', kind: 'leading', guardrail: false } } as const;
    const observed = { index: 0, metric: 'oee', window: { from: at(3_600_000), to: at(0) }, observation: { value: 0.9, samples: 1, unavailable: 'the provider answered 500' } };
    const judged = judgeStage([criterion], [observed], catalog);
    expect(judged.verdict).toBe('inconclusive');
    expect(judged.criteria[0]!.reason).toBe('the window: the provider answered 500');
  });
});
