import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../db/audit';
import { DecisionEvent, decisionAuditEvent, getDecision, markTimerStarted, settlementEvent, timeOutDecision, type DecisionState, type SafeDefault } from '../db/decisions';

export interface DecisionRef {
  decisionId: string;
}

/** DecisionSettlement is how a deferred decision ended. */
export interface DecisionSettlement {
  state: DecisionState;
  /** timeoutAction is the safe default applied when nobody decided in time. */
  timeoutAction?: SafeDefault;
}

/** The decision is not stored: retrying cannot help, so the workflow fails and reconciliation starts it again. */
const unknownDecision = (decisionId: string) =>
  ApplicationFailure.create({ type: 'UnknownDecision', message: `no decision ${decisionId}`, nonRetryable: true });

/** createDecisionActivities binds the deferred-decision workflow's side effects to a pool. Each is idempotent. */
export function createDecisionActivities(pool: Pool) {
  return {
    /** announceDeferredDecision notes that the decision's timer runs and records decision.deferred. */
    async announceDeferredDecision({ decisionId }: DecisionRef): Promise<void> {
      const row = await markTimerStarted(pool, decisionId);
      if (!row) throw unknownDecision(decisionId);
      await recordAuditEvent(pool, decisionAuditEvent(row, DecisionEvent.deferred));
    },

    /**
     * settleDeferredDecision ends a deferred decision: when its deadline passed (timedOut), the
     * safe default applies unless a resolution got there first. It records the audit event of
     * the state the decision ended in, and answers `pending` when it has not ended (a signal
     * without a resolution), so the workflow waits on.
     */
    async settleDeferredDecision({ decisionId, timedOut }: DecisionRef & { timedOut: boolean }): Promise<DecisionSettlement> {
      const row = timedOut ? await timeOutDecision(pool, decisionId) : await getDecision(pool, decisionId);
      if (!row) throw unknownDecision(decisionId);
      const event = settlementEvent(row);
      if (event) await recordAuditEvent(pool, event);
      return { state: row.state, ...(row.timeoutAction ? { timeoutAction: row.timeoutAction } : {}) };
    },
  };
}

export type DecisionActivities = ReturnType<typeof createDecisionActivities>;
