import type { Pool, PoolClient } from 'pg';
import { replaceInboxCandidates } from './inbox-candidates';
import { withTransaction } from './pool';

/** AuditEvent is one entry of a rollout's append-only audit trail. */
export interface AuditEvent {
  /** eventId is the writer's idempotency key: writing the same id twice stores it once. */
  eventId: string;
  rolloutId: string;
  planName: string;
  planVersion: number;
  stageId?: string;
  type: string;
  /** actor is who caused the event: a person, a service, or `rollgate` for the engine itself. */
  actor?: string;
  /** role is the role the actor acted in, e.g. the role an approval counted toward. */
  role?: string;
  /** reason is why: a comment, a rejection's reason, or why an attempt was denied. */
  reason?: string;
  /** requestId is the API request that caused the event (the X-Request-Id header). */
  requestId?: string;
  detail?: Record<string, unknown>;
  occurredAt: string;
}

/** RolloutProgress is what the workflow reports with an event, so the rollout registry stays current. */
export interface RolloutProgress {
  state: string;
  activeStages: string[];
  status: unknown;
}

/** Writing an event id a second time changes nothing. */
const INSERT_AUDIT_EVENT = `
  INSERT INTO audit_events (event_id, rollout_id, plan_name, plan_version, stage_id, type, actor, detail, occurred_at,
                            role, reason, request_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (event_id) DO NOTHING`;

const eventParams = (event: AuditEvent) => [
  event.eventId,
  event.rolloutId,
  event.planName,
  event.planVersion,
  event.stageId ?? null,
  event.type,
  event.actor ?? null,
  JSON.stringify(event.detail ?? {}),
  event.occurredAt,
  event.role ?? null,
  event.reason ?? null,
  event.requestId ?? null,
];

/**
 * writeRolloutSnapshot is the one place the rollout registry's snapshot is written: state,
 * active stages, status, and `status_seq`, the trail sequence of the last of the events it
 * follows (the read model's freshness, `asOf`).
 */
async function writeRolloutSnapshot(client: PoolClient, rolloutId: string, progress: RolloutProgress, eventIds: string[]): Promise<void> {
  await client.query(
    `UPDATE rollouts SET state = $2, active_stages = $3, status = $4, updated_at = now(),
            status_seq = COALESCE((SELECT max(seq) FROM audit_events WHERE event_id = ANY($5::text[])), status_seq)
      WHERE rollout_id = $1`,
    [rolloutId, progress.state, progress.activeStages, JSON.stringify(progress.status), eventIds],
  );
  await replaceInboxCandidates(client, rolloutId, progress.status);
}

/**
 * recordAuditEvent appends event and, when progress is given, updates the rollout's registry
 * row in the same transaction. Idempotent on eventId.
 */
export async function recordAuditEvent(pool: Pool, event: AuditEvent, progress?: RolloutProgress): Promise<void> {
  // One statement commits on its own: no transaction, and no connection held across round trips.
  if (!progress) {
    await pool.query(INSERT_AUDIT_EVENT, eventParams(event));
    return;
  }
  await recordAuditEvents(pool, [event], progress);
}

/**
 * recordAuditEvents appends a transition's events in order and, when progress is given,
 * updates the registry row of their rollout once, all in one transaction. Idempotent on
 * eventId: a retry stores nothing twice and writes the same snapshot again.
 */
export async function recordAuditEvents(pool: Pool, events: readonly AuditEvent[], progress?: RolloutProgress): Promise<void> {
  const first = events[0];
  if (!first) return;
  await withTransaction(pool, async (client) => {
    for (const event of events) await client.query(INSERT_AUDIT_EVENT, eventParams(event));
    if (progress) await writeRolloutSnapshot(client, first.rolloutId, progress, events.map((event) => event.eventId));
  });
}

export interface StoredAuditEvent extends Omit<AuditEvent, 'eventId'> {
  seq: number;
  recordedAt: string;
}

/** listAuditEvents pages through a rollout's trail in order: events with seq > after, at most limit. */
export async function listAuditEvents(pool: Pool, rolloutId: string, after: number, limit: number): Promise<StoredAuditEvent[]> {
  const result = await pool.query<StoredAuditEvent>(
    `SELECT seq::float8 AS seq, rollout_id AS "rolloutId", plan_name AS "planName", plan_version AS "planVersion",
            stage_id AS "stageId", type, actor, role, reason, request_id AS "requestId", detail,
            to_json(occurred_at) #>> '{}' AS "occurredAt", to_json(recorded_at) #>> '{}' AS "recordedAt"
       FROM audit_events WHERE rollout_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [rolloutId, after, limit],
  );
  return result.rows;
}
