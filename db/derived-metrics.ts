import type { Pool, PoolClient } from 'pg';
import type { Plan } from '../definitions/schema';
import type { Observation } from '../policy/criteria';
import type { EvidenceScope } from './evidence';
import { FeedbackResponse } from './recommendations';
import { sampleMean } from './samples';

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
  if (!isDerivedMetric(metric, catalog)) {
    const mean = await sampleMean(db, rolloutId, metric, from, to, scope);
    return observation(mean.value, mean.samples);
  }
  const params = [rolloutId, from, to, JSON.stringify(scope)];
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
