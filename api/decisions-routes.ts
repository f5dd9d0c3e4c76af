import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { z } from 'zod';
import { parseDuration } from '../definitions/duration';
import type { Plan, Stage } from '../definitions/schema';
import { recordAuditEvent } from '../db/audit';
import {
  calibrationSamples,
  currentThreshold,
  decideProposal,
  DecisionEvent,
  decisionMetrics,
  decisionAuditEvent,
  decisionPath,
  getDecision,
  getDecisionAnswer,
  getProposal,
  insertProposal,
  listDecisions,
  listProposals,
  loadRolloutContext,
  pendingWithoutTimer,
  recordOutcome,
  resolveDecision,
  type DecisionAnswer,
  type DecisionRow,
  type DecisionWithOutcome,
  type OutcomeRow,
  type ProposalRow,
  type RolloutContext,
  type SafeDefault,
} from '../db/decisions';
import { DecisionWriter } from '../db/decision-writer';
import { calibrateThreshold } from '../policy/calibration';
import { decisionResolvedSignal, decisionWorkflowId } from '../workflows/decision-messages';
import type { deferredDecisionWorkflow } from '../workflows/decision-workflow';
import { holdsRole } from '../policy/sign-off';
import { actorOf, forbidden, principalOf } from './auth';
import { jsonBody } from './json-body';
import { decisionsSubmitted } from './metrics';
import { planDefinition, remember } from './plan-cache';
import {
  CalibrationRequest,
  canonicalJson,
  DecisionListQuery,
  DecisionMetricsQuery,
  DecisionRequest,
  decisionDigest,
  OutcomeRequest,
  ProposalDecisionRequest,
  ResolutionRequest,
} from './decision-schemas';
import { conflict, notFound, parseBody, Problem, ProblemType } from './problem';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';
import { errorFields, log } from '../telemetry/logger';

/**
 * Decisions deferred to humans, their outcomes, and threshold calibration.
 *
 *   POST /v1/rollouts/:id/decisions                  submit a decision: auto, deferred or shadow
 *   GET  /v1/decisions?state=&role=&rolloutId=       decisions, e.g. the pending tasks of a role
 *   GET  /v1/decisions/:decisionId                   one decision and, once settled, its effect
 *   POST /v1/decisions/:decisionId/resolution        accept, modify or reject a deferred decision
 *   POST /v1/decisions/:decisionId/outcome           whether the decision turned out right
 *   POST /v1/rollouts/:id/stages/:stageId/calibrations                        propose a threshold
 *   GET  /v1/rollouts/:id/stages/:stageId/calibrations[/:proposalId]
 *   POST /v1/rollouts/:id/stages/:stageId/calibrations/:proposalId/approvals  approve or reject it
 *   GET  /v1/rollouts/:id/stages/:stageId/decision-metrics?from=&to=          the stage's decision metrics
 *
 * Mounted on /v1 ahead of the other routers, so the hot path is matched first; bodies are
 * parsed per route. The submit path never calls Temporal for automatic and shadow decisions,
 * and it stores the decision in one statement shared with the decisions submitted alongside
 * it (db/decision-writer.ts, group commit), answering once that statement has committed. A
 * rollout's plan version never changes, so its plan is cached for good; its active stages are
 * cached too, and the insert itself checks that they are still current, so the cache needs no
 * expiry.
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
 *    A resolution after decideBy is refused (409): only the timer settles a moot decision.
 *  - decisions are accepted while a stage is under way, whether the rollout runs, is paused or
 *    held; an ended rollout, or one whose stages have not started, has none (409).
 *
 * Authority: any authenticated principal may submit decisions and outcomes (services do), read
 * decisions and ask for a calibration; only holders of the deferTo role (policy/sign-off.ts
 * holdsRole) resolve a deferred decision, and only holders of a stage approval role approve a
 * calibration. Refusals are 403 and audited.
 */

/** Largest decision request body: the recommendation is a payload, not a document. */
const JSON_BODY_LIMIT = '256kb';
/** How long the API waits for Temporal to start a decision's timer before answering anyway. */
const TIMER_START_TIMEOUT_MS = 2_000;
/** How many times a decision is retried when the rollout's active stages change under it. */
const MAX_SUBMIT_ATTEMPTS = 3;
/** Bound of the in-memory cache of rollouts; the oldest entry goes first. */
const MAX_CACHED_ROLLOUTS = 10_000;

