import fc from 'fast-check';
import { Plan } from '../../../definitions/schema';
import { advance, EVIDENCE_DEBOUNCE_MS, stageRules, type StageAttempt, type StageRules } from '../../../policy/stage-machine';
import { stageStep, stageWakeAt } from '../../../policy/stage-policy';

const S = 1_000;
const rules = (extra: Partial<StageRules> = {}): StageRules => ({ hasCriteria: true, intervalMs: 10 * S, onFailure: 'hold', ...extra });
const attempt = (extra: Partial<StageAttempt> = {}): StageAttempt => ({ phase: 'running', windowStartedAt: 0, minEndsAt: 60 * S, ...extra });
const wake = { type: 'wake' } as const;

describe('advance', () => {
  it('asks for an evaluation when none was made in this attempt, or evaluationInterval has passed since the last', () => {
    expect(advance(rules(), attempt(), wake, 0).effect).toEqual({ type: 'evaluate' });
    expect(advance(rules(), attempt({ evaluation: { at: 0, verdict: 'pass' } }), wake, 10 * S).effect).toEqual({ type: 'evaluate' });
    expect(advance(rules(), attempt({ evaluation: { at: 0, verdict: 'pass' } }), wake, 9 * S).effect).toEqual({ type: 'wait', until: 10 * S });
  });

  it('evaluates on fresh evidence once the last evaluation is a debounce interval old, and waits until then before', () => {
    const evidence = { type: 'evidence' } as const;
    const hourly = rules({ intervalMs: 3_600 * S });
    const last = attempt({ evaluation: { at: 0, verdict: 'inconclusive' } });
    expect(advance(hourly, last, evidence, EVIDENCE_DEBOUNCE_MS).effect).toEqual({ type: 'evaluate' });
    expect(advance(hourly, last, evidence, 1 * S)).toEqual({ next: last, effect: { type: 'wait', until: EVIDENCE_DEBOUNCE_MS } });
    expect(advance(hourly, last, wake, 1 * S).effect).toEqual({ type: 'wait', until: 60 * S });
    // An interval shorter than the debounce interval is the bound, and an earlier wake stays.
    expect(advance(rules({ intervalMs: 2 * S }), last, evidence, 1 * S).effect).toEqual({ type: 'wait', until: 2 * S });
    expect(advance(hourly, attempt({ minEndsAt: 2 * S, evaluation: { at: 0, verdict: 'inconclusive' } }), evidence, 1 * S).effect).toEqual({ type: 'wait', until: 2 * S });
    // A stage not yet evaluated is evaluated at once; one without criteria, or whose verdict decides, does not wait for evidence.
    expect(advance(hourly, attempt(), evidence, 0).effect).toEqual({ type: 'evaluate' });
    expect(advance(rules({ hasCriteria: false }), attempt({ minEndsAt: 0 }), evidence, 0).effect).toEqual({ type: 'await-approval' });
    expect(advance(hourly, attempt({ evaluation: { at: 0, verdict: 'fail' } }), evidence, 1 * S).effect).toEqual({ type: 'fail', action: { type: 'hold' } });
  });

  it('keeps the evaluation an event brings, and the last one when the evaluation could not run', () => {
    const evaluated = advance(rules(), attempt(), { type: 'evaluated', evaluation: { at: 5 * S, verdict: 'inconclusive' } }, 6 * S);
    expect(evaluated).toEqual({ next: attempt({ evaluation: { at: 5 * S, verdict: 'inconclusive' } }), effect: { type: 'wait', until: 15 * S } });
    const last = attempt({ evaluation: { at: 0, verdict: 'pass' } });
    // A failed evaluation counts as inconclusive, and the wait is counted from the last stored
    // evaluation: here it is over already, so the next pass evaluates again.
    expect(advance(rules(), last, { type: 'evaluated' }, 10 * S)).toEqual({ next: last, effect: { type: 'wait', until: 10 * S } });
    expect(advance(rules(), last, wake, 10 * S).effect).toEqual({ type: 'evaluate' });
  });

  it('moves a passing stage to awaiting sign-off once minDuration is over, and back to running when its criteria stop passing', () => {
    const passing = attempt({ minEndsAt: 10 * S });
    const awaiting = advance(rules(), passing, { type: 'evaluated', evaluation: { at: 10 * S, verdict: 'pass' } }, 10 * S);
    expect(awaiting).toEqual({ next: { ...passing, phase: 'awaiting-approval', evaluation: { at: 10 * S, verdict: 'pass' } }, effect: { type: 'await-approval' } });
    const regressed = advance(rules(), awaiting.next, { type: 'evaluated', evaluation: { at: 20 * S, verdict: 'inconclusive' } }, 20 * S);
    expect(regressed.next.phase).toBe('running');
    expect(regressed.effect).toEqual({ type: 'regress', verdict: 'inconclusive' });
  });

  it('reads onFailure into the failure action, and holds inconclusive criteria at maxDuration', () => {
    const failed = { type: 'evaluated', evaluation: { at: 0, verdict: 'fail' } } as const;
    expect(advance(rules(), attempt(), failed, 0).effect).toEqual({ type: 'fail', action: { type: 'hold' } });
    expect(advance(rules({ onFailure: 'abort' }), attempt(), failed, 0).effect).toEqual({ type: 'fail', action: { type: 'abort' } });
    expect(advance(rules({ onFailure: { rollback: 'pilot' } }), attempt(), failed, 0).effect).toEqual({ type: 'fail', action: { type: 'rollback', to: 'pilot' } });
    const inconclusive = { type: 'evaluated', evaluation: { at: 30 * S, verdict: 'inconclusive' } } as const;
    expect(advance(rules({ maxMs: 30 * S }), attempt(), inconclusive, 30 * S).effect).toEqual({ type: 'hold-inconclusive' });
    expect(advance(rules({ maxMs: 31 * S }), attempt(), inconclusive, 30 * S).effect).toEqual({ type: 'wait', until: 31 * S });
  });

  it('lets a stage without criteria pass once minDuration is over, and then waits for a person', () => {
    const none = rules({ hasCriteria: false });
    expect(advance(none, attempt(), wake, 0).effect).toEqual({ type: 'wait', until: 60 * S });
    const awaiting = advance(none, attempt(), wake, 60 * S);
    expect(awaiting.effect).toEqual({ type: 'await-approval' });
    expect(advance(none, awaiting.next, wake, 60 * S).effect).toEqual({ type: 'wait', until: Infinity });
  });

  it('reads a stage definition into its rules', () => {
    const plan = Plan.parse({
      name: 'p',
      owner: 'o',
      stages: [
        { id: 'a', title: 'A', mode: 'pilot', minDuration: '1h', evaluationInterval: '5m', maxDuration: '2h', onFailure: 'abort', approvals: [{ role: 'r' }], criteria: [{ metric: 'precision', threshold: 0.9, window: '1h' }] },
        { id: 'b', title: 'B', mode: 'pilot', minDuration: '1h', approvals: [{ role: 'r' }] },
      ],
    });
    expect(stageRules(plan.stages[0]!)).toEqual({ hasCriteria: true, intervalMs: 300 * S, maxMs: 7_200 * S, onFailure: 'abort' });
    expect(stageRules(plan.stages[1]!)).toEqual({ hasCriteria: false, intervalMs: 3_600 * S, onFailure: 'hold' });
  });

  it('decides as stageStep and stageWakeAt do, for any attempt and verdict (seeded)', () => {
    const verdict = fc.constantFrom('pass' as const, 'fail' as const, 'inconclusive' as const);
    fc.assert(
      fc.property(
        fc.record({
          hasCriteria: fc.boolean(),
          intervalMs: fc.integer({ min: 1, max: 100 }),
          maxMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
          phase: fc.constantFrom('running' as const, 'awaiting-approval' as const),
          minEndsAt: fc.integer({ min: 0, max: 300 }),
          evaluation: fc.option(fc.record({ at: fc.integer({ min: 0, max: 300 }), verdict }), { nil: undefined }),
          now: fc.integer({ min: 0, max: 400 }),
        }),
        (c) => {
          const r: StageRules = { hasCriteria: c.hasCriteria, intervalMs: c.intervalMs, onFailure: 'hold', ...(c.maxMs !== undefined ? { maxMs: c.maxMs } : {}) };
          const a: StageAttempt = { phase: c.phase, windowStartedAt: 0, minEndsAt: c.minEndsAt, ...(c.evaluation ? { evaluation: c.evaluation } : {}) };
          const { next, effect } = advance(r, a, wake, c.now);
          const due = c.hasCriteria && (c.evaluation === undefined || c.now >= c.evaluation.at + c.intervalMs);
          if (due) return effect.type === 'evaluate' && next === a;
          const v = c.hasCriteria ? c.evaluation!.verdict : 'pass';
          const step = stageStep({ verdict: v, state: c.phase, minOver: c.now >= c.minEndsAt, maxReached: c.maxMs !== undefined && c.now >= c.maxMs });
          const expected = { fail: 'fail', 'hold-inconclusive': 'hold-inconclusive', 'await-approval': 'await-approval', regress: 'regress', wait: 'wait' }[step];
          if (effect.type !== expected) return false;
          if (effect.type !== 'wait') return true;
          const lastEvaluatedAt = c.evaluation?.at;
          const until = stageWakeAt({ now: c.now, hasCriteria: c.hasCriteria, ...(lastEvaluatedAt !== undefined ? { lastEvaluatedAt } : {}), intervalMs: c.intervalMs, minEndsAt: c.minEndsAt, ...(c.maxMs !== undefined ? { maxAt: c.maxMs } : {}), verdict: v });
          return effect.until === until;
        },
      ),
      { seed: 17, numRuns: 500 },
    );
  });
});
