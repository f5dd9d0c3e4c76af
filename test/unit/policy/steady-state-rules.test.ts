import type { Stage } from '../../../definitions/schema';
import type { CriterionEvaluation, StageEvaluation } from '../../../policy/criteria';
import type { Actor } from '../../../policy/rollout-types';
import { quorumRole, SignOffRejection, type SignOffContext } from '../../../policy/sign-off';
import { retrainingAction, reviewDueAction } from '../../../workflows/steady-state-actions';
import { modelVersionRole, progressDetail, reviewSignOffRole, reviewVerdicts, SteadyStateRejection } from '../../../policy/steady-state-rules';
import type { Review, SteadyStateStatus } from '../../../policy/steady-state-types';

const AT = '2026-01-01T00:00:00.000Z';
const person = (name: string, ...roles: string[]): Actor => ({ name, kind: 'person', roles });
const context: SignOffContext = {
  rolloutState: 'running',
  roles: {
    'line-supervisor': { members: ['ann', 'cid'] },
    'plant-manager': { members: ['pia'] },
    'data-engineer': { members: ['yui', 'retrain-bot'] },
  },
  allowSelfApproval: false,
  startedBy: 'maria',
};
const required = [
  { role: 'line-supervisor', count: 2 },
  { role: 'plant-manager', count: 1 },
];
const signOff = (approver: string, role: string) => ({ decision: 'approve' as const, approver, role, at: AT });
const task = (approvals = [] as ReturnType<typeof signOff>[]) => ({ label: 'review 1 of stage steady', required, approvals });

describe('quorumRole', () => {
  it('counts distinct people toward the first missing role they hold', () => {
    expect(quorumRole(context, task(), person('ann'))).toBe('line-supervisor');
    expect(quorumRole(context, task([signOff('ann', 'line-supervisor')]), person('cid'))).toBe('line-supervisor');
    expect(quorumRole(context, task(), person('pia'), 'plant-manager')).toBe('plant-manager');
  });

  it('refuses people without a role, token roles the plan map overrides, services, and a role the task does not take', () => {
    const refused = (actor: Actor, role?: string) => (quorumRole(context, task(), actor, role) as { type: string }).type;
    expect(refused(person('zed'))).toBe(SignOffRejection.notAuthorized);
    expect(refused(person('zed', 'plant-manager'))).toBe(SignOffRejection.notAuthorized);
    expect(refused({ name: 'bot', kind: 'service', roles: ['quality-lead'] }, 'quality-lead')).toBe(SignOffRejection.notAuthorized);
    expect(refused(person('ann'), 'plant-manager')).toBe(SignOffRejection.notAuthorized);
    expect(quorumRole(context, task(), person('ann'), 'data-engineer')).toMatchObject({
      type: SignOffRejection.notAuthorized,
      message: 'review 1 of stage steady takes sign-off from line-supervisor, plant-manager, not data-engineer',
    });
  });

  it('lets a role@site requirement fall back to the base role', () => {
    const scoped = { label: 'review 1', required: [{ role: 'plant-manager@plant-b', count: 1 }], approvals: [] };
    expect(quorumRole(context, scoped, person('pia'))).toBe('plant-manager@plant-b');
  });

  it('refuses self-approval, the same person twice, a satisfied role and a complete task', () => {
    const withMaria = { ...context, roles: { ...context.roles, 'plant-manager': { members: ['maria'] } } };
    expect(quorumRole(withMaria, task(), person('maria'))).toMatchObject({ type: SignOffRejection.selfApproval });
    expect(quorumRole({ ...withMaria, allowSelfApproval: true }, task(), person('maria'))).toBe('plant-manager');
    expect(quorumRole(context, task([signOff('ann', 'line-supervisor')]), person('ann'))).toMatchObject({ type: SignOffRejection.alreadySignedOff });
    expect(quorumRole(context, task([signOff('pia', 'plant-manager')]), person('pia'), 'plant-manager')).toMatchObject({
      type: SignOffRejection.alreadySignedOff,
    });
    const complete = task([signOff('ann', 'line-supervisor'), signOff('cid', 'line-supervisor'), signOff('pia', 'plant-manager')]);
    expect(quorumRole(context, complete, person('ann'))).toMatchObject({ type: SignOffRejection.alreadySigned });
    const supervisorsDone = task([signOff('ann', 'line-supervisor'), signOff('cid', 'line-supervisor')]);
    const both = { ...context, roles: { ...context.roles, 'line-supervisor': { members: ['ann', 'cid', 'pia'] } } };
    expect(quorumRole(both, supervisorsDone, person('pia'))).toBe('plant-manager');
    expect(quorumRole(both, supervisorsDone, person('pia'), 'line-supervisor')).toMatchObject({ type: SignOffRejection.roleAlreadySatisfied });
  });
});

const review = (number: number, overrides: Partial<Review> = {}): Review => ({
  number,
  dueAt: AT,
  openedAt: AT,
  signBy: AT,
  overdue: false,
  verdicts: [],
  required,
  signOffs: [],
  ...overrides,
});
const status = (overrides: Partial<SteadyStateStatus> = {}): SteadyStateStatus => ({
  rolloutId: 'line-7',
  stageId: 'steady',
  workflowId: 'line-7.steady.steady-state',
  state: 'running',
  startedAt: AT,
  horizonAt: '2027-01-01T00:00:00.000Z',
  nextReviewAt: '2026-02-01T00:00:00.000Z',
  laggingVerdict: 'too-early',
  reviews: [review(1)],
  retraining: [],
  modelVersions: [],
  evaluations: 1,
  ...overrides,
});

