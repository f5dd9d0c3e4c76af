import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { closestMatch } from '../definitions/suggest';
import { getRecommendation, insertFeedback, insertOutcome, insertRecommendation } from '../db/recommendations';
import type { RolloutRow } from '../db/rollouts';
import { principalOf } from './auth';
import { EvidenceId, FeedbackBody, OutcomeBody, RecommendationBody } from './evidence-schemas';
import { EVIDENCE_BODY_LIMIT, invalidEvidence, planOf, reporter, sameInstant, sameScope } from './evidence-reports';
import { jsonBody } from './json-body';
import { conflict, notFound, parseBody } from './problem';
import { tellEvidenceArrived } from './evidence-signal';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 * The model's recommendations, their outcomes and operators' feedback, from which the derived
 * metrics (precision, recall, …; db/derived-metrics.ts) are computed:
 *
 *   POST /v1/rollouts/:id/recommendations                     report a recommendation
 *   POST /v1/rollouts/:id/recommendations/:recId/outcome      whether what it predicted occurred
 *   POST /v1/rollouts/:id/recommendations/:recId/feedback     an operator's verdict on it
 *
 * Each is stored once by its id: the same report again is answered 200, a different one 409.
 * A new one is signalled to the rollout (evidence-signal.ts), so its running stages are evaluated soon.
 */
export function recommendationsRouter({ pool, temporal }: { pool: Pool; temporal: Client }): Router {
  const router = guardPathParameters(Router());
  const json = jsonBody(EVIDENCE_BODY_LIMIT);

  router.post('/:id/recommendations', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const body = parseBody(RecommendationBody, req.body);
    const plan = await planOf(pool, row);
    if (body.stageId !== undefined && !plan.stages.some((stage) => stage.id === body.stageId)) {
      const near = closestMatch(body.stageId, plan.stages.map((stage) => stage.id));
      invalidEvidence('The recommendation names a stage the plan does not have.', [
        { path: 'stageId', message: `unknown stage "${body.stageId}"${near ? ` (did you mean "${near}"?)` : ''}` },
      ]);
    }
    const issuedAt = body.issuedAt ?? new Date().toISOString();
    if (body.issuedAt === undefined && Date.parse(body.dueBy) <= Date.parse(issuedAt)) {
      invalidEvidence('The recommendation is already due.', [{ path: 'dueBy', message: 'must be later than issuedAt (now, as issuedAt was not given)' }]);
    }
    const { created, recommendation } = await insertRecommendation(pool, row.rolloutId, { ...body, issuedAt }, reporter(req));
    if (!created) {
      const same =
        recommendation.action === body.action &&
        recommendation.stageId === (body.stageId ?? null) &&
        sameInstant(recommendation.dueBy, body.dueBy) &&
        recommendation.confidence === (body.confidence ?? null) &&
        sameScope(recommendation.scope, body.scope) &&
        (body.issuedAt === undefined || sameInstant(recommendation.issuedAt, body.issuedAt));
      if (!same) throw conflict(`recommendation ${body.recommendationId} already exists with different content`, { recommendation });
    }
    if (created) tellEvidenceArrived(temporal, row);
    res.status(created ? 201 : 200).json({ rolloutId: row.rolloutId, created, recommendation });
  });

  router.post('/:id/recommendations/:recId/outcome', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const recommendationId = await requireRecommendation(pool, row, req.params.recId);
    const body = parseBody(OutcomeBody, req.body);
    const { created, outcome } = await insertOutcome(pool, row.rolloutId, recommendationId, body, reporter(req));
    if (!created && !(outcome.occurred === body.occurred && sameInstant(outcome.observedAt, body.observedAt) && outcome.detail === (body.detail ?? null))) {
      throw conflict(`recommendation ${recommendationId} already has a different outcome`, { outcome });
    }
    if (created) tellEvidenceArrived(temporal, row);
    res.status(created ? 201 : 200).json({ rolloutId: row.rolloutId, created, outcome });
  });

  router.post('/:id/recommendations/:recId/feedback', json, async (req, res) => {
    const row = await requireRollout(pool, req);
    const recommendationId = await requireRecommendation(pool, row, req.params.recId);
    const body = parseBody(FeedbackBody, req.body);
    const feedback = { ...body, by: body.by ?? principalOf(req).name, at: body.at ?? new Date().toISOString() };
    const result = await insertFeedback(pool, row.rolloutId, recommendationId, feedback, reporter(req));
    if (result.created) tellEvidenceArrived(temporal, row);
    res.status(result.created ? 201 : 200).json({ rolloutId: row.rolloutId, ...result });
  });

  return router;
}

/** requireRecommendation is the id of the rollout's recommendation recId, or answers 404. */
async function requireRecommendation(pool: Pool, row: RolloutRow, recId: string): Promise<string> {
  const id = EvidenceId.safeParse(recId);
  if (!id.success || !(await getRecommendation(pool, row.rolloutId, id.data))) {
    throw notFound(`rollout ${row.rolloutId} has no recommendation ${recId}`);
  }
  return id.data;
}
