import { Plan, type PlanInput } from '../../definitions/schema';
import { checkSemantics } from '../../definitions/semantics';
import { judgeDataQuality } from '../../policy/data-quality';

type StageInput = PlanInput['stages'][number];
type CriterionInput = NonNullable<StageInput['criteria']>[number];

const metrics: PlanInput['metrics'] = {
  oee: { unit: 'ratio', direction: 'higher-is-better', source: { provider: 'historian', query: 'SELECT 1 AS value' } },
  'line-rate': { unit: 'parts/h', direction: 'higher-is-better' },
  'defect-recall': { unit: 'ratio', direction: 'higher-is-better', labelSensitive: true },
};

function plan(criteria: CriterionInput[]): Plan {
  return Plan.parse({ name: 'p', owner: 'lead', metrics, stages: [{ id: 'a', title: 'A', mode: 'pilot', minDuration: '1s', approvals: [{ role: 'x' }], criteria }] });
}
const messages = (p: Plan, providers?: string[]) => checkSemantics(p, providers ? { providers } : {}).map((problem) => problem.message);

describe('pulled metrics', () => {
  it('checks provider names against the list, when there is one', () => {
    const p = plan([{ metric: 'oee', threshold: 0.8, window: '1h' }]);
    expect(messages(p)).toEqual([]);
    expect(messages(p, ['historian'])).toEqual([]);
    expect(messages(p, ['historain', 'metrics'])).toEqual(['metrics.oee.source.provider: unknown metric provider "historian" (did you mean "historain"?)']);
    expect(messages(p, [])).toEqual(['metrics.oee.source.provider: unknown metric provider "historian": the worker has no metric providers configured']);
  });
});

describe('data-quality criteria', () => {
  it('take one check and no threshold or baseline', () => {
    expect(messages(plan([{ metric: 'line-rate', freshness: '5m', window: '1h' }]))).toEqual([]);
    expect(messages(plan([{ metric: 'line-rate', freshness: '5m', threshold: 1, window: '1h' }]))).toEqual([
      'stages[0].criteria[0]: a freshness criterion judges the evidence itself: leave out threshold and baseline',
    ]);
    expect(messages(plan([{ metric: 'line-rate', freshness: '5m', skew: { max: '1s' }, window: '1h' }]))).toEqual([
      'stages[0].criteria[0]: give one data-quality check per criterion, not freshness and skew',
    ]);
  });

  it('need what they read: a cadence, reported samples, outcome labels', () => {
    expect(messages(plan([{ metric: 'line-rate', completeness: { min: '90%' }, window: '1h' }]))).toEqual([
      'stages[0].criteria[0].completeness: needs a cadence: give completeness.cadence, or cadence on metric "line-rate"',
    ]);
    expect(messages(plan([{ metric: 'oee', skew: { max: '1s' }, window: '1h' }]))).toEqual([
      'stages[0].criteria[0].skew: clock skew is judged on reported samples, and "oee" is pulled from a provider',
    ]);
    expect(messages(plan([{ metric: 'line-rate', labelDrift: { trainedOn: 'v2', maxShare: '5%' }, window: '1h' }]))).toHaveLength(1);
    expect(messages(plan([{ metric: 'defect-recall', labelDrift: { trainedOn: 'v2', maxShare: '5%' }, window: '1h' }]))).toEqual([]);
    expect(messages(plan([{ metric: 'precision', labelDrift: { trainedOn: 'v2', maxShare: '5%' }, window: '1h' }]))).toEqual([]);
  });
});

describe('labelDrift', () => {
  const criterion = Plan.parse({
    name: 'p',
    owner: 'lead',
    stages: [{ id: 'a', title: 'A', mode: 'shadow', minDuration: '1s', approvals: [{ role: 'x' }], criteria: [{ metric: 'precision', labelDrift: { trainedOn: 'v2', maxShare: '25%' }, window: '1h' }] }],
  }).stages[0]!.criteria[0]!;
  const window = { from: 0, to: 3_600_000 };

  it('judges the share of tracked outcomes under another version; untracked ones do not count', () => {
    expect(judgeDataQuality(criterion, { labels: { outcomes: 10, tracked: 4, differing: 1 } }, window, 0)).toMatchObject({ verdict: 'pass', value: 0.25, samples: 4 });
    expect(judgeDataQuality(criterion, { labels: { outcomes: 10, tracked: 4, differing: 2 } }, window, 0)).toMatchObject({ verdict: 'fail', value: 0.5 });
    expect(judgeDataQuality(criterion, { labels: { outcomes: 10, tracked: 0, differing: 0 } }, window, 0)).toMatchObject({
      verdict: 'inconclusive',
      reason: "labelDrift: none of the window's 10 outcomes carries a labelVersion",
    });
  });
});