describe('reviewSignOffRole', () => {
  it('names reviews that do not exist yet, and refuses once the stage has settled', () => {
    expect(reviewSignOffRole(context, status(), { number: 2, actor: person('ann') })).toMatchObject({
      type: SteadyStateRejection.unknownReview,
      message: 'stage steady has no review 2: reviews 1 to 1 have opened',
    });
    expect(reviewSignOffRole(context, status({ state: 'passed' }), { number: 1, actor: person('ann') })).toMatchObject({ type: SteadyStateRejection.settled });
    expect(reviewSignOffRole(context, status(), { number: 1, actor: person('ann') })).toBe('line-supervisor');
  });
});

describe('modelVersionRole', () => {
  const stage = {
    id: 'steady',
    approvals: [{ role: 'plant-manager', count: 1 }],
    steadyState: { reviewEvery: '4w', horizon: '52w', retrainingOwner: 'data-engineer' },
  } as unknown as Stage;

  it('lets the retraining owner and the approvers record a new version, nobody else', () => {
    expect(modelVersionRole(context.roles, stage, status(), { version: 'v2', actor: person('yui') })).toBe('data-engineer');
    expect(modelVersionRole(context.roles, stage, status(), { version: 'v2', actor: { name: 'retrain-bot', kind: 'service', roles: [] } })).toBe('data-engineer');
    expect(modelVersionRole(context.roles, stage, status(), { version: 'v2', actor: person('pia') })).toBe('plant-manager');
    expect(modelVersionRole(context.roles, stage, status(), { version: 'v2', actor: person('ann') })).toMatchObject({
      type: SignOffRejection.notAuthorized,
      message: 'ann holds none of the roles that record model versions of stage steady: data-engineer, plant-manager',
    });
  });

  it('refuses the version already in production', () => {
    const current = status({ modelVersions: [{ version: 'v2', reason: 'retrained', by: 'yui', role: 'data-engineer', at: AT }] });
    expect(modelVersionRole(context.roles, stage, current, { version: 'v2', actor: person('yui') })).toMatchObject({ type: SteadyStateRejection.versionUnchanged });
  });
});

const criterion = (metric: string, verdict: CriterionEvaluation['verdict'], reason: string): CriterionEvaluation => ({
  index: 0,
  metric,
  window: { from: AT, to: AT },
  verdict,
  reason,
  value: 3,
  op: '<=',
  threshold: 2,
  samples: 10,
  consecutivePasses: 0,
});

describe('reviewVerdicts', () => {
  const evaluation: StageEvaluation = {
    evaluationId: 'e1',
    rolloutId: 'line-7',
    stageId: 'steady',
    planVersion: 1,
    evaluatedAt: AT,
    verdict: 'fail',
    criteria: [criterion('precision', 'pass', '0.97 >= 0.95 over 10 samples'), criterion('warranty-claims', 'fail', 'not 3 <= 2 over 10 samples')],
  };
  const catalog = {
    'warranty-claims': { unit: 'ppm', direction: 'lower-is-better' as const, kind: 'lagging' as const, guardrail: false },
  };

  it('reports a lagging metric too-early before the horizon, never failing, and as evaluated after it', () => {
    const before = reviewVerdicts(evaluation, catalog, true, '2027-01-01T00:00:00.000Z');
    expect(before.map((v) => [v.metric, v.kind, v.verdict])).toEqual([
      ['precision', 'leading', 'pass'],
      ['warranty-claims', 'lagging', 'too-early'],
    ]);
    expect(before[1]!.reason).toBe('a lagging metric, judged from the horizon 2027-01-01T00:00:00.000Z on; now not 3 <= 2 over 10 samples');
    expect(reviewVerdicts(evaluation, catalog, false, '2027-01-01T00:00:00.000Z').map((v) => v.verdict)).toEqual(['pass', 'fail']);
  });
});

describe('texts and the parent summary', () => {
  it('words reminders and due reviews as tasks with a date and the API call', () => {
    const ref = { rolloutId: 'line-7', stageId: 'steady', title: 'Steady state' };
    const verdicts = reviewVerdicts(
      { evaluationId: 'e', rolloutId: 'line-7', stageId: 'steady', planVersion: 1, evaluatedAt: AT, verdict: 'pass', criteria: [criterion('precision', 'pass', 'ok')] },
      undefined,
      true,
      AT,
    );
    expect(reviewDueAction(ref, 3, verdicts, required, '2026-02-01T00:00:00.000Z')).toBe(
      'Review 3 of stage "Steady state" is due: check the KPI verdicts (1 pass) and sign it off as line-supervisor ×2 and plant-manager ' +
        'before 2026-02-01T00:00:00.000Z (POST /v1/rollouts/line-7/stages/steady/reviews/3/sign)',
    );
    expect(retrainingAction(ref, ['data-engineer'], '2026-04-01T00:00:00.000Z')).toBe(
      'Retrain the model of stage "Steady state" (data-engineer) by 2026-04-01T00:00:00.000Z and record the new version ' +
        '(POST /v1/rollouts/line-7/stages/steady/model-versions)',
    );
  });

  it('summarises open reviews, the last one, the verdict and the dates', () => {
    const signed = review(2, { signedAt: AT, signedBy: ['ann', 'cid', 'pia'] });
    expect(progressDetail(status({ reviews: [review(1, { overdue: true }), signed] }))).toEqual({
      openReviews: 1,
      lastReview: { number: 2, dueAt: AT, signed: true, overdue: false, signedBy: ['ann', 'cid', 'pia'] },
      laggingVerdict: 'too-early',
      nextReviewAt: '2026-02-01T00:00:00.000Z',
      horizonAt: '2027-01-01T00:00:00.000Z',
    });
  });
});
