import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  FailureResolution,
  OperatorAction,
  OperatorOutcome,
  OperatorRequest,
  OverrideRequest,
  PrerequisiteSignOff,
  PrerequisiteStatus,
  RolloutStatus,
  StageDecision,
  StageStatus,
} from '../../policy/rollout-types';
import type { ChildProgress } from '../rollout-types';

/**
 * The messages of rolloutWorkflow and siteRunWorkflow (a site run takes the stage messages
 * too). Clients import this file and nothing else of the workflow: it defines names and
 * types, and starts nothing when imported.
 */

/**
 * approveStageUpdate records an approval or rejection of a stage and answers with the stage's
 * new status. Its validator rejects, with an ApplicationFailure whose `type` is one of
 * SignOffRejection (policy/sign-off.ts), decisions that cannot apply: an actor without the
 * role, self-approval, a stage not awaiting sign-off, a rollout not running, the same person
 * approving twice, a role already satisfied, a rejection without a reason.
 */
export const approveStageUpdate = defineUpdate<StageStatus, [StageDecision]>('approveStage');

/**
 * recordOverrideUpdate records that a holder of a supervised stage's override authority
 * overrode the model; it answers with the stage's status. Refusals as for approveStageUpdate.
 */
export const recordOverrideUpdate = defineUpdate<StageStatus, [OverrideRequest]>('recordOverride');

/**
 * signPrerequisiteUpdate signs a readiness prerequisite off, by a holder of its `signedBy` role;
 * answers with the prerequisite. Stages it gates start only once it is signed.
 */
export const signPrerequisiteUpdate = defineUpdate<PrerequisiteStatus, [PrerequisiteSignOff]>('signPrerequisite');

/**
 * resolveStageUpdate is a deployment lead's choice for a stage held after failing criteria,
 * inconclusive ones at maxDuration, or a failed site under onSiteFailure halt: retry-window (a
 * fresh evidence window; for a halted forEach stage, new runs of its failed and aborted sites),
 * rollback (re-enter an upstream stage after compensation) or abort (end the rollout, with
 * compensation).
 */
export const resolveStageUpdate = defineUpdate<StageStatus, [FailureResolution]>('resolveStage');

/**
 * pauseUpdate pauses a running rollout until resumeUpdate: no stage or site run starts and no
 * sign-off is taken (the pause is passed on to the site runs as pauseSignal, so none is taken
 * there either). Evaluations and timers go on, so criteria can still fail a stage, and stages
 * that pass without a sign-off here still pass while paused: a forEach stage whose sites have
 * all passed, a steady-state stage whose governance settles passed. It answers with the
 * rollout's state. Its validator refuses, with an ApplicationFailure whose `type` is
 * NotAuthorized or ActionNotApplicable (workflows/operator-actions.ts), an actor who is neither
 * an admin nor a holder of the plan's operator role, and a rollout that is not running.
 */
export const pauseUpdate = defineUpdate<OperatorOutcome, [OperatorRequest]>('pauseRollout');
/** resumeUpdate continues a paused rollout, and ends an escalation hold (the rollout's and its site runs'); refusals as for pauseUpdate. */
export const resumeUpdate = defineUpdate<OperatorOutcome, [OperatorRequest]>('resumeRollout');
/** abortUpdate ends the rollout: unfinished stages become aborted, with compensation; refusals as for pauseUpdate. */
export const abortUpdate = defineUpdate<OperatorOutcome, [OperatorRequest]>('abortRollout');

/**
 * pauseSignal, resumeSignal and abortSignal do what the updates do, without a check: a parent
 * rollout passes its pause, resume and abort on to its site runs with them, and runs started
 * before the updates existed took them from the API. A site run's abortSignal comes only from
 * its parent.
 */
export const pauseSignal = defineSignal<[OperatorAction]>('pause');
export const resumeSignal = defineSignal<[OperatorAction]>('resume');
export const abortSignal = defineSignal<[OperatorAction]>('abort');

/**
 * evidenceArrivedSignal tells the rollout that evidence for it was stored (the API sends it after
 * committing samples). Its running stages are evaluated soon, at most once per stage per
 * EVIDENCE_DEBOUNCE_MS (policy/stage-machine.ts), however often it comes; it carries nothing.
 */
export const evidenceArrivedSignal = defineSignal('evidenceArrived');

/**
 * trailQuery tells how far the rollout's audit trail is written: `recorded` events numbered so
 * far, `written` of them stored (the trail writes after the workflow has moved on).
 */
export const trailQuery = defineQuery<{ recorded: number; written: number }>('trail');

/** statusQuery returns the rollout's live status. */
export const statusQuery = defineQuery<RolloutStatus>('status');

/**
 * childProgressSignal is how a stage's child workflow (one site of a forEach stage, or a
 * steady-state stage) tells its parent rollout where it is. Children signal the parent by
 * workflow id, never by run id, so the parent hears them across its continue-as-new runs;
 * a `settled` progress (passed, failed or aborted) ends the child's part of the stage.
 */
export const childProgressSignal = defineSignal<[ChildProgress]>('childProgress');
