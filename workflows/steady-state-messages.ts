import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ModelVersionChange, ModelVersionRecord, Review, ReviewSignOff, SteadyStateStatus } from '../policy/steady-state-types';

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
