import type { Pool } from 'pg';
import type { CriterionEvaluation, StageEvaluation, Verdict } from '../policy/criteria';
import { iso } from './evidence';

/** Stored stage evaluations (table evaluations): every criterion's result, once per evaluation. */

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
    comparison: criterion.comparison ?? null,
    reference_from: criterion.referenceWindow?.from ?? null,
    reference_to: criterion.referenceWindow?.to ?? null,
  }));
  await pool.query(
    `INSERT INTO evaluations (rollout_id, evaluation_id, stage_id, plan_version, stage_verdict, evaluated_at,
                              criterion_index, metric, verdict, reason, value, op, threshold, samples, consecutive_passes,
                              window_from, window_to, baseline_from, baseline_to, baseline_value, baseline_samples,
                              comparison, reference_from, reference_to)
     SELECT $1, $2, $3, $4, $5, $6, e.*
       FROM jsonb_to_recordset($7::jsonb) AS e(criterion_index int, metric text, verdict text, reason text, value float8, op text,
            threshold float8, samples int, consecutive_passes int, window_from timestamptz, window_to timestamptz,
            baseline_from timestamptz, baseline_to timestamptz, baseline_value float8, baseline_samples int,
            comparison jsonb, reference_from timestamptz, reference_to timestamptz)
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
  value, op, threshold, samples, consecutive_passes, window_from, window_to, baseline_from, baseline_to, baseline_value, baseline_samples,
  comparison, reference_from, reference_to`;

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
      ...(row.comparison ? { comparison: row.comparison } : {}),
      ...(row.reference_from ? { referenceWindow: { from: iso(row.reference_from), to: iso(row.reference_to) } } : {}),
    };
    evaluation.criteria.push(criterion);
  }
  return [...byId.values()];
}
