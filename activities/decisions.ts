import type { Pool } from 'pg';
import { recordAuditEvent } from '../db/audit';
import { DecisionEvent, decisionAuditEvent, settlementEvent } from '../db/decision-events';
import { decisionPath, getDecision, markTimerStarted, timeOutDecision, type DecisionRow, type DecisionState, type SafeDefault } from '../db/decisions';
import { getPlanVersion } from '../db/plans';
import { Failure } from '../policy/failures';
import { failure } from './failure';
import type { WebhookEvent, WebhookTarget } from './webhooks';

export interface DecisionRef {
  decisionId: string;
}

/** DecisionSettlement is how a deferred decision ended. */
export interface DecisionSettlement {
  state: DecisionState;
  /** timeoutAction is the safe default applied when nobody decided in time. */
  timeoutAction?: SafeDefault;
  /** notice is what to tell the plan's notification targets about how the decision ended. */
  notice?: DecisionNotice;
}

/** DecisionNotice is a decision event and the notification targets that asked for it. */
export interface DecisionNotice {
  targets: WebhookTarget[];
  event: WebhookEvent;
}

/** The decision is not stored: retrying cannot help, so the workflow fails and reconciliation starts it again. */
const unknownDecision = (decisionId: string) =>
  failure(Failure.unknownDecision, `no decision ${decisionId}`);

/** createDecisionActivities binds the deferred-decision workflow's side effects to a pool. Each is idempotent. */
export function createDecisionActivities(pool: Pool) {
  return {
    /** announceDeferredDecision notes that the decision's timer runs, records decision.deferred and returns the notice to send. */
    async announceDeferredDecision({ decisionId }: DecisionRef): Promise<DecisionNotice> {
      const row = await markTimerStarted(pool, decisionId);
      if (!row) throw unknownDecision(decisionId);
      await recordAuditEvent(pool, decisionAuditEvent(row, DecisionEvent.deferred));
      return notice(row, DecisionEvent.deferred);
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
      return {
        state: row.state,
        ...(row.timeoutAction ? { timeoutAction: row.timeoutAction } : {}),
        ...(event ? { notice: await notice(row, event.type as DecisionEvent) } : {}),
      };
    },
  };

  /** notice words a decision event as an intervention: what to decide, by whom, by when. */
  async function notice(row: DecisionRow, type: DecisionEvent): Promise<DecisionNotice> {
    const plan = (await getPlanVersion(pool, row.planName, row.planVersion))?.plan;
    const targets = (plan?.notifications ?? []).filter((target) => !target.events || target.events.includes(type));
    const action =
      type === DecisionEvent.deferred
        ? `Decide ${row.kind} ${row.decisionId} (model confidence ${row.confidence} below ${row.threshold}): ${row.deferTo ?? 'a person'} accepts, modifies or rejects it before ${row.decideBy.toISOString()}`
        : type === DecisionEvent.timedOut
          ? `Nobody decided ${row.kind} ${row.decisionId} in time: the safe default (${row.timeoutAction ?? row.safeDefault}) applies`
          : `${row.kind} ${row.decisionId} was resolved (${row.resolution}) by ${row.resolvedBy}`;
    const event: WebhookEvent = {
      type,
      occurredAt: new Date().toISOString(),
      rolloutId: row.rolloutId,
      stageId: row.stageId,
      decisionId: row.decisionId,
      action,
      ...(type === DecisionEvent.deferred ? { dueBy: row.decideBy.toISOString(), role: row.deferTo, taskUrl: decisionPath(row.decisionId) } : {}),
    };
    return { targets, event };
  }
}

export type DecisionActivities = ReturnType<typeof createDecisionActivities>;
