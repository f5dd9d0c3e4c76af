import type { Approval } from '../definitions/schema';
import type { RolloutState, SignOff, StageDecision, StageStatus } from './rollout-types';

/**
 * Sign-off rules, pure and deterministic: the workflow's update validator and handler use them,
 * and so can any offline tool.
 */

/** SignOffRejection names why a decision cannot apply; it is the ApplicationFailure `type`. */
export const SignOffRejection = {
  unknownStage: 'UnknownStage',
  rolloutNotRunning: 'RolloutNotRunning',
  notAwaitingSignOff: 'StageNotAwaitingSignOff',
  roleRequired: 'RoleRequired',
  roleNotRequired: 'RoleNotRequired',
  alreadySignedOff: 'AlreadySignedOff',
  roleAlreadySatisfied: 'RoleAlreadySatisfied',
  reasonRequired: 'ReasonRequired',
} as const;
export type SignOffRejection = (typeof SignOffRejection)[keyof typeof SignOffRejection];

export interface Refusal {
  type: SignOffRejection;
  message: string;
}

export interface MissingApproval {
  role: string;
  needed: number;
}

/** missingApprovals lists, per required role, how many more distinct approvals are needed. */
export function missingApprovals(required: readonly Approval[], approvals: readonly SignOff[]): MissingApproval[] {
  return required
    .map(({ role, count }) => ({ role, needed: count - approvals.filter((a) => a.role === role).length }))
    .filter((missing) => missing.needed > 0);
}

/** resolveRole picks the requirement a decision counts toward. */
function resolveRole(stage: StageStatus, decision: StageDecision): string | Refusal {
  const roles = stage.required.map((requirement) => requirement.role);
  if (decision.role === undefined) {
    if (roles.length === 1) return roles[0]!;
    return {
      type: SignOffRejection.roleRequired,
      message: `stage ${stage.id} needs sign-off from ${roles.join(' and ')}: say which role you sign for`,
    };
  }
  if (!roles.includes(decision.role)) {
    return {
      type: SignOffRejection.roleNotRequired,
      message: `stage ${stage.id} does not need sign-off from ${decision.role}; it needs ${roles.join(', ')}`,
    };
  }
  return decision.role;
}

/** checkDecision returns why decision cannot apply to stage now, or undefined when it can. */
export function checkDecision(rolloutState: RolloutState, stage: StageStatus | undefined, decision: StageDecision): Refusal | undefined {
  if (!stage) return { type: SignOffRejection.unknownStage, message: `the plan has no stage ${decision.stageId}` };
  if (rolloutState !== 'running') {
    return { type: SignOffRejection.rolloutNotRunning, message: `the rollout is ${rolloutState}; sign-off is possible only while it runs` };
  }
  if (stage.state !== 'awaiting-approval' && stage.state !== 'held') {
    const when = stage.state === 'running' && stage.endsNoEarlierThan ? ` until ${stage.endsNoEarlierThan}` : '';
    return { type: SignOffRejection.notAwaitingSignOff, message: `stage ${stage.id} is ${stage.state}${when}, not awaiting sign-off` };
  }
  const role = resolveRole(stage, decision);
  if (typeof role !== 'string') return role;
  if (decision.decision === 'reject') {
    if (decision.comment?.trim()) return undefined;
    return { type: SignOffRejection.reasonRequired, message: `a rejection of stage ${stage.id} needs a reason in comment` };
  }
  if (stage.approvals.some((approval) => approval.approver === decision.approver)) {
    return { type: SignOffRejection.alreadySignedOff, message: `${decision.approver} has already approved stage ${stage.id}` };
  }
  const missing = missingApprovals(stage.required, stage.approvals);
  if (!missing.some((entry) => entry.role === role)) {
    const still = missing.map((entry) => `${entry.role} ×${entry.needed}`).join(', ');
    return {
      type: SignOffRejection.roleAlreadySatisfied,
      message: `stage ${stage.id} already has every ${role} approval it needs; still needed: ${still}`,
    };
  }
  return undefined;
}

/**
 * applyDecision returns the stage after a decision that checkDecision accepted. An approval
 * that completes every requirement passes the stage. A rejection holds the stage and clears
 * its approvals: sign-off starts again after the concern is addressed.
 */
export function applyDecision(stage: StageStatus, decision: StageDecision, at: string): StageStatus {
  const role = resolveRole(stage, decision) as string;
  const signOff: SignOff = { decision: decision.decision, approver: decision.approver, role, at, ...(decision.comment ? { comment: decision.comment } : {}) };
  const history = [...stage.history, signOff];
  if (decision.decision === 'reject') return { ...stage, state: 'held', approvals: [], history };
  const approvals = [...stage.approvals, signOff];
  const passed = missingApprovals(stage.required, approvals).length === 0;
  return passed ? { ...stage, state: 'passed', passedAt: at, approvals, history } : { ...stage, approvals, history };
}
