import type { Pool } from 'pg';

/**
 * Open steady-state reviews, read from the audit trail (db/migrations/019_review_events_index.sql).
 * A steady-state child writes `review.opened`, `review.signed` (with `complete` once the review
 * has its quorum) and `steady-state.settled`; the parent writes `steady-state.started` when it
 * enters the stage (again), which starts a new child whose reviews are numbered from 1.
 */

export interface ReviewSignature {
  approver: string;
  role: string;
  at: string;
}

export interface OpenReviewTask {
  rolloutId: string;
  planName: string;
  planVersion: number;
  startedBy?: string;
  stageId: string;
  number: number;
  openedAt: string;
  signBy?: string;
  signOffs: ReviewSignature[];
}

export interface ReviewEventRow {
  rolloutId: string;
  planName: string;
  planVersion: number;
  startedBy: string | null;
  stageId: string | null;
  type: string;
  actor: string | null;
  role: string | null;
  detail: Record<string, unknown>;
  occurredAt: string;
}

/** openReviewTasks folds a trail's review events, in trail order, into the reviews still waiting for sign-off. */
export function openReviewTasks(events: readonly ReviewEventRow[]): OpenReviewTask[] {
  const open = new Map<string, OpenReviewTask>();
  const key = (rolloutId: string, stageId: string, number: unknown) => `${rolloutId}\u0000${stageId}\u0000${String(number)}`;
  const closeStage = (rolloutId: string, stageId: string) => {
    for (const [id, task] of open) if (task.rolloutId === rolloutId && task.stageId === stageId) open.delete(id);
  };
  for (const event of events) {
    if (!event.stageId) continue;
    const number = event.detail.review;
    if (event.type === 'steady-state.started' || event.type === 'steady-state.settled') closeStage(event.rolloutId, event.stageId);
    else if (event.type === 'review.opened' && typeof number === 'number') {
      const signBy = event.detail.signBy;
      open.set(key(event.rolloutId, event.stageId, number), {
        rolloutId: event.rolloutId,
        planName: event.planName,
        planVersion: event.planVersion,
        ...(event.startedBy ? { startedBy: event.startedBy } : {}),
        stageId: event.stageId,
        number,
        openedAt: event.occurredAt,
        ...(typeof signBy === 'string' ? { signBy } : {}),
        signOffs: [],
      });
    } else if (event.type === 'review.signed') {
      const id = key(event.rolloutId, event.stageId, number);
      const task = open.get(id);
      if (!task) continue;
      if (event.detail.complete === true) open.delete(id);
      else if (event.actor && event.role) task.signOffs.push({ approver: event.actor, role: event.role, at: event.occurredAt });
    }
  }
  return [...open.values()];
}

/** readOpenReviewTasks reads the review events of the open rollouts (or of one) and returns their open reviews. */
export async function readOpenReviewTasks(pool: Pool, openStates: readonly string[], rolloutId?: string): Promise<OpenReviewTask[]> {
  const result = await pool.query<ReviewEventRow>(
    `SELECT e.rollout_id AS "rolloutId", e.plan_name AS "planName", e.plan_version AS "planVersion", r.started_by AS "startedBy",
            e.stage_id AS "stageId", e.type, e.actor, e.role, e.detail,
            to_json(e.occurred_at) #>> '{}' AS "occurredAt"
       FROM audit_events e JOIN rollouts r USING (rollout_id)
      WHERE r.state = ANY($1) AND ($2::text IS NULL OR e.rollout_id = $2)
        AND e.type IN ('review.opened', 'review.signed', 'steady-state.started', 'steady-state.settled')
      ORDER BY e.rollout_id, e.seq`,
    [openStates, rolloutId ?? null],
  );
  return openReviewTasks(result.rows);
}
