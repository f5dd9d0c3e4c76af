import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OperatorAction, RolloutStatus, StageDecision, StageStatus } from './rollout-types';

/**
 * approveStageUpdate records an approval or rejection of a stage and answers with the stage's
 * new status. Its validator rejects, with an ApplicationFailure whose `type` is one of
 * SignOffRejection, decisions that cannot apply: unknown stage, stage not awaiting sign-off,
 * rollout not running, the same person approving twice, a role the stage does not require.
 */
export const approveStageUpdate = defineUpdate<StageStatus, [StageDecision]>('approveStage');

/** pauseSignal stops stages from starting or passing until resumeSignal; timers keep running. */
export const pauseSignal = defineSignal<[OperatorAction]>('pause');
export const resumeSignal = defineSignal<[OperatorAction]>('resume');
/** abortSignal ends the rollout: unfinished stages become aborted. */
export const abortSignal = defineSignal<[OperatorAction]>('abort');

/** statusQuery returns the rollout's live status. */
export const statusQuery = defineQuery<RolloutStatus>('status');
