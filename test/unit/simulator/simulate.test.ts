import { parseDuration } from '../../../definitions/duration';
import { Plan, type PlanInput } from '../../../definitions/schema';
import { indexSamples, simulate, type ScenarioSample, type SimulationOptions, type SimulationResult } from '../../../simulator/simulate';
import { evaluationDue, rollbackScope, stageStep, stageWakeAt } from '../../../policy/stage-policy';

const START = Date.parse('2026-01-05T00:00:00Z');
/** at('+2w1d') is that long after START; at('-4w') before it. */
const at = (offset: string): number => (offset.startsWith('-') ? START - ms(offset.slice(1)) : START + ms(offset.replace(/^\+/, '')));
const ms = (duration: string): number => (duration === '0' ? 0 : parseDuration(duration)!);

const plan = (stages: PlanInput['stages'], extra: Partial<PlanInput> = {}): Plan => Plan.parse({ name: 'sim', owner: 'lead', ...extra, stages });

/** every makes one sample each `step` from `from` up to, not including, `to`. */
function every(metric: string, from: string, to: string, step: string, value: number | ((t: number) => number)): ScenarioSample[] {
  const samples: ScenarioSample[] = [];
  for (let t = at(from); t < at(to); t += ms(step)) samples.push({ metric, value: typeof value === 'number' ? value : value(t), at: t });
  return samples;
}

function run(p: Plan, samples: ScenarioSample[], options: Partial<SimulationOptions> = {}): SimulationResult {
  return simulate(p, { samples: [...samples].sort((a, b) => a.at - b.at) }, { start: START, ...options });
}

/** timeline shows events as [offset from START, stage (or -), type, detail]. */
const timeline = (result: SimulationResult) => result.events.map((event) => [offset(event.at), event.stageId ?? '-', event.type, event.detail]);
/** steps leaves the details out. */
const steps = (result: SimulationResult) => result.events.map((event) => [offset(event.at), event.stageId ?? '-', event.type]);

