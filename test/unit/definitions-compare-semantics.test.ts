import { Plan, type PlanInput } from '../../definitions/schema';
import { checkSemantics } from '../../definitions/semantics';

type CriterionInput = NonNullable<PlanInput['stages'][number]['criteria']>[number];

const metrics = { throughput: { unit: 'parts/h', direction: 'higher-is-better' as const } };

function messages(criterion: CriterionInput, extra: Partial<PlanInput['stages'][number]> = {}): string[] {
  const plan = Plan.parse({
    name: 'p',
    owner: 'lead',
    metrics,
    stages: [{ id: 'a', title: 'a', mode: 'pilot', minDuration: '1s', approvals: [{ role: 'approver' }], criteria: [criterion], ...extra }],
  });
  return checkSemantics(plan).map((problem) => problem.message);
}

describe('comparison criteria in the plan checks', () => {
  it('accepts a comparison against a baseline or a control scope', () => {
    expect(messages({ metric: 'throughput', window: '1d', compare: { against: 'baseline' } })).toEqual([]);
    expect(messages({ metric: 'throughput', window: '1d', compare: { against: 'control', control: { scope: { line: 'line-2' } } } })).toEqual([]);
  });

  it('fills in the defaults: sequential, alpha 0.05, minEffect 0%, must-not-degrade', () => {
    const plan = Plan.parse({ name: 'p', owner: 'o', metrics, stages: [{ id: 'a', title: 'a', mode: 'pilot', minDuration: '1s', approvals: [{ role: 'r' }], criteria: [{ metric: 'throughput', window: '1d', compare: { against: 'baseline' } }] }] });
    expect(plan.stages[0]!.criteria[0]!.compare).toEqual({ against: 'baseline', test: 'sequential', alpha: 0.05, minEffect: '0%', direction: 'must-not-degrade' });
  });

  it('wants compare alone, a control exactly for against: control, and a per-site stage for wave: previous', () => {
    expect(messages({ metric: 'throughput', window: '1d', threshold: 5, op: '>=', compare: { against: 'baseline' } })).toEqual([
      'stages[0].criteria[0]: give compare alone: a comparison criterion has no threshold or baseline',
      'stages[0].criteria[0].op: op has no meaning in a comparison criterion: direction says which change counts',
    ]);
    expect(messages({ metric: 'throughput', window: '1d', compare: { against: 'control' } })).toEqual([
      'stages[0].criteria[0].compare: against: control needs control: a scope, e.g. { scope: { line: line-2 } }, or { wave: previous }',
    ]);
    expect(messages({ metric: 'throughput', window: '1d', compare: { against: 'baseline', control: { scope: { line: 'x' } } } })).toEqual([
      "stages[0].criteria[0].compare.control: control is for against: control; a baseline is the stage's own scope before it started",
    ]);
    expect(messages({ metric: 'throughput', window: '1d', compare: { against: 'control', control: { wave: 'previous' } } })).toEqual([
      'stages[0].criteria[0].compare.control.wave: wave: previous needs a per-site stage (forEach) whose earlier wave is the control',
    ]);
  });

  it('refuses a derived built-in metric, which has no samples to compare', () => {
    expect(messages({ metric: 'precision', window: '1d', compare: { against: 'baseline' } })).toEqual([
      'stages[0].criteria[0].metric: compare reads the samples of a metric, and the built-in "precision" is derived rather than sampled: declare a metric under metrics',
    ]);
  });

  it('the schema refuses an empty control scope and an alpha out of range', () => {
    const parse = (compare: unknown) => Plan.safeParse({ name: 'p', owner: 'o', metrics, stages: [{ id: 'a', title: 'a', mode: 'pilot', minDuration: '1s', approvals: [{ role: 'r' }], criteria: [{ metric: 'throughput', window: '1d', compare }] }] }).success;
    expect(parse({ against: 'control', control: { scope: {} } })).toBe(false);
    expect(parse({ against: 'baseline', alpha: 0 })).toBe(false);
    expect(parse({ against: 'baseline', alpha: 0.6 })).toBe(false);
    expect(parse({ against: 'baseline', alpha: 0.01, minEffect: '2%', test: 'mann-whitney', direction: 'must-improve' })).toBe(true);
  });
});
