import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OperatorAction, OverrideRequest, RolloutStatus, StageDecision, StageStatus } from './rollout-types';

/**
 * approveStageUpdate records an approval or rejection of a stage and answers with the stage's
 * new status. Its validator rejects, with an ApplicationFailure whose `type` is one of
 * SignOffRejection (workflows/sign-off.ts), decisions that cannot apply: an actor without the
 * role, self-approval, a stage not awaiting sign-off, a rollout not running, the same person
 * approving twice, a role already satisfied, a rejection without a reason.
 */
export const approveStageUpdate = defineUpdate<StageStatus, [StageDecision]>('approveStage');

/**
 * recordOverrideUpdate records that a holder of a supervised stage's override authority
 * overrode the model; it answers with the stage's status. Refusals as for approveStageUpdate.
 */
export const recordOverrideUpdate = defineUpdate<StageStatus, [OverrideRequest]>('recordOverride');

/** pauseSignal stops stages from starting or passing until resumeSignal; timers keep running. resumeSignal also ends a hold. */
export const pauseSignal = defineSignal<[OperatorAction]>('pause');
export const resumeSignal = defineSignal<[OperatorAction]>('resume');
/** abortSignal ends the rollout: unfinished stages become aborted. */
export const abortSignal = defineSignal<[OperatorAction]>('abort');

/** statusQuery returns the rollout's live status. */
export const statusQuery = defineQuery<RolloutStatus>('status');