export interface DecisionsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

interface DecisionContext extends RolloutContext {
  rolloutId: string;
  plan: Plan;
}

/** ContextCache holds each rollout's last seen active stages, with its plan (api/plan-cache.ts). */
class ContextCache {
  private readonly rollouts = new Map<string, DecisionContext>();

  constructor(private readonly pool: Pool) {}

  async rollout(rolloutId: string, fresh: boolean): Promise<DecisionContext | undefined> {
    const cached = fresh ? undefined : this.rollouts.get(rolloutId);
    if (cached) return cached;
    const loaded = await loadRolloutContext(this.pool, rolloutId);
    const plan = loaded && (await planDefinition(this.pool, loaded.planName, loaded.planVersion));
    if (!loaded || !plan) {
      this.rollouts.delete(rolloutId);
      return undefined;
    }
    const context = { ...loaded, rolloutId, plan };
    remember(this.rollouts, rolloutId, context, MAX_CACHED_ROLLOUTS);
    return context;
  }
}

/** decidingStage picks the stage a decision belongs to (see the rules above), or says why none does. */
function decidingStage(context: DecisionContext, requested: string | undefined): Stage | Problem {
  const active = context.plan.stages.filter((stage) => context.activeStages.includes(stage.id));
  if (requested !== undefined) {
    if (!context.plan.stages.some((stage) => stage.id === requested)) return invalid('stageId', `the plan has no stage ${requested}`);
    const stage = active.find((candidate) => candidate.id === requested);
    if (stage) return stage;
    return conflict(`stage ${requested} is not accepting decisions: it is not under way`, { reason: 'StageNotActive', activeStages: context.activeStages });
  }
  if (active.length === 0) {
    return conflict(`no stage is accepting decisions: rollout ${context.rolloutId} has no stage under way`, {
      reason: 'NoActiveStage',
      activeStages: [],
    });
  }
  const candidates = active.some((stage) => stage.deferral) ? active.filter((stage) => stage.deferral) : active;
  return candidates.reduce((latest, stage) => ((context.startedAt[stage.id] ?? '') >= (context.startedAt[latest.id] ?? '') ? stage : latest));
}

/** deferralTarget is the role a stage's deferred decisions go to. */
const deferralTarget = (stage: Stage): string => stage.deferral?.deferTo ?? stage.overrideAuthority ?? stage.approvals[0]!.role;

/** safeDefaultFor is the stage's safe default, never execute for an irreversible decision. */
function safeDefaultFor(stage: Stage, irreversible: boolean): SafeDefault {
  const planned = stage.deferral?.safeDefault ?? 'hold';
  return irreversible && planned === 'execute' ? 'hold' : planned;
}

const invalid = (path: string, message: string) =>
  new Problem(422, ProblemType.invalidRequest, 'Invalid request body', `${path} ${message}`, [{ path, message }]);

const invalidQuery = (errors: Array<{ path: string; message: string }>) =>
  new Problem(422, ProblemType.invalidRequest, 'Invalid query', 'The query string does not match the expected parameters.', errors);

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw invalidQuery(result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(query)', message: issue.message })));
}

