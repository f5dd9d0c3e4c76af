import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { parseDuration } from '../definitions/duration';
import { decisionPath, getDecision, getDecisionAnswer, listDecisions, type DecisionAnswer } from '../db/decisions';
import { DecisionWriter } from '../db/decision-writer';
import { principalOf } from './auth';
import { ContextCache, decidingStage, deferralTarget, safeDefaultFor } from './decision-context';
import { canonicalJson, DecisionListQuery, DecisionRequest, decisionDigest } from './decision-schemas';
import { startDecisionTimer, startMissingTimers } from './decision-timers';
import { registryCaughtUp } from './registry-catch-up';
import { answerBody, decisionView } from './decision-views';
import { jsonBody } from './json-body';
import { decisionsSubmitted } from './metrics';
import { conflict, invalidField, notFound, parseBody, parseQuery, Problem, ProblemType } from './problem';
import { guardPathParameters } from './url-guards';

/**
 * Decisions a model submits, auto, deferred to a human, or shadow:
 *
 *   POST /v1/rollouts/:id/decisions                  submit a decision
 *   GET  /v1/decisions?state=&role=&rolloutId=       decisions, e.g. the pending tasks of a role
 *   GET  /v1/decisions/:decisionId                   one decision and, once settled, its effect
 *
 * Their resolution, outcome, the calibration of thresholds and the decision metrics have
 * routers of their own (decision-resolution-routes.ts, decision-outcome-routes.ts,
 * calibrations-routes.ts, decision-metrics-routes.ts).
 *
 * Mounted on /v1 ahead of the other routers, so the hot path is matched first; bodies are
 * parsed per route. The submit path never calls Temporal for automatic and shadow decisions,
 * and it stores the decision in one statement shared with the decisions submitted alongside
 * it (db/decision-writer.ts, group commit), answering once that statement has committed. Where
 * a decision goes is decided on cached rollout context (api/decision-context.ts).
 *
 * Rules:
 *  - confidence >= threshold is automatic; exactly at the threshold is automatic. A stage
 *    without a threshold decides everything automatically. In a shadow stage every decision is
 *    `shadow`: stored, never executed.
 *  - the deciding stage is the request's stageId when given; else, of the active stages, those
 *    with a deferral policy if any, and of them the latest started (plan order breaks a tie).
 *  - a deferred decision goes to the stage's deferral.deferTo, else its overrideAuthority, else
 *    its first approval role. When nobody decides by decideBy, the safe default applies; an
 *    irreversible decision (by the request or the plan) never executes by default: hold instead.
 *  - decisions are accepted while a stage is under way, whether the rollout runs, is paused or
 *    held; an ended rollout, or one whose stages have not started, has none (409).
 *
 * Authority: any authenticated principal may submit and read decisions (services do).
 * Every answer about a pending decision makes sure its timer runs (api/decision-timers.ts).
 */

/** Largest decision request body: the recommendation is a payload, not a document. */
export const DECISION_BODY_LIMIT = '256kb';
/** How many times a decision is retried when the rollout's active stages change under it. */
const MAX_SUBMIT_ATTEMPTS = 3;

export interface DecisionsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

export function decisionsRouter(deps: DecisionsDeps): Router {
  const { pool, temporal, taskQueue } = deps;
  const router = guardPathParameters(Router());
  const json = jsonBody(DECISION_BODY_LIMIT);
  const contexts = new ContextCache(pool);
  const writer = new DecisionWriter(pool);

  router.post('/rollouts/:id/decisions', json, async (req, res) => {
    const principal = principalOf(req);
    const body = parseBody(DecisionRequest, req.body);
    const rolloutId = req.params.id;
    const recommendation = canonicalJson(body.recommendation);
    const digest = decisionDigest(rolloutId, body, recommendation);
    const now = Date.now();

    const answer = async (stored: DecisionAnswer, inserted: boolean) => {
      if (!inserted && (stored.requestDigest !== digest || stored.rolloutId !== rolloutId)) {
        throw conflict(`decision ${body.decisionId} was submitted before with different content`, { reason: 'DecisionConflict' });
      }
      // Every answer for a pending decision makes sure its timer runs; starting it is idempotent.
      if (stored.state === 'pending') await startDecisionTimer(temporal, taskQueue, stored);
      res
        .status(inserted ? 201 : 200)
        .location(decisionPath(stored.decisionId))
        .json(answerBody(stored));
    };
    /** refuse answers a retry of a stored decision with its answer, and anything else with problem. */
    const refuse = async (problem: Problem) => {
      const stored = await getDecisionAnswer(pool, body.decisionId);
      if (!stored) throw problem;
      await answer(stored, false);
    };

    if (body.decideBy !== undefined && Date.parse(body.decideBy) <= now) {
      return refuse(invalidField('decideBy', 'is not in the future: the decision would be moot already'));
    }
    for (let attempt = 1; ; attempt += 1) {
      const fresh = attempt > 1;
      const context = await contexts.rollout(rolloutId, fresh);
      if (!context) throw notFound(`no rollout ${rolloutId}`);
      const stage = decidingStage(context, body.stageId);
      if (stage instanceof Problem) {
        if (!fresh) continue;
        // A stage that has just started may not be in the registry yet: read it again once its trail is stored.
        if (stage.status === 409 && attempt < MAX_SUBMIT_ATTEMPTS && (await registryCaughtUp(temporal, rolloutId))) continue;
        return refuse(stage);
      }
      const deadline = stage.deferral?.decisionDeadline;
      const decideBy = body.decideBy ?? (deadline === undefined ? undefined : new Date(now + parseDuration(deadline)!).toISOString());
      if (decideBy === undefined) {
        if (!fresh) continue;
        return refuse(invalidField('decideBy', `is required: stage ${stage.id} sets no deferral.decisionDeadline`));
      }
      const irreversible = body.irreversible || (stage.deferral?.irreversible ?? false);
      const result = await writer.insert({
        decisionId: body.decisionId,
        rolloutId,
        expectedActiveStages: context.activeStages,
        planVersion: context.planVersion,
        stageId: stage.id,
        stageMode: stage.mode,
        planThreshold: stage.deferral?.confidenceThreshold,
        kind: body.kind,
        confidence: body.confidence,
        irreversible,
        decideBy,
        recommendation,
        requestDigest: digest,
        deferTo: deferralTarget(stage),
        safeDefault: safeDefaultFor(stage, irreversible),
        requestedBy: principal.name,
        requestId: req.requestId,
      });
      if (!('stale' in result)) {
        if (result.inserted) decisionsSubmitted.inc({ plan: context.plan.name, stage: stage.id, disposition: result.answer.disposition });
        return answer(result.answer, result.inserted);
      }
      if (attempt >= MAX_SUBMIT_ATTEMPTS) {
        throw new Problem(503, ProblemType.unavailable, 'Rollout changing', `the active stages of rollout ${rolloutId} kept changing; try again`);
      }
    }
  });

  router.get('/decisions', async (req, res) => {
    const query = parseQuery(DecisionListQuery, req.query);
    const rows = await listDecisions(pool, query);
    await startMissingTimers(deps, rows);
    const last = rows[rows.length - 1];
    res.json({ decisions: rows.map(decisionView), next: rows.length === query.limit && last ? last.seq : null });
  });

  router.get('/decisions/:decisionId', async (req, res) => {
    const row = await getDecision(pool, req.params.decisionId);
    if (!row) throw notFound(`no decision ${req.params.decisionId}`);
    await startMissingTimers(deps, [row]);
    res.json(decisionView(row));
  });

  return router;
}
