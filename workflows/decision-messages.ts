import { defineSignal } from '@temporalio/workflow';

/**
 * The messages of deferredDecisionWorkflow, its input and its workflow id: clients import this
 * file and nothing else of the workflow. It defines names and types, and starts nothing when
 * imported.
 */

export interface DeferredDecisionInput {
  rolloutId: string;
  decisionId: string;
  /** decideBy is when the decision becomes moot and the safe default applies (ISO 8601). */
  decideBy: string;
}

/**
 * decisionResolvedSignal tells the workflow that a human resolved the decision. The API sends
 * it after the resolution is committed, so the signal only ends the wait early.
 */
export const decisionResolvedSignal = defineSignal<[]>('decisionResolved');

/** decisionWorkflowId is the one workflow per deferred decision; starting it again is idempotent. */
export const decisionWorkflowId = (rolloutId: string, decisionId: string) => `decision-${rolloutId}-${decisionId}`;