export function decisionsRouter({ pool, temporal, taskQueue }: DecisionsDeps): Router {
  const router = guardPathParameters(Router());
  const json = jsonBody(JSON_BODY_LIMIT);
  const contexts = new ContextCache(pool);
  const writer = new DecisionWriter(pool);

  const startTimer = (decision: TimerInput) => startDecisionTimer(temporal, taskQueue, decision);

  /** needsTimer: a pending decision whose timer has not reported running, or whose deadline passed unsettled. */
  const needsTimer = (row: DecisionRow, now: number) => row.state === 'pending' && (row.timerStartedAt === null || row.decideBy.getTime() <= now);

  const auditDenial = async (row: { rolloutId: string; planName: string; planVersion: number; stageId: string }, req: Request, action: string, reason: string) =>
    recordAuditEvent(pool, {
      eventId: `denied:${row.rolloutId}:${req.requestId}`,
      rolloutId: row.rolloutId,
      planName: row.planName,
      planVersion: row.planVersion,
      stageId: row.stageId,
      type: `${action}.denied`,
      actor: principalOf(req).name,
      reason,
      requestId: req.requestId,
      occurredAt: new Date().toISOString(),
    });

  // ── Submitting a decision (the hot path) ──────────────────────────────────────────────

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
      if (stored.state === 'pending') await startTimer(stored);
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
      return refuse(invalid('decideBy', 'is not in the future: the decision would be moot already'));
    }
    for (let attempt = 1; ; attempt += 1) {
      const fresh = attempt > 1;
      const context = await contexts.rollout(rolloutId, fresh);
      if (!context) throw notFound(`no rollout ${rolloutId}`);
      const stage = decidingStage(context, body.stageId);
      if (stage instanceof Problem) {
        if (!fresh) continue;
        return refuse(stage);
      }
      const deadline = stage.deferral?.decisionDeadline;
      const decideBy = body.decideBy ?? (deadline === undefined ? undefined : new Date(now + parseDuration(deadline)!).toISOString());
      if (decideBy === undefined) {
        if (!fresh) continue;
        return refuse(invalid('decideBy', `is required: stage ${stage.id} sets no deferral.decisionDeadline`));
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

  // ── Reading decisions and human tasks ─────────────────────────────────────────────────

  router.get('/decisions', async (req, res) => {
    const query = parseQuery(DecisionListQuery, req.query);
    const rows = await listDecisions(pool, query);
    const now = Date.now();
    await Promise.all(rows.filter((row) => needsTimer(row, now)).map((row) => startTimer(row)));
    const last = rows[rows.length - 1];
    res.json({ decisions: rows.map(decisionView), next: rows.length === query.limit && last ? last.seq : null });
  });

  router.get('/decisions/:decisionId', async (req, res) => {
    const row = await getDecision(pool, req.params.decisionId);
    if (!row) throw notFound(`no decision ${req.params.decisionId}`);
    if (needsTimer(row, Date.now())) await startTimer(row);
    res.json(decisionView(row));
  });

  // ── Human resolution ──────────────────────────────────────────────────────────────────

  router.post('/decisions/:decisionId/resolution', json, async (req, res) => {
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
      await auditDenial(row, req, 'decision.resolution', reason);
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
      .catch((error: Error) => log().warn({ rolloutId: settled.rolloutId, decisionId: settled.decisionId, ...errorFields(error) }, 'decisions: could not tell the timer of a decision it is resolved'));
    res.json(decisionView({ ...settled, outcome: row.outcome }));
  });

  // ── Outcomes ──────────────────────────────────────────────────────────────────────────

  router.post('/decisions/:decisionId/outcome', json, async (req, res) => {
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

  // ── Calibration ───────────────────────────────────────────────────────────────────────

  const requireStage = (plan: Plan, stageId: string): Stage => {
    const stage = plan.stages.find((candidate) => candidate.id === stageId);
    if (!stage) throw notFound(`the plan has no stage ${stageId}`);
    return stage;
  };

  router.post('/rollouts/:id/stages/:stageId/calibrations', json, async (req, res) => {
    const body = parseBody(CalibrationRequest, req.body);
    const rollout = await requireRollout(pool, req);
    const plan = (await planDefinition(pool, rollout.plan, rollout.version))!;
    const stage = requireStage(plan, req.params.stageId);
    const dataStage = plan.stages.find((candidate) => candidate.id === (body.dataFrom ?? stage.id));
    if (!dataStage) throw invalid('dataFrom', `the plan has no stage ${body.dataFrom}`);
    const source = dataStage.mode === 'pilot' ? 'pilot' : 'production';
    const production = stage.mode === 'supervised' || stage.mode === 'autonomous';
    if (source === 'pilot' && production && !body.allowPilotData) {
      throw conflict(
        `stage ${dataStage.id} is a pilot: its outcomes do not calibrate the ${stage.mode} stage ${stage.id} unless allowPilotData is true`,
        { reason: 'PilotData' },
      );
    }
    const samples = await calibrationSamples(pool, rollout.rolloutId, dataStage.id);
    const calibration = calibrateThreshold(samples, { targetPrecision: body.targetPrecision, minOutcomes: body.minOutcomes });
    if (!calibration.ok) {
      const detail =
        calibration.reason === 'insufficient-outcomes'
          ? `stage ${dataStage.id} has ${calibration.outcomes} decisions with outcomes; calibration needs at least ${calibration.minOutcomes}`
          : `no threshold reaches precision ${body.targetPrecision}: the best is ${calibration.best.precision} at ${calibration.best.threshold}`;
      throw new Problem(422, ProblemType.invalidRequest, 'Cannot calibrate', detail, undefined, {
        reason: calibration.reason === 'insufficient-outcomes' ? 'InsufficientOutcomes' : 'TargetUnreachable',
        outcomes: calibration.outcomes,
      });
    }
    const previous = (await currentThreshold(pool, rollout.rolloutId, stage.id))?.threshold ?? stage.deferral?.confidenceThreshold ?? null;
    const { ok: _ok, threshold, ...evidence } = calibration;
    const proposal = await insertProposal(pool, {
      proposalId: randomUUID(),
      kind: 'confidence-threshold',
      rolloutId: rollout.rolloutId,
      stageId: stage.id,
      planName: rollout.plan,
      planVersion: rollout.version,
      dataStageId: dataStage.id,
      source,
      allowPilotData: body.allowPilotData,
      threshold,
      previousThreshold: previous,
      targetPrecision: body.targetPrecision,
      minOutcomes: body.minOutcomes,
      evidence,
      proposedBy: principalOf(req).name,
    });
    await recordAuditEvent(pool, {
      eventId: `calibration:${proposal.proposalId}:proposed`,
      rolloutId: rollout.rolloutId,
      planName: rollout.plan,
      planVersion: rollout.version,
      stageId: stage.id,
      type: 'calibration.proposed',
      actor: proposal.proposedBy,
      requestId: req.requestId,
      occurredAt: proposal.proposedAt.toISOString(),
      detail: { proposalId: proposal.proposalId, threshold, previousThreshold: previous, source, dataFrom: dataStage.id, targetPrecision: body.targetPrecision, ...evidence },
    });
    res.status(201).location(proposalPath(proposal)).json(proposalView(proposal));
  });

  router.get('/rollouts/:id/stages/:stageId/calibrations', async (req, res) => {
    const rollout = await requireRollout(pool, req);
    res.json({ proposals: (await listProposals(pool, rollout.rolloutId, req.params.stageId)).map(proposalView) });
  });

  const requireProposal = async (req: Request<{ id: string; stageId: string; proposalId: string }>): Promise<ProposalRow> => {
    const proposal = await getProposal(pool, req.params.proposalId);
    if (!proposal || proposal.rolloutId !== req.params.id || proposal.stageId !== req.params.stageId) {
      throw notFound(`no calibration ${req.params.proposalId} for stage ${req.params.stageId} of rollout ${req.params.id}`);
    }
    return proposal;
  };

  router.get('/rollouts/:id/stages/:stageId/calibrations/:proposalId', async (req, res) => {
    res.json(proposalView(await requireProposal(req)));
  });

  // ── Decision metrics ──────────────────────────────────────────────────────────────────

  router.get('/rollouts/:id/stages/:stageId/decision-metrics', async (req, res) => {
    const rollout = await requireRollout(pool, req);
    const stage = requireStage((await planDefinition(pool, rollout.plan, rollout.version))!, req.params.stageId);
    const query = parseQuery(DecisionMetricsQuery, req.query);
    const from = new Date(query.from);
    const to = query.to === undefined ? new Date() : new Date(query.to);
    if (from > to) throw invalidQuery([{ path: 'from', message: 'must not be later than to' }]);
    const metrics = await decisionMetrics(pool, rollout.rolloutId, stage.id, from, to);
    res.json({ rolloutId: rollout.rolloutId, stageId: stage.id, from: from.toISOString(), to: to.toISOString(), metrics });
  });

  /**
   * A calibration takes effect once one holder of a stage approval role approves it: the
   * threshold is a setting of the stage, not a stage sign-off, and one accountable approver is
   * what a plan's own sign-off asks of each role. The approver may not be the person who asked
   * for the calibration (unless the plan allows self-approval), so two people see every change.
   */
  router.post('/rollouts/:id/stages/:stageId/calibrations/:proposalId/approvals', json, async (req, res) => {
    const body = parseBody(ProposalDecisionRequest, req.body);
    const proposal = await requireProposal(req);
    const principal = principalOf(req);
    const plan = (await planDefinition(pool, proposal.planName, proposal.planVersion))!;
    const stage = requireStage(plan, proposal.stageId);
    const roles = [...new Set(stage.approvals.map((approval) => approval.role))];
    const role = roles.find((candidate) => holdsRole(plan.roles, actorOf(principal), candidate));
    const deny = async (reason: string, detail: string) => {
      await auditDenial(proposal, req, 'calibration.approval', detail);
      return forbidden(detail, { reason });
    };
    if (role === undefined) throw await deny('NotAuthorized', `${principal.name} holds none of the roles that sign off stage ${stage.id}: ${roles.join(', ')}`);
    if (principal.name === proposal.proposedBy && !plan.allowSelfApproval) {
      throw await deny('SelfApprovalDenied', `${principal.name} asked for this calibration and may not approve it too`);
    }
    const decided = await decideProposal(pool, { proposalId: proposal.proposalId, decision: body.decision, by: principal.name, role, ...(body.comment ? { comment: body.comment } : {}) });
    const current = decided ?? (await getProposal(pool, proposal.proposalId))!;
    const repeat = !decided && current.decidedBy === principal.name && current.state === (body.decision === 'approve' ? 'approved' : 'rejected');
    if (!decided && !repeat) {
      throw conflict(`calibration ${proposal.proposalId} is already ${current.state}`, { reason: 'ProposalDecided', state: current.state });
    }
    await recordAuditEvent(pool, {
      eventId: `calibration:${current.proposalId}:${current.state}`,
      rolloutId: current.rolloutId,
      planName: current.planName,
      planVersion: current.planVersion,
      stageId: current.stageId,
      type: `calibration.${current.state}`,
      actor: current.decidedBy!,
      role: current.decidedRole!,
      ...(current.decisionComment ? { reason: current.decisionComment } : {}),
      requestId: req.requestId,
      occurredAt: current.decidedAt!.toISOString(),
      detail: {
        proposalId: current.proposalId,
        threshold: current.threshold,
        previousThreshold: current.previousThreshold,
        source: current.source,
        ...(current.effectiveFrom ? { effectiveFrom: current.effectiveFrom.toISOString() } : {}),
      },
    });
    res.json(proposalView(current));
  });

  return router;
}

interface TimerInput {
  rolloutId: string;
  decisionId: string;
  decideBy: Date;
}

/** startDecisionTimer starts (or finds) a deferred decision's workflow; false when Temporal did not take it. */
async function startDecisionTimer(temporal: Client, taskQueue: string, decision: TimerInput): Promise<boolean> {
  try {
    await temporal.connection.withAbortSignal(AbortSignal.timeout(TIMER_START_TIMEOUT_MS), () =>
      temporal.workflow.start<typeof deferredDecisionWorkflow>('deferredDecisionWorkflow', {
        taskQueue,
        workflowId: decisionWorkflowId(decision.rolloutId, decision.decisionId),
        args: [{ rolloutId: decision.rolloutId, decisionId: decision.decisionId, decideBy: decision.decideBy.toISOString() }],
        // A running timer is reused; one that failed or was terminated is started afresh.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    );
    return true;
  } catch (error) {
    // A completed workflow has settled the decision already.
    if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
    log().warn({ rolloutId: decision.rolloutId, decisionId: decision.decisionId, ...errorFields(error) }, 'decisions: the timer of a decision did not start; a later read retries it');
    return false;
  }
}

/**
 * reconcileDecisionTimers starts the timers of pending decisions that never reported one
 * running (their start failed or was lost), oldest first; it returns how many started.
 * Idempotent, for a periodic sweep; reads of a decision and the task list do the same.
 */
export async function reconcileDecisionTimers({ pool, temporal, taskQueue }: DecisionsDeps, limit = 100): Promise<number> {
  const rows = await pendingWithoutTimer(pool, limit);
  const started = await Promise.all(rows.map((row) => startDecisionTimer(temporal, taskQueue, row)));
  return started.filter(Boolean).length;
}

// ── Views ───────────────────────────────────────────────────────────────────────────────

function answerBody(answer: DecisionAnswer) {
  return {
    decisionId: answer.decisionId,
    rolloutId: answer.rolloutId,
    stageId: answer.stageId,
    disposition: answer.disposition,
    threshold: answer.threshold,
    decideBy: answer.decideBy.toISOString(),
    ...(answer.disposition === 'deferred' ? { deferTo: answer.deferTo, taskUrl: decisionPath(answer.decisionId) } : {}),
  };
}

function sameResolution(row: DecisionRow, body: ResolutionRequest, by: string): boolean {
  return (
    row.state === 'resolved' &&
    row.resolvedBy === by &&
    row.resolution === body.resolution &&
    (row.resolutionReason ?? undefined) === (body.reason || undefined) &&
    canonicalJson(row.resolutionPayload ?? null) === canonicalJson(body.payload ?? null)
  );
}

/**
 * effectOf tells the submitting service what to do: execute (the recommendation, or the
 * modified payload) or not. null while a human has yet to decide.
 */
function effectOf(row: DecisionRow): { execute: boolean; payload?: unknown; basis: string } | null {
  switch (row.state) {
    case 'auto':
      return { execute: true, payload: row.recommendation, basis: 'automatic' };
    case 'shadow':
      return { execute: false, basis: 'shadow' };
    case 'pending':
      return null;
    case 'resolved':
      if (row.resolution === 'reject') return { execute: false, basis: 'rejected' };
      if (row.resolution === 'modify') return { execute: true, payload: row.resolutionPayload, basis: 'modified' };
      return { execute: true, payload: row.recommendation, basis: 'accepted' };
    case 'timed-out':
      return row.timeoutAction === 'execute'
        ? { execute: true, payload: row.recommendation, basis: 'timeout:execute' }
        : { execute: false, basis: `timeout:${row.timeoutAction}` };
  }
}

function decisionView(row: DecisionWithOutcome) {
  return {
    decisionId: row.decisionId,
    rolloutId: row.rolloutId,
    stageId: row.stageId,
    stageMode: row.stageMode,
    planVersion: row.planVersion,
    kind: row.kind,
    confidence: row.confidence,
    irreversible: row.irreversible,
    decideBy: row.decideBy.toISOString(),
    recommendation: row.recommendation,
    disposition: row.disposition,
    threshold: row.threshold,
    thresholdSource: row.thresholdProposalId ? { calibration: row.thresholdProposalId } : 'plan',
    state: row.state,
    effect: effectOf(row),
    requestedBy: row.requestedBy,
    createdAt: row.createdAt.toISOString(),
    ...(row.disposition === 'deferred' ? { deferTo: row.deferTo, safeDefault: row.safeDefault, taskUrl: decisionPath(row.decisionId) } : {}),
    ...(row.state === 'resolved'
      ? {
          resolution: {
            resolution: row.resolution,
            ...(row.resolution === 'modify' ? { payload: row.resolutionPayload } : {}),
            ...(row.resolutionReason ? { reason: row.resolutionReason } : {}),
            by: row.resolvedBy,
            role: row.resolvedRole,
            at: row.settledAt!.toISOString(),
          },
        }
      : {}),
    ...(row.state === 'timed-out' ? { timeout: { action: row.timeoutAction, at: row.settledAt!.toISOString() } } : {}),
    outcome: row.outcome ? outcomeView(row.outcome) : null,
  };
}

function outcomeView(outcome: OutcomeRow) {
  return {
    correct: outcome.correct,
    observedAt: outcome.observedAt.toISOString(),
    ...(outcome.detail === null || outcome.detail === undefined ? {} : { detail: outcome.detail }),
    recordedBy: outcome.recordedBy,
    recordedAt: outcome.recordedAt.toISOString(),
  };
}

const proposalPath = (proposal: ProposalRow) =>
  `/v1/rollouts/${encodeURIComponent(proposal.rolloutId)}/stages/${proposal.stageId}/calibrations/${proposal.proposalId}`;

function proposalView(proposal: ProposalRow) {
  return {
    proposalId: proposal.proposalId,
    kind: proposal.kind,
    rolloutId: proposal.rolloutId,
    stageId: proposal.stageId,
    dataFrom: proposal.dataStageId,
    source: proposal.source,
    allowPilotData: proposal.allowPilotData,
    threshold: proposal.threshold,
    previousThreshold: proposal.previousThreshold,
    targetPrecision: proposal.targetPrecision,
    minOutcomes: proposal.minOutcomes,
    ...proposal.evidence,
    state: proposal.state,
    proposedBy: proposal.proposedBy,
    proposedAt: proposal.proposedAt.toISOString(),
    ...(proposal.decidedBy
      ? {
          decidedBy: proposal.decidedBy,
          decidedRole: proposal.decidedRole,
          ...(proposal.decisionComment ? { comment: proposal.decisionComment } : {}),
          decidedAt: proposal.decidedAt!.toISOString(),
        }
      : {}),
    ...(proposal.effectiveFrom ? { effectiveFrom: proposal.effectiveFrom.toISOString() } : {}),
  };
}
