import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { pendingWithoutTimer, type DecisionRow } from '../db/decisions';
import { decisionWorkflowId, type deferredDecisionWorkflow } from '../workflows/decision-workflow';

/**
 * The timer of a deferred decision is a workflow (workflows/decision-workflow.ts) that applies
 * the safe default when nobody decides by decideBy. The API starts it when the decision is
 * stored; a start that failed or was lost is made good by every later read of the decision
 * and by a periodic sweep (reconcileDecisionTimers), so no pending decision stays without one.
 */

/** How long the API waits for Temporal to start a decision's timer before answering anyway. */
const TIMER_START_TIMEOUT_MS = 2_000;

export interface DecisionTimerDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

/** TimerInput names a decision's timer and its deadline. */
export interface TimerInput {
  rolloutId: string;
  decisionId: string;
  decideBy: Date;
}

/** needsTimer: a pending decision whose timer has not reported running, or whose deadline passed unsettled. */
const needsTimer = (row: DecisionRow, now: number): boolean =>
  row.state === 'pending' && (row.timerStartedAt === null || row.decideBy.getTime() <= now);

/** startDecisionTimer starts (or finds) a deferred decision's workflow; false when Temporal did not take it. */
export async function startDecisionTimer(temporal: Client, taskQueue: string, decision: TimerInput): Promise<boolean> {
  try {
    await temporal.connection.withAbortSignal(AbortSignal.timeout(TIMER_START_TIMEOUT_MS), () =>
      temporal.workflow.start<typeof deferredDecisionWorkflow>('deferredDecisionWorkflow', {
        taskQueue,
        workflowId: decisionWorkflowId(decision.rolloutId, decision.decisionId),
        args: [{ rolloutId: decision.rolloutId, decisionId: decision.decisionId, decideBy: decision.decideBy.toISOString() }],
        // A running timer is reused; one that failed or was terminated is started afresh.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    );
    return true;
  } catch (error) {
    // A completed workflow has settled the decision already.
    if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
    console.warn(`decisions: the timer of decision ${decision.decisionId} did not start; a later read retries it: ${(error as Error).message}`);
    return false;
  }
}

/** startMissingTimers starts the timers of those rows that need one (needsTimer). */
export async function startMissingTimers({ temporal, taskQueue }: DecisionTimerDeps, rows: readonly DecisionRow[]): Promise<void> {
  const now = Date.now();
  await Promise.all(rows.filter((row) => needsTimer(row, now)).map((row) => startDecisionTimer(temporal, taskQueue, row)));
}

/**
 * reconcileDecisionTimers starts the timers of pending decisions that never reported one
 * running (their start failed or was lost), oldest first; it returns how many started.
 * Idempotent, for a periodic sweep; reads of a decision and the task list do the same.
 */
export async function reconcileDecisionTimers({ pool, temporal, taskQueue }: DecisionTimerDeps, limit = 100): Promise<number> {
  const rows = await pendingWithoutTimer(pool, limit);
  const started = await Promise.all(rows.map((row) => startDecisionTimer(temporal, taskQueue, row)));
  return started.filter(Boolean).length;
}
