import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../db/audit';
import { DecisionEvent, decisionAuditEvent, getDecision, resolveDecision, type DecisionRow } from '../db/decisions';
import { decisionResolvedSignal, decisionWorkflowId } from '../workflows/decision-workflow';
import { holdsRole } from '../workflows/sign-off';
import { actorOf, forbidden, principalOf } from './auth';
import { canonicalJson, ResolutionRequest } from './decision-schemas';
import { DECISION_BODY_LIMIT } from './decisions-routes';
import { decisionView } from './decision-views';
import { jsonBody } from './json-body';
import { planDefinition } from './plan-cache';
import { conflict, notFound, parseBody } from './problem';
import { auditDenied } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 *   POST /v1/decisions/:decisionId/resolution        accept, modify or reject a deferred decision
 *
 * Only holders of the role the decision is deferred to (workflows/sign-off.ts holdsRole) resolve
 * it; a refusal is 403 and audited. A resolution after decideBy is refused (409): only the
 * timer settles a moot decision. The same resolution sent again by the same person is answered
 * as the first was.
 */
export function decisionResolutionRouter({ pool, temporal }: { pool: Pool; temporal: Client }): Router {
  const router = guardPathParameters(Router());

  router.post('/decisions/:decisionId/resolution', jsonBody(DECISION_BODY_LIMIT), async (req, res) => {
    const body = parseBody(ResolutionRequest, req.body);
    const principal = principalOf(req);
    const row = await getDecision(pool, req.params.decisionId);
    if (!row) throw notFound(`no decision ${req.params.decisionId}`);
    if (row.deferTo === null) {
      throw conflict(`decision ${row.decisionId} was not deferred (it is ${row.state}); only deferred decisions take a resolution`, { reason: 'NotDeferred' });
    }
    const plan = (await planDefinition(pool, row.planName, row.planVersion))!;
    if (!holdsRole(plan.roles, actorOf(principal), row.deferTo)) {
      const reason = `${principal.name} does not hold ${row.deferTo}, the role decision ${row.decisionId} is deferred to`;
      const rollout = { rolloutId: row.rolloutId, plan: row.planName, version: row.planVersion };
      await auditDenied(pool, rollout, req, principal, { action: 'decision.resolution', reason, stageId: row.stageId });
      throw forbidden(reason, { reason: 'NotAuthorized' });
    }
    const resolved = await resolveDecision(pool, {
      decisionId: row.decisionId,
      resolution: body.resolution,
      payload: body.payload,
      ...(body.reason ? { reason: body.reason } : {}),
      by: principal.name,
      role: row.deferTo,
      requestId: req.requestId,
    });
    const settled = resolved ?? (await getDecision(pool, row.decisionId))!;
    if (!resolved && !sameResolution(settled, body, principal.name)) {
      if (settled.state === 'pending') {
        throw conflict(`decision ${row.decisionId} is moot since ${settled.decideBy.toISOString()}; the safe default ${settled.safeDefault} applies`, {
          reason: 'DecisionMoot',
        });
      }
      throw conflict(`decision ${row.decisionId} is already ${settled.state}`, { reason: 'DecisionSettled', state: settled.state });
    }
    // The workflow records the same event when it settles; whichever write comes first is kept.
    await recordAuditEvent(pool, decisionAuditEvent(settled, DecisionEvent.resolved));
    await temporal.workflow
      .getHandle(decisionWorkflowId(settled.rolloutId, settled.decisionId))
      .signal(decisionResolvedSignal)
      .catch((error: Error) => console.warn(`decisions: could not tell the timer of ${settled.decisionId} it is resolved: ${error.message}`));
    res.json(decisionView({ ...settled, outcome: row.outcome }));
  });

  return router;
}

/** sameResolution: row is already resolved by `by` exactly as body asks, so a retry gets the same answer. */
function sameResolution(row: DecisionRow, body: ResolutionRequest, by: string): boolean {
  return (
    row.state === 'resolved' &&
    row.resolvedBy === by &&
    row.resolution === body.resolution &&
    (row.resolutionReason ?? undefined) === (body.reason || undefined) &&
    canonicalJson(row.resolutionPayload ?? null) === canonicalJson(body.payload ?? null)
  );
}
