import type { Pool, PoolClient } from 'pg';
import type { Plan } from '../definitions/schema';
import type { CriterionEvaluation, Observation, StageEvaluation, Verdict } from '../policy/criteria';

/**
 * Evidence storage and the aggregates criteria are judged on. Every row is a fact with its own
 * time (observedAt, issuedAt, at); which stage it counts toward is decided only when a window
 * is read. Windows are half-open: from <= t < to.
 */

/** EvidenceScope says where a sample, recommendation or event was observed. */
export interface EvidenceScope {
  site?: string;
  line?: string;
  shift?: string;
  lane?: string;
  carrier?: string;
}

/** Reporter is who sent evidence (the authenticated principal) and in which API request. */
export interface Reporter {
  reportedBy: string;
  requestId?: string;
}

// ── Metric samples ──────────────────────────────────────────────────────────────────────

export interface NewSample {
  metric: string;
  /** value is finite; the table refuses NaN and ±Infinity. */
  value: number;
  observedAt: string;
  scope?: EvidenceScope;
  /** sampleId, when given, makes the sample count once per rollout however often it is sent. */
  sampleId?: string;
}

export interface StoredSample {
  seq: number;
  metric: string;
  value: number;
  observedAt: string;
  scope: EvidenceScope;
  sampleId: string | null;
  reportedBy: string;
  recordedAt: string;
}

/** insertSamples stores a batch in one statement: all of it or, on error, none. Repeated sampleIds are skipped. */
export async function insertSamples(
  pool: Pool,
  rolloutId: string,
  samples: readonly NewSample[],
  reporter: Reporter,
): Promise<{ accepted: number; duplicates: number }> {
  const rows = samples.map((sample) => ({
    metric: sample.metric,
    value: sample.value,
    observed_at: sample.observedAt,
    scope: sample.scope ?? {},
    sample_id: sample.sampleId ?? null,
  }));
  const result = await pool.query(
    `INSERT INTO metric_samples (rollout_id, metric, value, observed_at, scope, sample_id, reported_by, request_id)
     SELECT $1, s.metric, s.value, s.observed_at, s.scope, s.sample_id, $3, $4
       FROM jsonb_to_recordset($2::jsonb) AS s(metric text, value float8, observed_at timestamptz, scope jsonb, sample_id text)
     ON CONFLICT (rollout_id, sample_id) DO NOTHING`,
    [rolloutId, JSON.stringify(rows), reporter.reportedBy, reporter.requestId ?? null],
  );
  const accepted = result.rowCount ?? 0;
  return { accepted, duplicates: samples.length - accepted };
}

export interface SampleQuery {
  metric?: string;
  from?: string;
  to?: string;
  /** after is a seq: the page starts after it. */
  after: number;
  limit: number;
}

/** listSamples pages through a rollout's samples in the order they were stored. */
export async function listSamples(pool: Pool, rolloutId: string, query: SampleQuery): Promise<StoredSample[]> {
  const result = await pool.query(
    `SELECT seq::float8 AS seq, metric, value, observed_at, scope, sample_id, reported_by, recorded_at
       FROM metric_samples
      WHERE rollout_id = $1 AND seq > $2
        AND ($3::text IS NULL OR metric = $3)
        AND ($4::timestamptz IS NULL OR observed_at >= $4)
        AND ($5::timestamptz IS NULL OR observed_at < $5)
      ORDER BY seq LIMIT $6`,
    [rolloutId, query.after, query.metric ?? null, query.from ?? null, query.to ?? null, query.limit],
  );
  return result.rows.map((row) => ({
    seq: row.seq,
    metric: row.metric,
    value: row.value,
    observedAt: iso(row.observed_at),
    scope: row.scope,
    sampleId: row.sample_id,
    reportedBy: row.reported_by,
    recordedAt: iso(row.recorded_at),
  }));
}

// ── Recommendations, outcomes, feedback, missed events ──────────────────────────────────

export interface NewRecommendation {
  recommendationId: string;
  stageId?: string;
  action: string;
  dueBy: string;
  confidence?: number;
  scope?: EvidenceScope;
  issuedAt: string;
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
}

