import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OperatorAction } from '../policy/rollout-types';
import type { ModelVersionChange, ModelVersionRecord, Review, ReviewSignOff, SteadyStateStatus } from '../policy/steady-state-types';

/**
 * The messages of steadyStateWorkflow: clients import this file and nothing else of the
 * workflow (its id is steadyStateWorkflowId, policy/steady-state-types.ts). It defines names
 * and types, and starts nothing when imported. The workflow reports to its parent rollout with
 * that workflow's childProgressSignal.
 */

/**
 * signReviewUpdate signs a periodic review off and answers with the review. Its validator
 * refuses, with an ApplicationFailure whose `type` is a SignOffRejection or a
 * SteadyStateRejection: an actor without a reviewBy role, self-approval, the same person
 * twice, a role already satisfied, a review already signed, no such review, a stage that has
 * settled.
 */
export const signReviewUpdate = defineUpdate<Review, [ReviewSignOff]>('signReview');

/**
 * recordModelVersionUpdate records a model-version change, by a holder of the stage's
 * retrainingOwner role or of one of its approval roles; answers with the record.
 */
export const recordModelVersionUpdate = defineUpdate<ModelVersionRecord, [ModelVersionChange]>('recordModelVersion');

/** steadyStateStatusQuery returns the steady-state stage's live status. */
export const steadyStateStatusQuery = defineQuery<SteadyStateStatus>('steadyStateStatus');

/**
 * abortSignal ends the steady-state governance of a stage: the parent sends it when the rollout
 * is aborted or rolls the stage back. It is the rollout's abort signal by name ('abort').
 */
export const abortSignal = defineSignal<[OperatorAction]>('abort');