function offset(time: number): string {
  const units: Array<[string, number]> = [['w', ms('1w')], ['d', ms('1d')], ['h', ms('1h')], ['m', ms('1m')], ['s', ms('1s')]];
  let rest = time - START;
  if (rest === 0) return '+0';
  let text = '+';
  for (const [unit, size] of units) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

const PERSON = 'a person must choose retry-window, rollback or abort';
const precision = { metric: 'precision', threshold: 0.9, window: '7d' };

describe('simulate: a straight pass', () => {
  const p = plan([
    { id: 'pilot', title: 'Pilot', mode: 'pilot', minDuration: '2w', evaluationInterval: '1d', criteria: [precision], approvals: [{ role: 'lead' }] },
    {
      id: 'shadow',
      title: 'Shadow',
      mode: 'shadow',
      dependsOn: ['pilot'],
      minDuration: '2w',
      evaluationInterval: '1d',
      criteria: [precision],
      approvals: [{ role: 'lead' }, { role: 'supervisor', count: 2 }],
    },
  ]);
  // Daily precision from day 3 on: each stage's first sample lands in its window a day later.
  const result = run(p, every('precision', '+3d', '+8w', '1d', 0.95));

  it('starts the shadow when the pilot passes, each passing its criteria and waiting out minDuration', () => {
    expect(timeline(result)).toEqual([
      ['+0', 'pilot', 'stage.started', 'started (attempt 1): runs at least 2w; criteria every 1d'],
      ['+0', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+4d', 'pilot', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+2w', 'pilot', 'stage.awaiting-approval', 'awaits sign-off by lead (criteria pass and minDuration 2w is over)'],
      ['+2w1d', 'pilot', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+2w1d', 'shadow', 'stage.started', 'started (attempt 1): runs at least 2w; criteria every 1d'],
      ['+2w1d', 'shadow', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+2w2d', 'shadow', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+4w1d', 'shadow', 'stage.awaiting-approval', 'awaits sign-off by lead, 2 × supervisor (criteria pass and minDuration 2w is over)'],
      ['+4w2d', 'shadow', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+4w2d', '-', 'rollout.completed', 'completed: every stage passed'],
    ]);
  });

  it('counts every evaluation, listed or not, and summarises each stage', () => {
    expect(result).toMatchObject({ outcome: 'completed', finishedAt: at('+4w2d'), evaluations: 30, start: START, until: at('+730d'), signOffAfterMs: ms('1d') });
    expect(result.stages).toEqual([
      { id: 'pilot', outcome: 'passed', at: at('+2w1d'), why: 'signed off 1d after it was asked for', attempts: 1, evaluations: 15 },
      { id: 'shadow', outcome: 'passed', at: at('+4w2d'), why: 'signed off 1d after it was asked for', attempts: 1, evaluations: 15 },
    ]);
  });

  it('moves every sign-off by --sign-off-after', () => {
    const slow = run(p, every('precision', '+3d', '+8w', '1d', 0.95), { signOffAfterMs: ms('3d') });
    expect(slow.finishedAt).toBe(at('+4w6d'));
    expect(slow.stages.map((s) => s.why)).toEqual(['signed off 3d after it was asked for', 'signed off 3d after it was asked for']);
  });
});

describe('simulate: failing criteria', () => {
  const guarded = (onFailure: 'hold' | 'abort') =>
    plan(
      [
        {
          id: 'pilot',
          title: 'Pilot',
          mode: 'pilot',
          minDuration: '4w',
          evaluationInterval: '1d',
          criteria: [precision, { metric: 'line-throughput', baseline: { window: '4w', maxRegression: '2%' }, window: '7d' }],
          approvals: [{ role: 'lead' }],
          onFailure,
        },
        { id: 'next', title: 'Next', mode: 'shadow', dependsOn: ['pilot'], minDuration: '1w', approvals: [{ role: 'lead' }] },
      ],
      { metrics: { 'line-throughput': { unit: 'bodies/h', direction: 'higher-is-better', guardrail: true } } },
    );
  // Throughput holds at 100 before the start and drops to 90 a week in: the 7-day mean falls
  // below the limit of 98 on day 9, (120·100 + 48·90) / 168 hourly samples.
  const samples = [...every('line-throughput', '-4w', '+1w', '1h', 100), ...every('line-throughput', '+1w', '+8w', '1h', 90), ...every('precision', '+12h', '+8w', '1d', 0.95)];
  const failing =
    'line-throughput: not 97.1428571429 >= 98 (baseline 100, at most 2% worse) over 168 samples';

  it('holds the stage when a guardrail regresses against its baseline (onFailure hold), and stops that branch', () => {
    const result = run(guarded('hold'), samples);
    expect(timeline(result)).toEqual([
      ['+0', 'pilot', 'stage.started', 'started (attempt 1): runs at least 4w; criteria every 1d'],
      ['+0', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window; line-throughput: no data in the window'],
      [
        '+1d',
        'pilot',
        'stage.evaluated',
        'criteria pass: precision: 0.95 >= 0.9 over 1 samples; line-throughput: 100 >= 98 (baseline 100, at most 2% worse) over 24 samples',
      ],
      ['+1w2d', 'pilot', 'stage.evaluated', `criteria fail: precision: 0.95 >= 0.9 over 7 samples; ${failing}`],
      ['+1w2d', 'pilot', 'stage.held', `held: criteria failed: ${failing}; ${PERSON}`],
      ['+1w2d', '-', 'rollout.held', 'held: nothing more happens without a person: stage pilot is held'],
    ]);
    expect(result.outcome).toBe('held');
    expect(result.finishedAt).toBeUndefined();
    expect(result.stages).toEqual([
      { id: 'pilot', outcome: 'held', at: at('+1w2d'), why: `criteria failed: ${failing}; ${PERSON}`, attempts: 1, evaluations: 10 },
      { id: 'next', outcome: 'pending', why: 'waits for pilot (held)', attempts: 0, evaluations: 0 },
    ]);
  });

  it('aborts the rollout under onFailure abort', () => {
    const result = run(guarded('abort'), samples);
    const reason = `stage pilot failed (${failing}) and its onFailure is abort`;
    expect(timeline(result).slice(-1)).toEqual([['+1w2d', 'pilot', 'rollout.aborted', `aborted: ${reason}`]]);
    expect(result.outcome).toBe('aborted');
    expect(result.stages.map((s) => [s.id, s.outcome, s.at, s.why])).toEqual([
      ['pilot', 'aborted', at('+1w2d'), `the rollout is aborted: ${reason}`],
      ['next', 'aborted', at('+1w2d'), `the rollout is aborted: ${reason}`],
    ]);
  });
});

describe('simulate: maxDuration', () => {
  it('holds a stage whose criteria are still inconclusive at maxDuration', () => {
    const p = plan([
      {
        id: 'pilot',
        title: 'Pilot',
        mode: 'pilot',
        minDuration: '1w',
        maxDuration: '2w',
        evaluationInterval: '1d',
        criteria: [{ ...precision, minSamples: 100 }],
        approvals: [{ role: 'lead' }],
      },
    ]);
    // Ten samples a day: a 7-day window never holds the 100 the criterion needs.
    const result = run(p, every('precision', '+0', '+8w', '144m', 0.95));
    const reason = 'criteria are still inconclusive after maxDuration 2w (precision: 70 samples in the window, fewer than minSamples 100)';
    expect(timeline(result)).toEqual([
      ['+0', 'pilot', 'stage.started', 'started (attempt 1): runs at least 1w, at most 2w; criteria every 1d'],
      ['+0', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+2w', 'pilot', 'stage.held', `held: ${reason}; ${PERSON}`],
      ['+2w', '-', 'rollout.held', 'held: nothing more happens without a person: stage pilot is held'],
    ]);
    expect(result.stages[0]).toMatchObject({ outcome: 'held', at: at('+2w'), evaluations: 15 });
  });

  it('runs on to the horizon without maxDuration, reporting the stage as running', () => {
    const p = plan([{ id: 'pilot', title: 'Pilot', mode: 'pilot', minDuration: '1w', evaluationInterval: '1d', criteria: [precision], approvals: [{ role: 'lead' }] }]);
    const result = run(p, [], { untilMs: at('+10d') });
    expect(timeline(result)).toEqual([
      ['+0', 'pilot', 'stage.started', 'started (attempt 1): runs at least 1w; criteria every 1d'],
      ['+0', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+1w3d', '-', 'horizon', 'the horizon is reached; still under way: pilot (running)'],
    ]);
    expect(result).toMatchObject({ outcome: 'horizon', evaluations: 11 });
    expect(result.stages).toEqual([
      { id: 'pilot', outcome: 'running', at: START, why: 'criteria inconclusive: precision: no data in the window', attempts: 1, evaluations: 11 },
    ]);
  });

  it('stops at the evaluation guard rather than run for ever', () => {
    const p = plan([{ id: 'pilot', title: 'Pilot', mode: 'pilot', minDuration: '1w', evaluationInterval: '1s', criteria: [precision], approvals: [{ role: 'lead' }] }]);
    const result = run(p, [], { maxEvaluations: 1000 });
    expect(timeline(result).slice(-1)).toEqual([['+16m39s', '-', 'horizon', 'stopped after 1000 evaluations, the most one simulation runs; still under way: pilot (running)']]);
    expect(result.events[result.events.length - 1]!.at).toBe(START + 999_000);
  });
});

describe('simulate: consecutive evaluations', () => {
  it('passes after 3 passing evaluations in a row; an evaluation without data neither counts nor breaks the run', () => {
    const p = plan([
      {
        id: 'pilot',
        title: 'Pilot',
        mode: 'pilot',
        minDuration: '1d',
        evaluationInterval: '1d',
        criteria: [{ metric: 'precision', threshold: 0.9, window: '1d', consecutive: 3 }],
        approvals: [{ role: 'lead' }],
      },
    ]);
    // Windows [0,1d), [1d,2d) and [3d,4d) hold a sample; [2d,3d) holds none.
    const samples = ['+12h', '+1d12h', '+3d12h'].map((time) => ({ metric: 'precision', value: 0.95, at: at(time) }));
    const result = run(p, samples);
    expect(timeline(result)).toEqual([
      ['+0', 'pilot', 'stage.started', 'started (attempt 1): runs at least 1d; criteria every 1d'],
      ['+0', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+4d', 'pilot', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+4d', 'pilot', 'stage.awaiting-approval', 'awaits sign-off by lead (criteria pass and minDuration 1d is over)'],
      ['+5d', 'pilot', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+5d', '-', 'rollout.completed', 'completed: every stage passed'],
    ]);
    expect(result.evaluations).toBe(5);
  });

  it('sends a stage awaiting sign-off back to running when its criteria stop passing, and restarts the sign-off clock', () => {
    const p = plan([
      {
        id: 'pilot',
        title: 'Pilot',
        mode: 'pilot',
        minDuration: '2d',
        evaluationInterval: '1d',
        criteria: [{ metric: 'precision', threshold: 0.9, window: '1d' }],
        approvals: [{ role: 'lead' }],
        escalation: [
          { after: '36h', action: 'escalate', to: 'manager' },
          { after: '2d12h', action: 'escalate', to: 'director' },
        ],
      },
    ]);
    // No sample on day 3.
    const samples = [...every('precision', '+12h', '+3d', '1d', 0.95), ...every('precision', '+4d12h', '+3w', '1d', 0.95)];
    const result = run(p, samples, { signOffAfterMs: ms('3d') });
    expect(timeline(result)).toEqual([
      ['+0', 'pilot', 'stage.started', 'started (attempt 1): runs at least 2d; criteria every 1d'],
      ['+0', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+1d', 'pilot', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+2d', 'pilot', 'stage.awaiting-approval', 'awaits sign-off by lead (criteria pass and minDuration 2d is over)'],
      ['+3d12h', 'pilot', 'stage.escalated', 'escalated to manager: sign-off of stage pilot is not complete after 36h'],
      ['+4d', 'pilot', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window; back to running until they pass again'],
      ['+5d', 'pilot', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+5d', 'pilot', 'stage.awaiting-approval', 'awaits sign-off by lead (criteria pass and minDuration 2d is over)'],
      // The chain goes on where it was: the first step does not fire again.
      ['+1w12h', 'pilot', 'stage.escalated', 'escalated to director: sign-off of stage pilot is not complete after 2d12h'],
      ['+1w1d', 'pilot', 'stage.passed', 'passed: signed off 3d after it was asked for'],
      ['+1w1d', '-', 'rollout.completed', 'completed: every stage passed'],
    ]);
  });
});

describe('simulate: rollback', () => {
  const p = plan([
    { id: 'a', title: 'A', mode: 'pilot', minDuration: '1w', approvals: [{ role: 'lead' }] },
    {
      id: 'b',
      title: 'B',
      mode: 'shadow',
      dependsOn: ['a'],
      minDuration: '1w',
      evaluationInterval: '1d',
      criteria: [{ metric: 'precision', threshold: 0.9, window: '1d' }],
      approvals: [{ role: 'lead' }],
      onFailure: { rollback: 'a' },
    },
  ]);

  it('re-enters the upstream stage, resets it and the stages after it, and runs them again', () => {
    // One bad day during b's first attempt.
    const samples = every('precision', '+12h', '+8w', '1d', (t) => (t === at('+1w2d12h') ? 0.5 : 0.95));
    const result = run(p, samples);
    const failing = 'precision: not 0.5 >= 0.9 over 1 samples';
    expect(timeline(result)).toEqual([
      ['+0', 'a', 'stage.started', 'started (attempt 1): runs at least 1w; no criteria'],
      ['+1w', 'a', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 1w is over)'],
      ['+1w1d', 'a', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+1w1d', 'b', 'stage.started', 'started (attempt 1): runs at least 1w; criteria every 1d'],
      ['+1w1d', 'b', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+1w2d', 'b', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+1w3d', 'b', 'stage.evaluated', `criteria fail: ${failing}`],
      ['+1w3d', 'a', 'stage.rolled-back', `rolled back: b failed (${failing}); re-entering a (rollback 1 of at most 3); back to pending: a, b`],
      ['+1w3d', 'a', 'stage.started', 'started (attempt 2): runs at least 1w; no criteria'],
      ['+2w3d', 'a', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 1w is over)'],
      ['+2w4d', 'a', 'stage.passed', 'passed: signed off 1d after it was asked for (attempt 2)'],
      ['+2w4d', 'b', 'stage.started', 'started (attempt 2): runs at least 1w; criteria every 1d'],
      ['+2w4d', 'b', 'stage.evaluated', 'criteria inconclusive: precision: no data in the window'],
      ['+2w5d', 'b', 'stage.evaluated', 'criteria pass: precision: 0.95 >= 0.9 over 1 samples'],
      ['+3w4d', 'b', 'stage.awaiting-approval', 'awaits sign-off by lead (criteria pass and minDuration 1w is over)'],
      ['+3w5d', 'b', 'stage.passed', 'passed: signed off 1d after it was asked for (attempt 2)'],
      ['+3w5d', '-', 'rollout.completed', 'completed: every stage passed'],
    ]);
    expect(result.stages.map((s) => [s.id, s.outcome, s.attempts])).toEqual([
      ['a', 'passed', 2],
      ['b', 'passed', 2],
    ]);
  });

  it('holds instead of rolling back once the target has been re-entered maxReentries times', () => {
    const result = run(p, every('precision', '+12h', '+8w', '1d', 0.5), { maxReentries: 1 });
    expect(steps(result)).toEqual([
      ['+0', 'a', 'stage.started'],
      ['+1w', 'a', 'stage.awaiting-approval'],
      ['+1w1d', 'a', 'stage.passed'],
      ['+1w1d', 'b', 'stage.started'],
      ['+1w1d', 'b', 'stage.evaluated'],
      ['+1w2d', 'b', 'stage.evaluated'],
      ['+1w2d', 'a', 'stage.rolled-back'],
      ['+1w2d', 'a', 'stage.started'],
      ['+2w2d', 'a', 'stage.awaiting-approval'],
      ['+2w3d', 'a', 'stage.passed'],
      ['+2w3d', 'b', 'stage.started'],
      ['+2w3d', 'b', 'stage.evaluated'],
      ['+2w4d', 'b', 'stage.evaluated'],
      ['+2w4d', 'b', 'stage.held'],
      ['+2w4d', '-', 'rollout.held'],
    ]);
    expect(result.stages[1]).toEqual({
      id: 'b',
      outcome: 'held',
      at: at('+2w4d'),
      why: `criteria failed (precision: not 0.5 >= 0.9 over 1 samples); onFailure rolls back to a, re-entered once already, so the simulation stops the loop here; ${PERSON}`,
      attempts: 2,
      evaluations: 4,
    });
  });
});

describe('simulate: parallel stages and escalation', () => {
  const p = plan([
    { id: 'a', title: 'A', mode: 'pilot', minDuration: '1w', approvals: [{ role: 'lead' }] },
    { id: 'b', title: 'B', mode: 'shadow', dependsOn: ['a'], minDuration: '1w', approvals: [{ role: 'lead' }] },
    {
      id: 'c',
      title: 'C',
      mode: 'shadow',
      dependsOn: ['a'],
      minDuration: '3w',
      approvals: [{ role: 'lead' }],
      escalation: [
        { after: '12h', action: 'escalate', to: 'manager' },
        { after: '2d', action: 'hold' },
      ],
    },
    { id: 'd', title: 'D', mode: 'supervised', overrideAuthority: 'lead', dependsOn: ['b', 'c'], minDuration: '1w', approvals: [{ role: 'lead' }] },
  ]);

  it('runs independent stages side by side and starts the join when the last of them passes', () => {
    const result = run(p, []);
    expect(timeline(result)).toEqual([
      ['+0', 'a', 'stage.started', 'started (attempt 1): runs at least 1w; no criteria'],
      ['+1w', 'a', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 1w is over)'],
      ['+1w1d', 'a', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+1w1d', 'b', 'stage.started', 'started (attempt 1): runs at least 1w; no criteria'],
      ['+1w1d', 'c', 'stage.started', 'started (attempt 1): runs at least 3w; no criteria'],
      ['+2w1d', 'b', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 1w is over)'],
      ['+2w2d', 'b', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+4w1d', 'c', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 3w is over)'],
      ['+4w1d12h', 'c', 'stage.escalated', 'escalated to manager: sign-off of stage c is not complete after 12h'],
      ['+4w2d', 'c', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+4w2d', 'd', 'stage.started', 'started (attempt 1): runs at least 1w; no criteria'],
      ['+5w2d', 'd', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 1w is over)'],
      ['+5w3d', 'd', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+5w3d', '-', 'rollout.completed', 'completed: every stage passed'],
    ]);
    expect(result).toMatchObject({ outcome: 'completed', finishedAt: at('+5w3d'), evaluations: 0 });
  });

  it('fires no escalation step when the sign-off arrives exactly at its `after`', () => {
    const result = run(p, [], { signOffAfterMs: ms('12h') });
    expect(result.events.filter((event) => event.type === 'stage.escalated')).toEqual([]);
  });

  it('stops at an escalation hold: the rollout waits for a person', () => {
    const result = run(p, [], { signOffAfterMs: ms('3d') });
    expect(timeline(result).slice(-3)).toEqual([
      ['+4w3d', 'c', 'stage.awaiting-approval', 'awaits sign-off by lead (minDuration 3w is over)'],
      ['+4w3d12h', 'c', 'stage.escalated', 'escalated to manager: sign-off of stage c is not complete after 12h'],
      ['+4w5d', 'c', 'rollout.held', 'held: sign-off of stage c is not complete after 2d; a person must resume or abort the rollout'],
    ]);
    expect(result.outcome).toBe('held');
    expect(result.stages.map((s) => [s.id, s.outcome, s.why])).toEqual([
      ['a', 'passed', 'signed off 3d after it was asked for'],
      ['b', 'passed', 'signed off 3d after it was asked for'],
      ['c', 'held', 'awaits sign-off, and the rollout is held: sign-off of stage c is not complete after 2d; a person must resume or abort the rollout'],
      ['d', 'pending', 'waits for c (held)'],
    ]);
  });
});

describe('simulate: a lagging KPI over a year', () => {
  const p = plan(
    [
      {
        id: 'deployment',
        title: 'Deployment',
        mode: 'autonomous',
        minDuration: '365d',
        evaluationInterval: '1d',
        criteria: [
          { metric: 'warranty-claims', threshold: 1.8, window: '365d', minSamples: 4 },
          { metric: 'line-throughput', threshold: 50, window: '14d' },
        ],
        approvals: [{ role: 'plant-manager' }],
      },
    ],
    {
      metrics: {
        'warranty-claims': { unit: 'claims per 1000 vehicles', direction: 'lower-is-better', kind: 'lagging' },
        'line-throughput': { unit: 'bodies/h', direction: 'higher-is-better' },
      },
    },
  );
  // Claims show up three months in, weekly; throughput is reported hourly all year.
  const samples = [...every('warranty-claims', '+13w', '+60w', '1w', 1.5), ...every('line-throughput', '+0', '+400d', '1h', 60)];

  it('waits for enough claims data, then for the full year, evaluating daily', () => {
    const result = run(p, samples, { untilMs: at('+400d') });
    expect(timeline(result)).toEqual([
      ['+0', 'deployment', 'stage.started', 'started (attempt 1): runs at least 365d; criteria every 1d'],
      ['+0', 'deployment', 'stage.evaluated', 'criteria inconclusive: warranty-claims: no data in the window; line-throughput: no data in the window'],
      ['+16w1d', 'deployment', 'stage.evaluated', 'criteria pass: warranty-claims: 1.5 <= 1.8 over 4 samples; line-throughput: 60 >= 50 over 336 samples'],
      ['+52w1d', 'deployment', 'stage.awaiting-approval', 'awaits sign-off by plant-manager (criteria pass and minDuration 365d is over)'],
      ['+52w2d', 'deployment', 'stage.passed', 'passed: signed off 1d after it was asked for'],
      ['+52w2d', '-', 'rollout.completed', 'completed: every stage passed'],
    ]);
    expect(result).toMatchObject({ outcome: 'completed', finishedAt: at('+366d'), evaluations: 366 });
  });

  it('reaches the horizon still running when the claims never come', () => {
    const result = run(p, samples.filter((s) => s.metric !== 'warranty-claims'), { untilMs: at('+400d') });
    expect(timeline(result).slice(-1)).toEqual([['+57w1d', '-', 'horizon', 'the horizon is reached; still under way: deployment (running)']]);
    expect(result.stages[0]).toEqual({
      id: 'deployment',
      outcome: 'running',
      at: START,
      why: 'criteria inconclusive: warranty-claims: no data in the window',
      attempts: 1,
      evaluations: 401,
    });
  });
});

describe('the stage policy', () => {
  it.each([
    [{ verdict: 'fail', state: 'awaiting-approval', minOver: true, maxReached: true }, 'fail'],
    [{ verdict: 'inconclusive', state: 'running', minOver: false, maxReached: true }, 'hold-inconclusive'],
    [{ verdict: 'inconclusive', state: 'awaiting-approval', minOver: true, maxReached: true }, 'hold-inconclusive'],
    [{ verdict: 'pass', state: 'running', minOver: true, maxReached: true }, 'await-approval'],
    [{ verdict: 'pass', state: 'running', minOver: false, maxReached: false }, 'wait'],
    [{ verdict: 'pass', state: 'awaiting-approval', minOver: true, maxReached: false }, 'wait'],
    [{ verdict: 'inconclusive', state: 'awaiting-approval', minOver: true, maxReached: false }, 'regress'],
    [{ verdict: 'inconclusive', state: 'running', minOver: true, maxReached: false }, 'wait'],
  ] as const)('stageStep(%j) is %s', (moment, step) => {
    expect(stageStep(moment)).toBe(step);
  });

  it('evaluates first thing in an attempt, then every interval', () => {
    expect(evaluationDue(undefined, 3_600_000, 0)).toBe(true);
    expect(evaluationDue(0, 3_600_000, 3_599_999)).toBe(false);
    expect(evaluationDue(0, 3_600_000, 3_600_000)).toBe(true);
  });

  it('wakes a stage for its next evaluation, its minDuration, or its maxDuration while inconclusive', () => {
    const base = { now: 100, hasCriteria: true, lastEvaluatedAt: 100, intervalMs: 50, minEndsAt: 120, verdict: 'pass' } as const;
    expect(stageWakeAt(base)).toBe(120);
    expect(stageWakeAt({ ...base, minEndsAt: 500 })).toBe(150);
    expect(stageWakeAt({ ...base, minEndsAt: 500, maxAt: 130 })).toBe(150);
    expect(stageWakeAt({ ...base, minEndsAt: 500, maxAt: 130, verdict: 'inconclusive' })).toBe(130);
    expect(stageWakeAt({ ...base, hasCriteria: false, minEndsAt: 100 })).toBe(Infinity);
  });

  it('rolls back the target and the started stages after it, in plan order', () => {
    const stages = [
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['b'] },
      { id: 'side', dependsOn: [] },
    ];
    expect(rollbackScope(stages, 'a', new Set(['a', 'b', 'side']))).toEqual(['a', 'b']);
  });
});

describe('indexSamples', () => {
  const sample = (metric: string, value: number, time: number): ScenarioSample => ({ metric, value, at: time });

  it('averages the samples of a half-open window [from, to) and counts them', () => {
    const index = indexSamples([sample('m', 1, 10), sample('m', 2, 20), sample('m', 6, 30), sample('other', 100, 20)]);
    expect(index.observe('m', { from: 10, to: 30 })).toEqual({ value: 1.5, samples: 2 });
    expect(index.observe('m', { from: 11, to: 31 })).toEqual({ value: 4, samples: 2 });
    expect(index.observe('m', { from: 31, to: 40 })).toEqual({ value: null, samples: 0 });
    expect(index.observe('unknown', { from: 0, to: 40 })).toEqual({ value: null, samples: 0 });
  });

  it('gives decimal means as written, and does not drift after 300 000 samples', () => {
    expect(indexSamples([sample('m', 0.1, 1), sample('m', 0.2, 2)]).observe('m', { from: 0, to: 3 })).toEqual({ value: 0.15, samples: 2 });
    const many = Array.from({ length: 300_000 }, (_, i) => sample('m', i % 2 === 0 ? 1234.1 : 1234.3, i));
    expect(indexSamples(many).observe('m', { from: 299_990, to: 300_000 })).toEqual({ value: 1234.2, samples: 10 });
  });

  it('sorts samples given out of order and leaves out values that are not finite', () => {
    const index = indexSamples([sample('m', 3, 30), sample('m', 1, 10), sample('m', NaN, 15), sample('m', Infinity, 16)]);
    expect(index.observe('m', { from: 0, to: 20 })).toEqual({ value: 1, samples: 1 });
    expect(index.observe('m', { from: 0, to: 40 })).toEqual({ value: 2, samples: 2 });
  });
});

describe('simulate: per-site waves and steady state', () => {
  const p = plan([
    {
      id: 'plants',
      title: 'Plant by plant',
      mode: 'pilot',
      scope: { sites: ['a', 'b', 'c'] },
      forEach: { over: 'sites', waves: [1, 'rest'], feedbackCycle: '2w', waveApprovals: [{ role: 'director' }] },
      minDuration: '4w',
      evaluationInterval: '1d',
      criteria: [precision],
      approvals: [{ role: 'lead' }],
    },
    {
      id: 'steady',
      title: 'Steady state',
      dependsOn: ['plants'],
      mode: 'pilot',
      minDuration: '1w',
      evaluationInterval: '1d',
      criteria: [precision],
      approvals: [{ role: 'lead' }],
      steadyState: { reviewEvery: '4w', horizon: '10w' },
    },
  ]);

  it('runs each wave for minDuration, then waits the feedback cycle and the wave sign-off, and passes steady state at its horizon unsigned', () => {
    const result = run(p, every('precision', '+0', '+40w', '1d', 0.95));
    expect(steps(result).filter(([, , type]) => type !== 'stage.evaluated')).toEqual([
      ['+0', 'plants', 'stage.started'],
      ['+0', 'plants', 'wave.started'],
      ['+4w', 'plants', 'stage.awaiting-approval'],
      ['+4w1d', 'plants', 'wave.passed'],
      ['+6w2d', 'plants', 'wave.started'],
      ['+10w2d', 'plants', 'stage.awaiting-approval'],
      ['+10w3d', 'plants', 'stage.passed'],
      ['+10w3d', 'steady', 'stage.started'],
      ['+20w3d', 'steady', 'stage.passed'],
      ['+20w3d', '-', 'rollout.completed'],
    ]);
    const detail = (type: string) => timeline(result).find(([, , t]) => t === type)![3];
    expect(detail('wave.passed')).toBe('wave 1 of 2 passed: signed off 1d after it was asked for; wave 2 starts after the 2w feedback cycle and its sign-off by director (1d)');
    expect(timeline(result).filter(([, , type]) => type === 'wave.started').map(([, , , text]) => text)).toEqual([
      'wave 1 of 2 started: a',
      'wave 2 of 2 started: b, c',
    ]);
    expect(result.stages.find((stage) => stage.id === 'steady')?.why).toBe('its criteria pass at or after the horizon 10w');
  });

  it('tells a stage between waves apart in the summary', () => {
    const result = run(p, every('precision', '+0', '+40w', '1d', 0.95), { untilMs: at('+5w') });
    expect(result.stages[0]).toMatchObject({ outcome: 'running', why: 'wave 1 of 2 passed; the next starts after the feedback cycle and its sign-off' });
  });
});
