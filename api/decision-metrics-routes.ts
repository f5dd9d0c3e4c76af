import { Router } from 'express';
import type { Pool } from 'pg';
import { decisionMetrics } from '../db/decisions';
import { DecisionMetricsQuery } from './decision-schemas';
import { planDefinition } from './plan-cache';
import { invalidQueryField, parseQuery } from './problem';
import { requireRollout, requireStage } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 *   GET  /v1/rollouts/:id/stages/:stageId/decision-metrics?from=&to=          the stage's decision metrics
 *
 * The decision built-in metrics of a stage (deferral-rate, human-override-rate,
 * auto-decision-accuracy, decision-timeout-count; db/decisions.ts decisionMetrics) over the
 * decisions made in [from, to), to defaulting to now. Any authenticated principal may read them.
 */
export function decisionMetricsRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());

  router.get('/rollouts/:id/stages/:stageId/decision-metrics', async (req, res) => {
    const rollout = await requireRollout(pool, req);
    const stage = requireStage((await planDefinition(pool, rollout.plan, rollout.version))!, req.params.stageId);
    const query = parseQuery(DecisionMetricsQuery, req.query);
    const from = new Date(query.from);
    const to = query.to === undefined ? new Date() : new Date(query.to);
    if (from > to) throw invalidQueryField('from', 'must not be later than to');
    const metrics = await decisionMetrics(pool, rollout.rolloutId, stage.id, from, to);
    res.json({ rolloutId: rollout.rolloutId, stageId: stage.id, from: from.toISOString(), to: to.toISOString(), metrics });
  });

  return router;
}
