import type { OperatorAction, RolloutStatus, StageStatus } from '../../policy/rollout-types';
import { UNDER_WAY_STATES } from '../../policy/rollout-types';
import { now } from '../../policy/clock';
import type { RolloutInput } from '../rollout-types';
import { plannedSiteStages, rolloutPrerequisites } from '../site-plan';
import type { EventFields } from '../trail';

/** The rollout status a run starts with, and the pure helpers its transitions share. */

/** initialStatus is a new rollout's status: every stage pending, the site stages planned in waves. */
export function initialStatus(input: RolloutInput): RolloutStatus {
  const { plan } = input;
  const wavePlans = plannedSiteStages(plan, Date.now());
  return {
    rolloutId: input.rolloutId,
    plan: input.planName,
    version: input.planVersion,
    digest: input.planDigest,
    state: 'running',
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
    startedAt: now(),
    prerequisites: rolloutPrerequisites(plan),
    stages: plan.stages.map((stage) => ({
      id: stage.id,
      title: stage.title,
      mode: stage.mode,
      state: 'pending',
      dependsOn: stage.dependsOn,
      required: stage.approvals,
      approvals: [],
      history: [],
      escalatedTo: [],
      escalationsApplied: 0,
      evaluations: 0,
      attempt: 0,
      ...(stage.overrideAuthority ? { overrideAuthority: stage.overrideAuthority } : {}),
      overrides: [],
      ...wavePlans.get(stage.id),
    })),
  };
}

export function activeStageIds(status: RolloutStatus): string[] {
  return status.stages.filter((stage) => UNDER_WAY_STATES.has(stage.state)).map((stage) => stage.id);
}

/** withoutAttempt is a stage without what belongs to its last attempt: its hold, evaluation, sign-off wait, steady-state run, approvals and escalations. */
export function withoutAttempt(current: StageStatus): StageStatus {
  const { hold: _hold, evaluation: _evaluation, awaitingSince: _awaiting, steadyState: _steadyState, ...rest } = current;
  return { ...rest, approvals: [], escalatedTo: [], escalationsApplied: 0 };
}

/** operatorFields are the audit fields of a pause, resume or abort. */
export const operatorFields = (action: OperatorAction): EventFields => ({
  ...(action.by ? { actor: action.by } : {}),
  ...(action.reason ? { reason: action.reason } : {}),
  ...(action.requestId ? { requestId: action.requestId } : {}),
});
