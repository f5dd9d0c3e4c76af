import type { Pool, PoolClient } from 'pg';
import type { GroupSelection } from '../policy/evidence-reader';
import { summarize, type SampleSummary } from '../policy/statistics/summary';
import type { EvidenceScope } from './evidence';

/**
 * sampleGroup summarises one group of a comparison criterion: a metric's samples observed in
 * [from, to), for selection `stage` those in the stage's scope less any in the excluded scopes,
 * for `scopes` those in any of them (none: an empty group). Count, mean and variance come from
 * PostgreSQL over every sample; the values themselves, in observation order and capped
 * (policy/statistics/summary.ts), only when keepValues.
 */
export async function sampleGroup(
  db: Pool | PoolClient,
  rolloutId: string,
  metric: string,
  from: Date,
  to: Date,
  stageScope: EvidenceScope,
  selection: GroupSelection,
  keepValues: boolean,
): Promise<SampleSummary> {
  if (selection.kind === 'scopes' && selection.anyOf.length === 0) return { n: 0, mean: null, variance: null, ...(keepValues ? { values: [] } : {}) };
  const stage = selection.kind === 'stage';
  const scopes = (stage ? selection.exclude : selection.anyOf).map((scope) => JSON.stringify(scope));
  const where = `rollout_id = $1 AND metric = $2 AND observed_at >= $3 AND observed_at < $4
    AND ${stage ? 'scope @> $6::jsonb AND NOT (scope @> ANY($5::jsonb[]))' : 'scope @> ANY($5::jsonb[])'}`;
  const params = [rolloutId, metric, from, to, scopes, ...(stage ? [JSON.stringify(stageScope)] : [])];
  const { rows } = await db.query<{ n: number; mean: number | null; variance: number | null }>(
    `SELECT count(*)::int AS n, avg(value::numeric)::float8 AS mean, var_samp(value::numeric)::float8 AS variance FROM metric_samples WHERE ${where}`,
    params,
  );
  const moments: SampleSummary = { n: rows[0]?.n ?? 0, mean: rows[0]?.mean ?? null, variance: rows[0]?.variance ?? null };
  if (!keepValues) return moments;
  const values = await db.query<{ value: number }>(`SELECT value FROM metric_samples WHERE ${where} ORDER BY observed_at, seq`, params);
  return { ...moments, values: summarize(values.rows.map((row) => row.value), true).values ?? [] };
}
