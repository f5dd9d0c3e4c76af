import type { Pool } from 'pg';
import type { AuditEvent } from './audit';

/**
 * SystemAuditEvent is an entry of the trail of events that belong to no rollout (migration 009):
 * a refused plan upload or rollout start, a refused read of this trail. Rollouts keep theirs in
 * audit_events (db/audit.ts).
 */
export interface SystemAuditEvent extends Pick<AuditEvent, 'type' | 'actor' | 'role' | 'reason' | 'requestId' | 'detail' | 'occurredAt'> {
  /** planName is the plan the attempt named; absent for a system-level event. */
  planName?: string;
}

/** A stored event reads null, not absent, where a field was not given, as audit_events rows do. */
export interface StoredSystemAuditEvent extends SystemAuditEvent {
  seq: number;
  recordedAt: string;
}

/**
 * recordSystemAuditEvent appends event. Every call adds a row, so a client that sends the same
 * X-Request-Id again cannot fold its refused attempts into one.
 */
export async function recordSystemAuditEvent(pool: Pool, event: SystemAuditEvent): Promise<void> {
  await pool.query(
    `INSERT INTO system_audit_events (plan_name, type, actor, role, reason, request_id, detail, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      event.planName ?? null,
      event.type,
      event.actor ?? null,
      event.role ?? null,
      event.reason ?? null,
      event.requestId ?? null,
      JSON.stringify(event.detail ?? {}),
      event.occurredAt,
    ],
  );
}

/**
 * listSystemAuditEvents pages through the trail in order: events with seq > after, at most
 * limit; only the events naming plan when it is given.
 */
export async function listSystemAuditEvents(
  pool: Pool,
  query: { plan?: string; after: number; limit: number },
): Promise<StoredSystemAuditEvent[]> {
  const result = await pool.query<StoredSystemAuditEvent>(
    `SELECT seq::float8 AS seq, plan_name AS "planName", type, actor, role, reason, request_id AS "requestId", detail,
            to_json(occurred_at) #>> '{}' AS "occurredAt", to_json(recorded_at) #>> '{}' AS "recordedAt"
       FROM system_audit_events
      WHERE seq > $1 AND ($3::text IS NULL OR plan_name = $3)
      ORDER BY seq LIMIT $2`,
    [query.after, query.limit, query.plan ?? null],
  );
  return result.rows;
}
