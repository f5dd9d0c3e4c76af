import type { Pool } from 'pg';
import { iso, type EvidenceScope, type Reporter } from './evidence';

/**
 * A model's recommendations (table recommendations), what came of them (recommendation_outcomes),
 * operators' responses to them (recommendation_feedback), and the problems no recommendation
 * flagged (missed_events): the facts the derived metrics are computed from (db/derived-metrics.ts).
 */

export interface NewRecommendation {
  recommendationId: string;
  stageId?: string;
  action: string;
  dueBy: string;
  confidence?: number;
  scope?: EvidenceScope;
  issuedAt: string;
  /** labelVersion is the label definition version the model's recommendation refers to. */
  labelVersion?: string;
}

export interface StoredRecommendation {
  recommendationId: string;
  stageId: string | null;
  action: string;
  dueBy: string;
  confidence: number | null;
  scope: EvidenceScope;
  issuedAt: string;
  reportedBy: string;
  recordedAt: string;
  labelVersion?: string;
}

/** insertRecommendation stores a recommendation; when its id is taken, answers the stored one with created false. */
export async function insertRecommendation(
  pool: Pool,
  rolloutId: string,
  recommendation: NewRecommendation,
  reporter: Reporter,
): Promise<{ created: boolean; recommendation: StoredRecommendation }> {
  const inserted = await pool.query(
    `INSERT INTO recommendations (rollout_id, recommendation_id, stage_id, action, due_by, confidence, scope, issued_at, reported_by, request_id, label_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (rollout_id, recommendation_id) DO NOTHING`,
    [
      rolloutId,
      recommendation.recommendationId,
      recommendation.stageId ?? null,
      recommendation.action,
      recommendation.dueBy,
      recommendation.confidence ?? null,
      JSON.stringify(recommendation.scope ?? {}),
      recommendation.issuedAt,
      reporter.reportedBy,
      reporter.requestId ?? null,
      recommendation.labelVersion ?? null,
    ],
  );
  const stored = await getRecommendation(pool, rolloutId, recommendation.recommendationId);
  return { created: inserted.rowCount === 1, recommendation: stored! };
}

export async function getRecommendation(pool: Pool, rolloutId: string, recommendationId: string): Promise<StoredRecommendation | undefined> {
  const result = await pool.query(
    `SELECT recommendation_id, stage_id, action, due_by, confidence, scope, issued_at, reported_by, recorded_at, label_version
       FROM recommendations WHERE rollout_id = $1 AND recommendation_id = $2`,
    [rolloutId, recommendationId],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    recommendationId: row.recommendation_id,
    stageId: row.stage_id,
    action: row.action,
    dueBy: iso(row.due_by),
    confidence: row.confidence,
    scope: row.scope,
    issuedAt: iso(row.issued_at),
    reportedBy: row.reported_by,
    recordedAt: iso(row.recorded_at),
    ...(row.label_version !== null ? { labelVersion: row.label_version } : {}),
  };
}

export interface NewOutcome {
  /** occurred is true when the problem the recommendation predicted was real. */
  occurred: boolean;
  observedAt: string;
  detail?: string;
  /** labelVersion is the label definition version the outcome was labelled under. */
  labelVersion?: string;
}

export interface StoredOutcome {
  recommendationId: string;
  occurred: boolean;
  observedAt: string;
  detail: string | null;
  reportedBy: string;
  recordedAt: string;
  labelVersion?: string;
}

/** insertOutcome stores a recommendation's one outcome; when it has one already, answers that with created false. */
export async function insertOutcome(
  pool: Pool,
  rolloutId: string,
  recommendationId: string,
  outcome: NewOutcome,
  reporter: Reporter,
): Promise<{ created: boolean; outcome: StoredOutcome }> {
  const inserted = await pool.query(
    `INSERT INTO recommendation_outcomes (rollout_id, recommendation_id, occurred, observed_at, detail, reported_by, request_id, label_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (rollout_id, recommendation_id) DO NOTHING`,
    [rolloutId, recommendationId, outcome.occurred, outcome.observedAt, outcome.detail ?? null, reporter.reportedBy, reporter.requestId ?? null, outcome.labelVersion ?? null],
  );
  const result = await pool.query(
    `SELECT occurred, observed_at, detail, reported_by, recorded_at, label_version FROM recommendation_outcomes WHERE rollout_id = $1 AND recommendation_id = $2`,
    [rolloutId, recommendationId],
  );
  const row = result.rows[0];
  return {
    created: inserted.rowCount === 1,
    outcome: {
      recommendationId,
      occurred: row.occurred,
      observedAt: iso(row.observed_at),
      detail: row.detail,
      reportedBy: row.reported_by,
      recordedAt: iso(row.recorded_at),
      ...(row.label_version !== null ? { labelVersion: row.label_version } : {}),
    },
  };
}