/** insertRecommendation stores a recommendation; when its id is taken, answers the stored one with created false. */
export async function insertRecommendation(
  pool: Pool,
  rolloutId: string,
  recommendation: NewRecommendation,
  reporter: Reporter,
): Promise<{ created: boolean; recommendation: StoredRecommendation }> {
  const inserted = await pool.query(
    `INSERT INTO recommendations (rollout_id, recommendation_id, stage_id, action, due_by, confidence, scope, issued_at, reported_by, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (rollout_id, recommendation_id) DO NOTHING`,
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
    ],
  );
  const stored = await getRecommendation(pool, rolloutId, recommendation.recommendationId);
  return { created: inserted.rowCount === 1, recommendation: stored! };
}

export async function getRecommendation(pool: Pool, rolloutId: string, recommendationId: string): Promise<StoredRecommendation | undefined> {
  const result = await pool.query(
    `SELECT recommendation_id, stage_id, action, due_by, confidence, scope, issued_at, reported_by, recorded_at
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
  };
}

export interface NewOutcome {
  /** occurred is true when the problem the recommendation predicted was real. */
  occurred: boolean;
  observedAt: string;
  detail?: string;
}

export interface StoredOutcome {
  recommendationId: string;
  occurred: boolean;
  observedAt: string;
  detail: string | null;
  reportedBy: string;
  recordedAt: string;
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
    `INSERT INTO recommendation_outcomes (rollout_id, recommendation_id, occurred, observed_at, detail, reported_by, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (rollout_id, recommendation_id) DO NOTHING`,
    [rolloutId, recommendationId, outcome.occurred, outcome.observedAt, outcome.detail ?? null, reporter.reportedBy, reporter.requestId ?? null],
  );
  const result = await pool.query(
    `SELECT occurred, observed_at, detail, reported_by, recorded_at FROM recommendation_outcomes WHERE rollout_id = $1 AND recommendation_id = $2`,
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
    },
  };
}

const FeedbackResponse = { acted: 'acted', deferred: 'deferred', dismissed: 'dismissed', override: 'override' } as const;
type FeedbackResponse = (typeof FeedbackResponse)[keyof typeof FeedbackResponse];

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

// ── Window aggregates ───────────────────────────────────────────────────────────────────

/**
 * The built-in metrics derived from recommendations, their outcomes and operators' feedback,
 * rather than reported as samples. Over a window [from, to), as known at `to` (outcomes and
 * feedback dated before `to`):
 *
 * - precision: of the recommendations issued in the window that have an outcome, the share
 *   whose outcome occurred. samples = recommendations with an outcome.
 * - false-positive-rate: of the same recommendations, the share whose outcome did not occur
 *   (1 - precision: only flagged cases are ever judged). samples as for precision.
 * - recall: of the real problems observed in the window (outcomes that occurred, by their
 *   observedAt, plus missed events), the share a recommendation had flagged.
 *   samples = those problems.
 * - acceptance-rate / override-rate: of the recommendations issued in the window that have
 *   feedback, the share whose latest response is `acted` / `override`. samples = those
 *   recommendations.
 * - time-to-action: the median, in seconds (the metric's unit), from issuedAt to the first
 *   `acted` response, over the recommendations issued in the window that were acted on;
 *   a response dated before issuedAt (clock skew) counts as 0. samples = those recommendations.
 *
 * A plan whose catalog declares a metric of the same name reports it as samples instead.
 */
const DERIVED_METRICS = ['precision', 'recall', 'false-positive-rate', 'acceptance-rate', 'override-rate', 'time-to-action'] as const;
export type DerivedMetric = (typeof DERIVED_METRICS)[number];

/** isDerivedMetric tells whether metric is computed from recommendations for a plan with this catalog. */
export function isDerivedMetric(metric: string, catalog: Plan['metrics']): metric is DerivedMetric {
  const declared = catalog !== undefined && Object.prototype.hasOwnProperty.call(catalog, metric);
  return !declared && (DERIVED_METRICS as readonly string[]).includes(metric);
}

/**
 * windowObservations aggregates one metric over [from, to): a derived metric as above, any
 * other (catalog or built-in) as the mean of its samples observed in the window, with
 * samples = how many. No data is `{ value: null, samples: 0 }`. scope, when given, keeps only
 * evidence whose scope has every one of its entries.
 */
export async function windowObservations(
  db: Pool | PoolClient,
  rolloutId: string,
  metric: string,
  from: Date,
  to: Date,
  catalog: Plan['metrics'],
  scope: EvidenceScope = {},
): Promise<Observation> {
  const params = [rolloutId, from, to, JSON.stringify(scope)];
  if (!isDerivedMetric(metric, catalog)) {
    const { rows } = await db.query<{ value: number | null; samples: number }>(
      `SELECT avg(value::numeric)::float8 AS value, count(*)::int AS samples FROM metric_samples
        WHERE rollout_id = $1 AND observed_at >= $2 AND observed_at < $3 AND scope @> $4::jsonb AND metric = $5`,
      [...params, metric],
    );
    return observation(rows[0]?.value ?? null, rows[0]?.samples ?? 0);
  }
  switch (metric) {
    case 'precision':
    case 'false-positive-rate': {
      const { hits, judged } = await one<{ hits: number; judged: number }>(
        db,
        `SELECT count(*) FILTER (WHERE o.occurred)::int AS hits, count(*)::int AS judged
           FROM recommendations r JOIN recommendation_outcomes o USING (rollout_id, recommendation_id)
          WHERE r.rollout_id = $1 AND r.issued_at >= $2 AND r.issued_at < $3 AND o.observed_at < $3 AND r.scope @> $4::jsonb`,
        params,
      );
      return ratio(metric === 'precision' ? hits : judged - hits, judged);
    }
    case 'recall': {
      const { caught, missed } = await one<{ caught: number; missed: number }>(
        db,
        `SELECT (SELECT count(*) FROM recommendations r JOIN recommendation_outcomes o USING (rollout_id, recommendation_id)
                  WHERE r.rollout_id = $1 AND o.occurred AND o.observed_at >= $2 AND o.observed_at < $3 AND r.scope @> $4::jsonb)::int AS caught,
                (SELECT count(*) FROM missed_events m
                  WHERE m.rollout_id = $1 AND m.observed_at >= $2 AND m.observed_at < $3 AND m.scope @> $4::jsonb)::int AS missed`,
        params,
      );
      return ratio(caught, caught + missed);
    }
    case 'acceptance-rate':
    case 'override-rate': {
      const { matching, answered } = await one<{ matching: number; answered: number }>(
        db,
        `SELECT count(*) FILTER (WHERE response = $5)::int AS matching, count(*)::int AS answered FROM (
           SELECT DISTINCT ON (f.recommendation_id) f.response
             FROM recommendations r JOIN recommendation_feedback f USING (rollout_id, recommendation_id)
            WHERE r.rollout_id = $1 AND r.issued_at >= $2 AND r.issued_at < $3 AND f.given_at < $3 AND r.scope @> $4::jsonb
            ORDER BY f.recommendation_id, f.given_at DESC, f.seq DESC) latest`,
        [...params, metric === 'acceptance-rate' ? FeedbackResponse.acted : FeedbackResponse.override],
      );
      return ratio(matching, answered);
    }
    case 'time-to-action': {
      const { value, samples } = await one<{ value: number | null; samples: number }>(
        db,
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::float8 AS value, count(*)::int AS samples FROM (
           SELECT GREATEST(0, EXTRACT(EPOCH FROM min(f.given_at) - r.issued_at))::float8 AS seconds
             FROM recommendations r JOIN recommendation_feedback f USING (rollout_id, recommendation_id)
            WHERE r.rollout_id = $1 AND r.issued_at >= $2 AND r.issued_at < $3 AND f.given_at < $3 AND r.scope @> $4::jsonb
              AND f.response = 'acted'
            GROUP BY r.recommendation_id, r.issued_at) acted`,
        params,
      );
      return observation(value, samples);
    }
  }
}

