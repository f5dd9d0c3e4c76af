import type { Pool } from 'pg';
import type { StageEvaluation } from '../policy/criteria';
import type { ProviderAnswer } from '../policy/pulled-evidence';
import { iso, type EvidenceScope } from './evidence';

/** Evidence pulled from metric providers (table pulled_evidence, migration 016). */

export interface PulledRow extends ProviderAnswer {
  rolloutId: string;
  evaluationId: string;
  stageId: string;
  criterionIndex: number;
  part: 'window' | 'baseline';
  metric: string;
  provider: string;
  kind: string;
  scope: EvidenceScope;
  windowFrom: string;
  windowTo: string;
  attempts: number;
}

/** storePulled records one pulled result; a retried evaluation's row replaces the one it stored before. */
export async function storePulled(pool: Pool, row: PulledRow): Promise<void> {
  await pool.query(
    `INSERT INTO pulled_evidence (rollout_id, evaluation_id, stage_id, criterion_index, part, metric, provider, kind, scope, window_from, window_to,
                                  query, parameters, value, samples, observed_at, answer_sha256, error, attempts, pulled_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
     ON CONFLICT (rollout_id, evaluation_id, criterion_index, part) DO UPDATE SET
       query = EXCLUDED.query, parameters = EXCLUDED.parameters, value = EXCLUDED.value, samples = EXCLUDED.samples,
       observed_at = EXCLUDED.observed_at, answer_sha256 = EXCLUDED.answer_sha256, error = EXCLUDED.error,
       attempts = EXCLUDED.attempts, pulled_at = EXCLUDED.pulled_at`,
    [
      row.rolloutId, row.evaluationId, row.stageId, row.criterionIndex, row.part, row.metric, row.provider, row.kind, JSON.stringify(row.scope),
      row.windowFrom, row.windowTo, row.query, row.parameters === undefined ? null : JSON.stringify(row.parameters), row.value, row.samples,
      row.observedAt, row.answerSha256, row.error, row.attempts, row.pulledAt,
    ],
  );
}

/** newestPulled is when metric last had a value in scope, before `to`: the provider's own time where it gave one, else when it was pulled. */
export async function newestPulled(pool: Pool, rolloutId: string, metric: string, from: Date, to: Date, scope: EvidenceScope): Promise<string | null> {
  const { rows } = await pool.query<{ newest: Date | null }>(
    `SELECT max(coalesce(observed_at, pulled_at)) AS newest FROM pulled_evidence
      WHERE rollout_id = $1 AND metric = $2 AND value IS NOT NULL AND pulled_at >= $3 AND pulled_at < $4 AND scope @> $5::jsonb`,
    [rolloutId, metric, from, to, JSON.stringify(scope)],
  );
  return rows[0]?.newest ? iso(rows[0].newest) : null;
}

/** pulledTimes lists the times metric had a value in scope within [from, to), for completeness. */
export async function pulledTimes(pool: Pool, rolloutId: string, metric: string, from: Date, to: Date, scope: EvidenceScope): Promise<number[]> {
  const { rows } = await pool.query<{ at: Date }>(
    `SELECT coalesce(observed_at, pulled_at) AS at FROM pulled_evidence
      WHERE rollout_id = $1 AND metric = $2 AND value IS NOT NULL AND pulled_at >= $3 AND pulled_at < $4 AND scope @> $5::jsonb AND part = 'window'`,
    [rolloutId, metric, from, to, JSON.stringify(scope)],
  );
  return rows.map((row) => row.at.getTime());
}

/** listPulled gives an evaluation's pulled rows, in criterion order. */
export async function listPulled(pool: Pool, rolloutId: string, evaluationId: string): Promise<PulledRow[]> {
  const { rows } = await pool.query(
    `SELECT * FROM pulled_evidence WHERE rollout_id = $1 AND evaluation_id = $2 ORDER BY criterion_index, part DESC`,
    [rolloutId, evaluationId],
  );
  return rows.map((row) => ({
    rolloutId: row.rollout_id,
    evaluationId: row.evaluation_id,
    stageId: row.stage_id,
    criterionIndex: row.criterion_index,
    part: row.part,
    metric: row.metric,
    provider: row.provider,
    kind: row.kind,
    scope: row.scope,
    windowFrom: iso(row.window_from),
    windowTo: iso(row.window_to),
    query: row.query,
    parameters: row.parameters,
    value: row.value,
    samples: row.samples,
    observedAt: row.observed_at ? iso(row.observed_at) : null,
    answerSha256: row.answer_sha256,
    error: row.error,
    attempts: row.attempts,
    pulledAt: iso(row.pulled_at),
  }));
}

/** withPulledEvidence adds to each criterion of a stored evaluation the provider answers stored under it. */
export async function withPulledEvidence(pool: Pool, evaluation: StageEvaluation): Promise<StageEvaluation> {
  const rows = await listPulled(pool, evaluation.rolloutId, evaluation.evaluationId);
  if (rows.length === 0) return evaluation;
  return {
    ...evaluation,
    criteria: evaluation.criteria.map((criterion) => {
      const mine = rows.filter((row) => row.criterionIndex === criterion.index);
      if (mine.length === 0) return criterion;
      const pulled = mine.map(({ part, provider, query, parameters, value, samples, observedAt, answerSha256, error, pulledAt }) => ({
        part, provider, query, parameters, value, samples, observedAt, answerSha256, error, pulledAt,
      }));
      return { ...criterion, pulled };
    }),
  };
}
