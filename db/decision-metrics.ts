import type { Pool } from 'pg';

/** The decision built-in metrics of a stage, computed from the decisions table (migration 004_decisions.sql). */

export interface MetricValue {
  value: number | null;
  samples: number;
}

export type DecisionMetrics = Record<'deferral-rate' | 'human-override-rate' | 'auto-decision-accuracy' | 'decision-timeout-count', MetricValue>;

/**
 * decisionMetrics computes the decision built-in metrics of one stage over the decisions made
 * in [from, to), counting only what was known by `to` (resolutions, timeouts and outcomes
 * before it), so a past window evaluates the same later:
 *  - deferral-rate: share of decisions below the threshold (deferred; in a shadow stage, those
 *    that would have been), of all decisions;
 *  - human-override-rate: share of resolved decisions resolved by modify or reject;
 *  - auto-decision-accuracy: share correct of the automatic decisions with an outcome;
 *  - decision-timeout-count: deferred decisions that timed out; samples counts the deferred ones.
 * A rate is null when it has no samples.
 */
export async function decisionMetrics(pool: Pool, rolloutId: string, stageId: string, from: Date, to: Date): Promise<DecisionMetrics> {
  const result = await pool.query<Record<string, number>>(
    `SELECT count(*)::int AS decisions,
            count(*) FILTER (WHERE NOT d.confident)::int AS below,
            count(*) FILTER (WHERE d.state = 'resolved' AND d.settled_at < $4)::int AS resolved,
            count(*) FILTER (WHERE d.resolution IN ('modify', 'reject') AND d.settled_at < $4)::int AS overridden,
            count(*) FILTER (WHERE d.disposition = 'auto' AND o.observed_at < $4)::int AS auto_outcomes,
            count(*) FILTER (WHERE d.disposition = 'auto' AND o.observed_at < $4 AND o.correct)::int AS auto_correct,
            count(*) FILTER (WHERE d.disposition = 'deferred')::int AS deferred,
            count(*) FILTER (WHERE d.state = 'timed-out' AND d.settled_at < $4)::int AS timed_out
       FROM decisions d LEFT JOIN decision_outcomes o USING (decision_id)
      WHERE d.rollout_id = $1 AND d.stage_id = $2 AND d.created_at >= $3 AND d.created_at < $4`,
    [rolloutId, stageId, from, to],
  );
  const c = result.rows[0]!;
  const rate = (part: number, whole: number): MetricValue => ({ value: whole === 0 ? null : part / whole, samples: whole });
  return {
    'deferral-rate': rate(c.below!, c.decisions!),
    'human-override-rate': rate(c.overridden!, c.resolved!),
    'auto-decision-accuracy': rate(c.auto_correct!, c.auto_outcomes!),
    'decision-timeout-count': { value: c.timed_out!, samples: c.deferred! },
  };
}
