import type { StageDecision, StageStatus } from '../../workflows/rollout-types';
import { applyDecision, checkDecision, missingApprovals } from '../../workflows/sign-off';

const AT = '2026-01-01T00:00:00.000Z';

function stage(overrides: Partial<StageStatus> = {}): StageStatus {
  return {
    id: 'shadow',
    title: 'Shadow',
    state: 'awaiting-approval',
    dependsOn: [],
    required: [
      { role: 'line-supervisor', count: 2 },
      { role: 'safety-officer', count: 1 },
    ],
    approvals: [],
    history: [],
    ...overrides,
  };
}

const approve = (approver: string, role?: string): StageDecision => ({ stageId: 'shadow', decision: 'approve', approver, ...(role ? { role } : {}) });

describe('sign-off rules', () => {
  it('passes a stage only when every role has its count of distinct approvers', () => {
    let s = stage();
    for (const [who, role] of [['ann', 'line-supervisor'], ['bob', 'safety-officer'], ['cid', 'line-supervisor']] as const) {
      expect(checkDecision('running', s, approve(who, role))).toBeUndefined();
      s = applyDecision(s, approve(who, role), AT);
    }
    expect(s.state).toBe('passed');
    expect(s.passedAt).toBe(AT);
    expect(missingApprovals(s.required, s.approvals)).toEqual([]);
  });

  it('counts a person once even across roles', () => {
    const s = applyDecision(stage(), approve('ann', 'line-supervisor'), AT);
    expect(checkDecision('running', s, approve('ann', 'safety-officer'))?.type).toBe('AlreadySignedOff');
  });

  it('needs a role when the stage requires several, and only a required one', () => {
    expect(checkDecision('running', stage(), approve('ann'))?.type).toBe('RoleRequired');
    expect(checkDecision('running', stage(), approve('ann', 'plant-manager'))?.type).toBe('RoleNotRequired');
    const single = stage({ required: [{ role: 'deployment-lead', count: 1 }] });
    expect(applyDecision(single, approve('ann'), AT).approvals[0]?.role).toBe('deployment-lead');
  });

  it('refuses an approval for a role that is already satisfied', () => {
    const s = stage({ required: [{ role: 'line-supervisor', count: 1 }, { role: 'safety-officer', count: 1 }] });
    const after = applyDecision(s, approve('ann', 'line-supervisor'), AT);
    const refusal = checkDecision('running', after, approve('bob', 'line-supervisor'));
    expect(refusal).toEqual({
      type: 'RoleAlreadySatisfied',
      message: 'stage shadow already has every line-supervisor approval it needs; still needed: safety-officer ×1',
    });
  });

  it('holds the stage on rejection, clears approvals, and needs a reason', () => {
    const withOne = applyDecision(stage(), approve('ann', 'line-supervisor'), AT);
    const rejection: StageDecision = { stageId: 'shadow', decision: 'reject', approver: 'bob', role: 'safety-officer' };
    expect(checkDecision('running', withOne, rejection)?.type).toBe('ReasonRequired');
    const held = applyDecision(withOne, { ...rejection, comment: 'false positives on line 2' }, AT);
    expect(held.state).toBe('held');
    expect(held.approvals).toEqual([]);
    expect(held.history.map((h) => `${h.approver}:${h.decision}`)).toEqual(['ann:approve', 'bob:reject']);
    expect(checkDecision('running', held, approve('ann', 'line-supervisor'))).toBeUndefined();
  });

  it('refuses decisions when the stage or rollout is not waiting for one', () => {
    expect(checkDecision('running', undefined, approve('ann'))?.type).toBe('UnknownStage');
    expect(checkDecision('paused', stage(), approve('ann', 'line-supervisor'))?.type).toBe('RolloutNotRunning');
    const running = stage({ state: 'running', endsNoEarlierThan: AT });
    expect(checkDecision('running', running, approve('ann', 'line-supervisor'))).toEqual({
      type: 'StageNotAwaitingSignOff',
      message: `stage shadow is running until ${AT}, not awaiting sign-off`,
    });
  });
});