async function one<T>(db: Pool | PoolClient, sql: string, params: unknown[]): Promise<T> {
  const { rows } = await db.query(sql, params);
  return rows[0] as T;
}

const ratio = (part: number, whole: number): Observation => (whole === 0 ? observation(null, 0) : observation(part / whole, whole));
const observation = (value: number | null, samples: number): Observation => (samples === 0 ? { value: null, samples: 0 } : { value, samples });

// ── Evaluations ─────────────────────────────────────────────────────────────────────────

/**
 * storeEvaluation stores every criterion result of a stage evaluation, once per evaluationId:
 * a retry stores nothing new and returns what was stored first. An evaluation of a stage without
 * criteria has no rows and is returned as given.
 */
export async function storeEvaluation(pool: Pool, evaluation: StageEvaluation): Promise<StageEvaluation> {
  if (evaluation.criteria.length === 0) return evaluation;
  const rows = evaluation.criteria.map((criterion) => ({
    criterion_index: criterion.index,
    metric: criterion.metric,
    verdict: criterion.verdict,
    reason: criterion.reason,
    value: criterion.value,
    op: criterion.op,
    threshold: criterion.threshold,
    samples: criterion.samples,
    consecutive_passes: criterion.consecutivePasses,
    window_from: criterion.window.from,
    window_to: criterion.window.to,
    baseline_from: criterion.baselineWindow?.from ?? null,
    baseline_to: criterion.baselineWindow?.to ?? null,
    baseline_value: criterion.baseline?.value ?? null,
    baseline_samples: criterion.baseline?.samples ?? null,
  }));
  await pool.query(
    `INSERT INTO evaluations (rollout_id, evaluation_id, stage_id, plan_version, stage_verdict, evaluated_at,
                              criterion_index, metric, verdict, reason, value, op, threshold, samples, consecutive_passes,
                              window_from, window_to, baseline_from, baseline_to, baseline_value, baseline_samples)
     SELECT $1, $2, $3, $4, $5, $6, e.*
       FROM jsonb_to_recordset($7::jsonb) AS e(criterion_index int, metric text, verdict text, reason text, value float8, op text,
            threshold float8, samples int, consecutive_passes int, window_from timestamptz, window_to timestamptz,
            baseline_from timestamptz, baseline_to timestamptz, baseline_value float8, baseline_samples int)
     ON CONFLICT (rollout_id, evaluation_id, criterion_index) DO NOTHING`,
    [
      evaluation.rolloutId,
      evaluation.evaluationId,
      evaluation.stageId,
      evaluation.planVersion,
      evaluation.verdict,
      evaluation.evaluatedAt,
      JSON.stringify(rows),
    ],
  );
  return (await getEvaluation(pool, evaluation.rolloutId, evaluation.evaluationId)) ?? evaluation;
}

