import { Router } from 'express';
import type { Pool } from 'pg';
import { latestEvaluations } from '../db/evidence';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 *   GET  /v1/rollouts/:id/evaluations                each stage's latest stored evaluation
 *
 * Evaluations are written by the rollout workflow's evaluation activity (activities/evaluation.ts);
 * this route only reads them.
 */
export function evaluationsRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());

  router.get('/:id/evaluations', async (req, res) => {
    const row = await requireRollout(pool, req);
    res.json({ rolloutId: row.rolloutId, evaluations: await latestEvaluations(pool, row.rolloutId) });
  });

  return router;
}
