import { Router } from 'express';
import type { Pool } from 'pg';
import { getDecision, recordOutcome } from '../db/decisions';
import { principalOf } from './auth';
import { canonicalJson, OutcomeRequest } from './decision-schemas';
import { DECISION_BODY_LIMIT } from './decisions-routes';
import { outcomeView } from './decision-views';
import { jsonBody } from './json-body';
import { conflict, notFound, parseBody } from './problem';
import { guardPathParameters } from './url-guards';

/**
 *   POST /v1/decisions/:decisionId/outcome           whether the decision turned out right
 *
 * Any authenticated principal may record an outcome (services do), once per decision: the same
 * outcome again is answered 200, a different one 409. A pending decision has none yet (409).
 * Outcomes are what calibrations-routes.ts calibrates thresholds on.
 */
export function decisionOutcomeRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());

  router.post('/decisions/:decisionId/outcome', jsonBody(DECISION_BODY_LIMIT), async (req, res) => {
    const body = parseBody(OutcomeRequest, req.body);
    const row = await getDecision(pool, req.params.decisionId);
    if (!row) throw notFound(`no decision ${req.params.decisionId}`);
    if (row.state === 'pending') {
      throw conflict(`decision ${row.decisionId} is still pending: nothing was done yet whose outcome could be observed`, { reason: 'DecisionPending' });
    }
    const { inserted, outcome } = await recordOutcome(pool, {
      decisionId: row.decisionId,
      correct: body.correct,
      observedAt: body.observedAt,
      ...(body.detail === undefined ? {} : { detail: body.detail }),
      recordedBy: principalOf(req).name,
    });
    const same =
      outcome.correct === body.correct &&
      outcome.observedAt.getTime() === Date.parse(body.observedAt) &&
      canonicalJson(outcome.detail ?? null) === canonicalJson(body.detail ?? null);
    if (!inserted && !same) throw conflict(`decision ${row.decisionId} already has a different outcome`, { reason: 'OutcomeConflict', outcome: outcomeView(outcome) });
    res.status(inserted ? 201 : 200).json({ decisionId: row.decisionId, outcome: outcomeView(outcome) });
  });

  return router;
}