const EVALUATION_COLUMNS = `evaluation_id, stage_id, plan_version, stage_verdict, evaluated_at, criterion_index, metric, verdict, reason,
  value, op, threshold, samples, consecutive_passes, window_from, window_to, baseline_from, baseline_to, baseline_value, baseline_samples`;

/** getEvaluation returns a stored stage evaluation, or undefined when none has that id. */
export async function getEvaluation(pool: Pool, rolloutId: string, evaluationId: string): Promise<StageEvaluation | undefined> {
  const result = await pool.query(
    `SELECT ${EVALUATION_COLUMNS} FROM evaluations WHERE rollout_id = $1 AND evaluation_id = $2 ORDER BY criterion_index`,
    [rolloutId, evaluationId],
  );
  return groupEvaluations(rolloutId, result.rows)[0];
}

/** latestEvaluations returns each stage's most recent evaluation (by evaluatedAt), in stage-id order. */
export async function latestEvaluations(pool: Pool, rolloutId: string): Promise<StageEvaluation[]> {
  const result = await pool.query(
    `SELECT ${EVALUATION_COLUMNS} FROM evaluations
      WHERE rollout_id = $1 AND evaluation_id IN (
        SELECT DISTINCT ON (stage_id) evaluation_id FROM evaluations WHERE rollout_id = $1
         ORDER BY stage_id, evaluated_at DESC, recorded_at DESC)
      ORDER BY stage_id, criterion_index`,
    [rolloutId],
  );
  return groupEvaluations(rolloutId, result.rows);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as pg returns them
function groupEvaluations(rolloutId: string, rows: any[]): StageEvaluation[] {
  const byId = new Map<string, StageEvaluation>();
  for (const row of rows) {
    let evaluation = byId.get(row.evaluation_id);
    if (!evaluation) {
      evaluation = {
        evaluationId: row.evaluation_id,
        rolloutId,
        stageId: row.stage_id,
        planVersion: row.plan_version,
        evaluatedAt: iso(row.evaluated_at),
        verdict: row.stage_verdict as Verdict,
        criteria: [],
      };
      byId.set(row.evaluation_id, evaluation);
    }
    const criterion: CriterionEvaluation = {
      index: row.criterion_index,
      metric: row.metric,
      verdict: row.verdict,
      reason: row.reason,
      value: row.value,
      op: row.op,
      threshold: row.threshold,
      samples: row.samples,
      consecutivePasses: row.consecutive_passes,
      window: { from: iso(row.window_from), to: iso(row.window_to) },
      ...(row.baseline_from
        ? {
            baselineWindow: { from: iso(row.baseline_from), to: iso(row.baseline_to) },
            baseline: { value: row.baseline_value, samples: row.baseline_samples },
          }
        : {}),
    };
    evaluation.criteria.push(criterion);
  }
  return [...byId.values()];
}

const iso = (value: Date | string): string => new Date(value).toISOString();
