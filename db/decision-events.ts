import type { AuditEvent } from './audit';
import { decisionPath, DecisionState, type DecisionRow } from './decisions';

/**
 * The audit events of a deferred decision's life, built from its row (db/decisions.ts). The
 * API and the decision workflow's activities both write them; the event ids make either write
 * first and the other a no-op.
 */

/** The audit event types of a deferred decision's life; webhook delivery can subscribe to them. */
export const DecisionEvent = {
  deferred: 'decision.deferred',
  resolved: 'decision.resolved',
  timedOut: 'decision.timed-out',
} as const;
export type DecisionEvent = (typeof DecisionEvent)[keyof typeof DecisionEvent];

/**
 * decisionAuditEvent describes a deferred decision's deferral or settlement for the audit trail.
 * It is built from the row alone, so the API and the workflow write identical events, and the
 * eventId (decision:<id>:<step>) lets either write first.
 */
export function decisionAuditEvent(row: DecisionRow, type: DecisionEvent): AuditEvent {
  const base = {
    eventId: `decision:${row.decisionId}:${type.slice('decision.'.length)}`,
    rolloutId: row.rolloutId,
    planName: row.planName,
    planVersion: row.planVersion,
    stageId: row.stageId,
    type,
  };
  if (type === DecisionEvent.deferred) {
    return {
      ...base,
      actor: row.requestedBy,
      ...(row.deferTo ? { role: row.deferTo } : {}),
      ...(row.requestId ? { requestId: row.requestId } : {}),
      occurredAt: row.createdAt.toISOString(),
      detail: {
        decisionId: row.decisionId,
        kind: row.kind,
        confidence: row.confidence,
        threshold: row.threshold,
        irreversible: row.irreversible,
        decideBy: row.decideBy.toISOString(),
        safeDefault: row.safeDefault,
        taskUrl: decisionPath(row.decisionId),
      },
    };
  }
  if (type === DecisionEvent.resolved) {
    return {
      ...base,
      ...(row.resolvedBy ? { actor: row.resolvedBy } : {}),
      ...(row.resolvedRole ? { role: row.resolvedRole } : {}),
      ...(row.resolutionReason ? { reason: row.resolutionReason } : {}),
      ...(row.resolutionRequestId ? { requestId: row.resolutionRequestId } : {}),
      occurredAt: (row.settledAt ?? row.createdAt).toISOString(),
      detail: {
        decisionId: row.decisionId,
        resolution: row.resolution,
        ...(row.resolution === 'modify' ? { payload: row.resolutionPayload } : {}),
      },
    };
  }
  return {
    ...base,
    actor: 'rollgate',
    ...(row.deferTo ? { role: row.deferTo } : {}),
    reason: `nobody decided by ${row.decideBy.toISOString()}; the safe default ${row.timeoutAction} applies`,
    occurredAt: (row.settledAt ?? row.createdAt).toISOString(),
    detail: { decisionId: row.decisionId, action: row.timeoutAction, decideBy: row.decideBy.toISOString() },
  };
}

/** settlementEvent is the audit event of a settled decision's final state; undefined while unsettled. */
export function settlementEvent(row: DecisionRow): AuditEvent | undefined {
  if (row.state === DecisionState.resolved) return decisionAuditEvent(row, DecisionEvent.resolved);
  if (row.state === DecisionState.timedOut) return decisionAuditEvent(row, DecisionEvent.timedOut);
  return undefined;
}
