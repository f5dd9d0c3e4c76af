import type { Actor, StageDecision, StageStatus } from '../../../policy/rollout-types';
import { applyDecision, checkDecision, checkOverride, holdsRole, missingApprovals, type SignOffContext } from '../../../policy/sign-off';

const AT = '2026-01-01T00:00:00.000Z';
const person = (name: string, ...roles: string[]): Actor => ({ name, kind: 'person', roles });

const context: SignOffContext = {
  rolloutState: 'running',
  roles: {
    'line-supervisor': { members: ['ann', 'cid', 'eve'] },
    'safety-officer': { members: ['bob', 'eve'] },
    'plant-manager': { members: ['pia'] },
    'quality-engineer': { members: ['mes-bridge'] },
  },
  allowSelfApproval: false,
  startedBy: 'maria',
};

function stage(overrides: Partial<StageStatus> = {}): StageStatus {
  return {
    id: 'shadow',
    title: 'Shadow',
    mode: 'shadow',
    state: 'awaiting-approval',
    dependsOn: [],
    required: [
      { role: 'line-supervisor', count: 2 },
      { role: 'safety-officer', count: 1 },
    ],
    approvals: [],
    history: [],
    escalatedTo: [],
    escalationsApplied: 0,
    evaluations: 0,
    attempt: 1,
    overrides: [],
    ...overrides,
  };
}

const approve = (actor: Actor, role?: string): StageDecision => ({ stageId: 'shadow', decision: 'approve', actor, ...(role ? { role } : {}) });

describe('who holds a role', () => {
  it("follows the plan's map when it declares the role, token roles otherwise, never for services unless listed", () => {
    expect(holdsRole(context.roles, person('ann'), 'line-supervisor')).toBe(true);
    expect(holdsRole(context.roles, person('zed', 'line-supervisor'), 'line-supervisor')).toBe(false);
    expect(holdsRole(context.roles, person('zed', 'training-lead'), 'training-lead')).toBe(true);
    expect(holdsRole(context.roles, { name: 'wms', kind: 'service', roles: ['training-lead'] }, 'training-lead')).toBe(false);
    expect(holdsRole(context.roles, { name: 'mes-bridge', kind: 'service', roles: [] }, 'quality-engineer')).toBe(true);
    expect(holdsRole(context.roles, person('pia'), 'plant-manager@plant-b')).toBe(true);
  });
});

describe('sign-off rules', () => {
  it('passes a stage only when every role has its count of distinct approvers, inferring the role', () => {
    let s = stage();
    for (const actor of [person('ann'), person('bob'), person('cid')]) {
      expect(checkDecision(context, s, approve(actor))).toBeUndefined();
      s = applyDecision(context, s, approve(actor), AT);
    }
    expect(s.approvals.map((a) => `${a.approver}:${a.role}`)).toEqual(['ann:line-supervisor', 'bob:safety-officer', 'cid:line-supervisor']);
    expect(s.state).toBe('passed');
    expect(missingApprovals(s.required, s.approvals)).toEqual([]);
  });

  it('counts a person once even when they hold two required roles', () => {
    const s = applyDecision(context, stage(), approve(person('eve'), 'safety-officer'), AT);
    expect(checkDecision(context, s, approve(person('eve'), 'line-supervisor'))?.type).toBe('AlreadySignedOff');
  });

  it('refuses people without the role, and names what would do', () => {
    expect(checkDecision(context, stage(), approve(person('zed', 'line-supervisor')))).toEqual({
      type: 'NotAuthorized',
      message: 'zed holds none of the roles that sign off stage shadow: line-supervisor, safety-officer',
    });
    expect(checkDecision(context, stage(), approve(person('ann'), 'safety-officer'))?.type).toBe('NotAuthorized');
    expect(checkDecision(context, stage(), approve(person('ann'), 'plant-manager'))?.message).toBe(
      'stage shadow takes sign-off from line-supervisor, safety-officer, not plant-manager',
    );
  });

  it('denies self-approval unless the plan allows it', () => {
    const ctx = { ...context, roles: { ...context.roles, 'safety-officer': { members: ['maria'] } } };
    expect(checkDecision(ctx, stage(), approve(person('maria')))?.type).toBe('SelfApprovalDenied');
    expect(checkDecision({ ...ctx, allowSelfApproval: true }, stage(), approve(person('maria')))).toBeUndefined();
  });

  it('lets an escalated role pass the stage alone', () => {
    const escalated = stage({ escalatedTo: ['plant-manager'] });
    expect(checkDecision(context, escalated, approve(person('pia')))).toBeUndefined();
    expect(applyDecision(context, escalated, approve(person('pia')), AT)).toMatchObject({ state: 'passed', approvals: [{ role: 'plant-manager' }] });
  });

  it('refuses an approval for a role that is already satisfied', () => {
    const s = stage({ required: [{ role: 'line-supervisor', count: 1 }, { role: 'safety-officer', count: 1 }] });
    const after = applyDecision(context, s, approve(person('ann')), AT);
    expect(checkDecision(context, after, approve(person('cid'), 'line-supervisor'))).toEqual({
      type: 'RoleAlreadySatisfied',
      message: 'stage shadow already has every line-supervisor approval it needs; still needed: safety-officer ×1',
    });
  });

  it('holds the stage on rejection, clears approvals, and needs a reason', () => {
    const withOne = applyDecision(context, stage(), approve(person('ann')), AT);
    const rejection: StageDecision = { stageId: 'shadow', decision: 'reject', actor: person('bob') };
    expect(checkDecision(context, withOne, rejection)?.type).toBe('ReasonRequired');
    const held = applyDecision(context, withOne, { ...rejection, comment: 'false positives on line 2' }, AT);
    expect(held.state).toBe('held');
    expect(held.approvals).toEqual([]);
    expect(held.history.map((h) => `${h.approver}:${h.decision}`)).toEqual(['ann:approve', 'bob:reject']);
    expect(checkDecision(context, held, approve(person('ann')))).toBeUndefined();
  });

  it('refuses decisions when the stage or rollout is not waiting for one', () => {
    expect(checkDecision(context, undefined, approve(person('ann')))?.type).toBe('UnknownStage');
    expect(checkDecision({ ...context, rolloutState: 'held' }, stage(), approve(person('ann')))?.type).toBe('RolloutNotRunning');
    expect(checkDecision(context, stage({ state: 'running', endsNoEarlierThan: AT }), approve(person('ann')))).toEqual({
      type: 'StageNotAwaitingSignOff',
      message: `stage shadow is running until ${AT}, not awaiting sign-off`,
    });
  });
});

describe('manual overrides', () => {
  const supervised = stage({ mode: 'supervised', overrideAuthority: 'line-supervisor', state: 'running' });
  it('belong to the override authority of a supervised stage under way', () => {
    expect(checkOverride(context, supervised, 'shadow', person('ann'))).toBeUndefined();
    expect(checkOverride(context, supervised, 'shadow', person('bob'))?.type).toBe('NotAuthorized');
    expect(checkOverride(context, stage(), 'shadow', person('ann'))?.type).toBe('StageNotSupervised');
    expect(checkOverride(context, { ...supervised, state: 'passed' }, 'shadow', person('ann'))?.type).toBe('StageNotAwaitingSignOff');
  });
});
