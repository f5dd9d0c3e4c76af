import { Router } from 'express';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { getPlanVersion } from '../db/plans';
import type { Principal } from '../db/tokens';
import { abortSignal, approveStageUpdate, pauseSignal, recordOverrideUpdate, resolveStageUpdate, resumeSignal, signPrerequisiteUpdate } from '../workflows/messages';
import type { Actor, RolloutState } from '../workflows/rollout-types';
import { ADMIN_TOKEN_ROLE, AUTHORIZATION_REFUSALS, holdsRole, ROLLOUT_OPERATOR_ROLE } from '../workflows/sign-off';
import { forbidden, principalOf } from './auth';
import type { RolloutRow } from '../db/rollouts';
import { conflict, notFound, parseBody } from './problem';
import { IdempotencyKey, OperatorActionRequest, OverrideBody, PrerequisiteSignOffBody, ResolutionBody, StageDecisionRequest } from './request-schemas';
import { auditDenied, currentStatus, requireRollout, rethrowAsProblem } from './rollout-lookup';

const actorOf = (principal: Principal): Actor => ({ name: principal.name, kind: principal.kind, roles: principal.roles });

/**
 * rolloutActionsRouter serves the human actions on a rollout: stage sign-off, manual overrides,
 * pause, resume and abort. Sign-off authority is decided by the workflow's update validator
 * (workflows/sign-off.ts), so the caller gets the real answer; refusals that mean "not you"
 * become 403 and are written to the audit trail.
 */