/**
 * outcomeLabels counts the outcomes observed in [from, to) of recommendations within scope: all
 * of them, those carrying a labelVersion, and those whose labelVersion differs from trainedOn.
 */
export async function outcomeLabels(
  pool: Pool,
  rolloutId: string,
  from: Date,
  to: Date,
  scope: EvidenceScope,
  trainedOn: string,
): Promise<{ outcomes: number; tracked: number; differing: number }> {
  const { rows } = await pool.query<{ outcomes: number; tracked: number; differing: number }>(
    `SELECT count(*)::int AS outcomes, count(o.label_version)::int AS tracked,
            count(*) FILTER (WHERE o.label_version IS NOT NULL AND o.label_version <> $5)::int AS differing
       FROM recommendation_outcomes o JOIN recommendations r USING (rollout_id, recommendation_id)
      WHERE o.rollout_id = $1 AND o.observed_at >= $2 AND o.observed_at < $3 AND r.scope @> $4::jsonb`,
    [rolloutId, from, to, JSON.stringify(scope), trainedOn],
  );
  return rows[0] ?? { outcomes: 0, tracked: 0, differing: 0 };
}

export const FeedbackResponse = { acted: 'acted', deferred: 'deferred', dismissed: 'dismissed', override: 'override' } as const;
export type FeedbackResponse = (typeof FeedbackResponse)[keyof typeof FeedbackResponse];

export interface NewFeedback {
  response: FeedbackResponse;
  /** by is the operator who responded. */
  by: string;
  reason?: string;
  at: string;
}

export interface StoredFeedback extends Omit<NewFeedback, 'reason'> {
  seq: number;
  recommendationId: string;
  reason: string | null;
  reportedBy: string;
  recordedAt: string;
}

/** insertFeedback stores an operator's response; the same response by the same person at the same time is stored once. */
export async function insertFeedback(
  pool: Pool,
  rolloutId: string,
  recommendationId: string,
  feedback: NewFeedback,
  reporter: Reporter,
): Promise<{ created: boolean; feedback: StoredFeedback }> {
  const inserted = await pool.query(
    `INSERT INTO recommendation_feedback (rollout_id, recommendation_id, response, given_by, reason, given_at, reported_by, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (rollout_id, recommendation_id, response, given_by, given_at) DO NOTHING`,
    [rolloutId, recommendationId, feedback.response, feedback.by, feedback.reason ?? null, feedback.at, reporter.reportedBy, reporter.requestId ?? null],
  );
  const result = await pool.query(
    `SELECT seq::float8 AS seq, response, given_by, reason, given_at, reported_by, recorded_at FROM recommendation_feedback
      WHERE rollout_id = $1 AND recommendation_id = $2 AND response = $3 AND given_by = $4 AND given_at = $5`,
    [rolloutId, recommendationId, feedback.response, feedback.by, feedback.at],
  );
  const row = result.rows[0];
  return {
    created: inserted.rowCount === 1,
    feedback: {
      seq: row.seq,
      recommendationId,
      response: row.response,
      by: row.given_by,
      reason: row.reason,
      at: iso(row.given_at),
      reportedBy: row.reported_by,
      recordedAt: iso(row.recorded_at),
    },
  };
}

export interface NewMissedEvent {
  eventId: string;
  observedAt: string;
  detail?: string;
  scope?: EvidenceScope;
}

export interface StoredMissedEvent {
  eventId: string;
  observedAt: string;
  detail: string | null;
  scope: EvidenceScope;
  reportedBy: string;
  recordedAt: string;
}

/** insertMissedEvent stores a real problem the model did not recommend anything for; idempotent on eventId. */
export async function insertMissedEvent(
  pool: Pool,
  rolloutId: string,
  event: NewMissedEvent,
  reporter: Reporter,
): Promise<{ created: boolean; event: StoredMissedEvent }> {
  const inserted = await pool.query(
    `INSERT INTO missed_events (rollout_id, event_id, observed_at, detail, scope, reported_by, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (rollout_id, event_id) DO NOTHING`,
    [rolloutId, event.eventId, event.observedAt, event.detail ?? null, JSON.stringify(event.scope ?? {}), reporter.reportedBy, reporter.requestId ?? null],
  );
  const result = await pool.query(
    `SELECT observed_at, detail, scope, reported_by, recorded_at FROM missed_events WHERE rollout_id = $1 AND event_id = $2`,
    [rolloutId, event.eventId],
  );
  const row = result.rows[0];
  return {
    created: inserted.rowCount === 1,
    event: {
      eventId: event.eventId,
      observedAt: iso(row.observed_at),
      detail: row.detail,
      scope: row.scope,
      reportedBy: row.reported_by,
      recordedAt: iso(row.recorded_at),
    },
  };
}
