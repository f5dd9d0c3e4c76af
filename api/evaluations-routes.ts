import { Router } from 'express';
import type { Pool } from 'pg';
import { latestEvaluations } from '../db/evaluations';
import { withPulledEvidence } from '../db/pulled-evidence';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 *   GET  /v1/rollouts/:id/evaluations                each stage's latest stored evaluation
 *
 * Evaluations are written by the rollout workflow's evaluation activity (activities/evaluation.ts);
 * this route only reads them, with the provider answers each pulled metric's verdict rested on.
 */
export function evaluationsRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());

  router.get('/:id/evaluations', async (req, res) => {
    const row = await requireRollout(pool, req);
    const evaluations = await Promise.all((await latestEvaluations(pool, row.rolloutId)).map((evaluation) => withPulledEvidence(pool, evaluation)));
    res.json({ rolloutId: row.rolloutId, evaluations });
  });

  return router;
}