export function rolloutActionsRouter({ pool, temporal }: { pool: Pool; temporal: Client }): Router {
  const router = Router();

  /**
   * runUpdate executes a stage update on the rollout's workflow, or on the child workflow of
   * one site of a forEach stage when a site is named; authorization refusals are audited and
   * answered 403.
   */
  const runUpdate = async <T>(
    req: Parameters<typeof requireRollout>[1] & { params: { stageId?: string } },
    action: string,
    execute: (workflowId: string, updateId: string | undefined) => Promise<T>,
    site?: string,
  ): Promise<T> => {
    const row = await requireRollout(pool, req);
    const principal = principalOf(req);
    const key = req.header('idempotency-key');
    // Temporal deduplicates updates by id: a retry with the same key returns the first answer.
    const updateId = key === undefined ? undefined : `${principal.name}:${parseBody(IdempotencyKey, key)}`;
    const workflowId = site === undefined ? row.workflowId : await siteWorkflow(row, req.params.stageId!, site);
    try {
      return await execute(workflowId, updateId);
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type && AUTHORIZATION_REFUSALS.has(cause.type)) {
        await auditDenied(pool, row, req, principal, { action, reason: cause.message, ...(req.params.stageId ? { stageId: req.params.stageId } : {}) });
        throw forbidden(cause.message, { reason: cause.type });
      }
      return rethrowAsProblem(row.rolloutId)(error);
    }
  };

  /** siteWorkflow finds the child workflow running one site of a forEach stage, or answers 404/409. */
  const siteWorkflow = async (row: RolloutRow, stageId: string, site: string): Promise<string> => {
    const stage = (await currentStatus(temporal, row)).status.stages.find((candidate) => candidate.id === stageId);
    if (!stage) throw notFound(`rollout ${row.rolloutId} has no stage ${stageId}`);
    const entry = stage.sites?.find((candidate) => candidate.site === site);
    if (!entry) throw notFound(`stage ${stageId} has no site ${site}${stage.sites ? `; its sites are ${stage.sites.map((s) => s.site).join(', ')}` : ' (it does not run per site)'}`);
    if (!entry.workflowId) throw conflict(`site ${site} of stage ${stageId} has not started yet (it is ${entry.state}, in wave ${entry.wave})`, { state: entry.state });
    return entry.workflowId;
  };

  router.post('/:id/stages/:stageId/approvals', async (req, res) => {
    const { site, ...body } = parseBody(StageDecisionRequest, req.body);
    const stage = await runUpdate(
      req,
      'stage.sign-off',
      (workflowId, updateId) =>
        temporal.workflow.getHandle(workflowId).executeUpdate(approveStageUpdate, {
          args: [{ stageId: req.params.stageId, ...body, actor: actorOf(principalOf(req)), requestId: req.requestId }],
          ...(updateId ? { updateId } : {}),
        }),
      site,
    );
    res.json({ rolloutId: req.params.id, ...(site ? { site } : {}), stage });
  });

  router.post('/:id/stages/:stageId/overrides', async (req, res) => {
    const { site, ...body } = parseBody(OverrideBody, req.body);
    const stage = await runUpdate(
      req,
      'stage.override',
      (workflowId, updateId) =>
        temporal.workflow.getHandle(workflowId).executeUpdate(recordOverrideUpdate, {
          args: [{ stageId: req.params.stageId, ...body, actor: actorOf(principalOf(req)), requestId: req.requestId }],
          ...(updateId ? { updateId } : {}),
        }),
      site,
    );
    res.status(201).json({ rolloutId: req.params.id, ...(site ? { site } : {}), stage });
  });

  router.post('/:id/stages/:stageId/resolution', async (req, res) => {
    const { site, ...body } = parseBody(ResolutionBody, req.body);
    const stage = await runUpdate(
      req,
      'stage.resolution',
      (workflowId, updateId) =>
        temporal.workflow.getHandle(workflowId).executeUpdate(resolveStageUpdate, {
          args: [{ stageId: req.params.stageId, ...body, actor: actorOf(principalOf(req)), requestId: req.requestId }],
          ...(updateId ? { updateId } : {}),
        }),
      site,
    );
    res.json({ rolloutId: req.params.id, ...(site ? { site } : {}), stage });
  });

  router.post('/:id/prerequisites/:prerequisiteId/sign-offs', async (req, res) => {
    const body = parseBody(PrerequisiteSignOffBody, req.body);
    const prerequisite = await runUpdate(req, 'prerequisite.sign-off', (workflowId, updateId) =>
      temporal.workflow.getHandle(workflowId).executeUpdate(signPrerequisiteUpdate, {
        args: [{ prerequisiteId: req.params.prerequisiteId, ...body, actor: actorOf(principalOf(req)), requestId: req.requestId }],
        ...(updateId ? { updateId } : {}),
      }),
    );
    res.json({ rolloutId: req.params.id, prerequisite });
  });

  // Pause, resume and abort are signals; the checks first give callers a clear 403 or 409
  // instead of a silently ignored request.
  const operatorAction = (name: 'pause' | 'resume' | 'abort', signal: typeof pauseSignal, appliesTo: RolloutState[]) =>
    router.post(`/:id/${name}`, async (req, res) => {
      const row = await requireRollout(pool, req);
      const action = parseBody(OperatorActionRequest, req.body);
      const principal = principalOf(req);
      const plan = (await getPlanVersion(pool, row.plan, row.version))!.plan;
      if (!principal.roles.includes(ADMIN_TOKEN_ROLE) && !holdsRole(plan.roles, actorOf(principal), ROLLOUT_OPERATOR_ROLE)) {
        const reason = `${principal.name} does not hold ${ROLLOUT_OPERATOR_ROLE} for this plan, which may ${name} rollouts`;
        await auditDenied(pool, row, req, principal, { action: `rollout.${name}`, reason });
        throw forbidden(reason, { reason: 'NotAuthorized' });
      }
      const { state, stages } = (await currentStatus(temporal, row)).status;
      // Resume also ends an escalation hold of one site of a per-site stage.
      const siteHeld = name === 'resume' && stages.some((stage) => stage.sites?.some((site) => site.heldReason !== undefined));
      if (!appliesTo.includes(state) && !siteHeld) {
        throw conflict(`rollout ${row.rolloutId} is ${state}; ${name} applies to a ${appliesTo.join(' or ')} rollout`, { state });
      }
      await temporal.workflow
        .getHandle(row.workflowId)
        .signal(signal, { by: principal.name, requestId: req.requestId, ...(action.reason ? { reason: action.reason } : {}) })
        .catch(rethrowAsProblem(row.rolloutId));
      res.status(202).json({ rolloutId: row.rolloutId, requested: name });
    });
  operatorAction('pause', pauseSignal, ['running']);
  operatorAction('resume', resumeSignal, ['paused', 'held']);
  operatorAction('abort', abortSignal, ['running', 'paused', 'held']);

  return router;
}
