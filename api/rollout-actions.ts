import { Router, type Request } from 'express';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import { getRollout, type RolloutRow } from '../db/rollouts';
import { checkOperatorAction, OperatorRejection, type OperatorActionName } from '../policy/operator-actions';
import {
  abortUpdate,
  approveStageUpdate,
  pauseUpdate,
  recordOverrideUpdate,
  resolveStageUpdate,
  resumeUpdate,
  signPrerequisiteUpdate,
} from '../workflows/rollout/messages';
import type { RolloutStatus } from '../policy/rollout-types';
import { AUTHORIZATION_REFUSALS } from '../policy/sign-off';
import { actorOf, forbidden, principalOf } from './auth';
import { planDefinition } from './plan-cache';
import { conflict, notFound, parseBody, type Problem } from './problem';
import { OperatorActionRequest, OverrideBody, PrerequisiteSignOffBody, ResolutionBody, StageDecisionRequest } from './request-schemas';
import { auditDenied, currentStatus, runAuthorizedUpdate, type UpdateCall } from './rollout-lookup';
import { prerequisiteView, stageView } from './rollout-view';
import { temporalProblem } from './temporal-errors';
import { unknownStage, withSuggestion } from './unknown-names';
import { guardPathParameters } from './url-guards';

/** workflowGone: the update found no running workflow (not found, or ended), which Temporal's mapping answers 409. */
const workflowGone = (error: unknown, rolloutId: string): boolean => !(error instanceof WorkflowUpdateFailedError) && temporalProblem(error, rolloutId)?.status === 409;

/** Pause, resume and abort: each is an update of the rollout's workflow, whose validator decides who may and when (workflows/operator-actions.ts). */
const OPERATOR_UPDATES: Record<OperatorActionName, typeof pauseUpdate> = { pause: pauseUpdate, resume: resumeUpdate, abort: abortUpdate };

/**
 * rolloutActionsRouter serves the human actions on a rollout: stage sign-off, manual overrides,
 * pause, resume and abort. Sign-off authority is decided by the workflow's update validator
 * (policy/sign-off.ts), so the caller gets the real answer; refusals that mean "not you"
 * become 403 and are written to the audit trail.
 */
export function rolloutActionsRouter({ pool, temporal }: { pool: Pool; temporal: Client }): Router {
  const router = guardPathParameters(Router());

  /**
   * stageUpdate executes an update of one stage on the rollout's workflow, or on the child
   * workflow of one site of a forEach stage when a site is named (api/rollout-lookup.ts
   * runAuthorizedUpdate answers refusals).
   */
  const stageUpdate = <T>(
    req: Request<{ id: string; stageId: string }>,
    action: string,
    site: string | undefined,
    execute: (handle: WorkflowHandle, call: UpdateCall) => Promise<T>,
    role?: string,
  ): Promise<T> =>
    runAuthorizedUpdate(pool, req, {
      action,
      ...(role !== undefined ? { role } : {}),
      target: async (row) => temporal.workflow.getHandle(site === undefined ? row.workflowId : await siteWorkflow(row, req.params.stageId, site)),
      execute,
    });

  /** siteWorkflow finds the child workflow running one site of a forEach stage, or answers 404/409. */
  const siteWorkflow = async (row: RolloutRow, stageId: string, site: string): Promise<string> => {
    const { status } = await currentStatus(temporal, row);
    const stage = status.stages.find((candidate) => candidate.id === stageId);
    if (!stage) throw unknownStage(status, stageId, `rollout ${row.rolloutId} has no stage ${stageId}`);
    const entry = stage.sites?.find((candidate) => candidate.site === site);
    if (!entry) {
      throw notFound(stage.sites ? withSuggestion(`stage ${stageId} has no site ${site}`, site, stage.sites.map((s) => s.site), 'sites') : `stage ${stageId} has no site ${site} (it does not run per site)`);
    }
    if (!entry.workflowId) throw conflict(`site ${site} of stage ${stageId} has not started yet (it is ${entry.state}, in wave ${entry.wave})`, { state: entry.state });
    return entry.workflowId;
  };

  router.post('/:id/stages/:stageId/approvals', async (req, res) => {
    const { site, ...body } = parseBody(StageDecisionRequest, req.body);
    const stage = await stageUpdate(
      req,
      'stage.sign-off',
      site,
      (handle, { actor, options }) => handle.executeUpdate(approveStageUpdate, { args: [{ stageId: req.params.stageId, ...body, actor, requestId: req.requestId }], ...options }),
      body.role,
    );
    res.json({ rolloutId: req.params.id, ...(site ? { site } : {}), stage: stageView(stage) });
  });

  router.post('/:id/stages/:stageId/overrides', async (req, res) => {
    const { site, ...body } = parseBody(OverrideBody, req.body);
    const stage = await stageUpdate(req, 'stage.override', site, (handle, { actor, options }) =>
      handle.executeUpdate(recordOverrideUpdate, { args: [{ stageId: req.params.stageId, ...body, actor, requestId: req.requestId }], ...options }),
    );
    res.status(201).json({ rolloutId: req.params.id, ...(site ? { site } : {}), stage: stageView(stage) });
  });

  router.post('/:id/stages/:stageId/resolution', async (req, res) => {
    const { site, ...body } = parseBody(ResolutionBody, req.body);
    const stage = await stageUpdate(req, 'stage.resolution', site, (handle, { actor, options }) =>
      handle.executeUpdate(resolveStageUpdate, { args: [{ stageId: req.params.stageId, ...body, actor, requestId: req.requestId }], ...options }),
    );
    res.json({ rolloutId: req.params.id, ...(site ? { site } : {}), stage: stageView(stage) });
  });

  router.post('/:id/prerequisites/:prerequisiteId/sign-offs', async (req, res) => {
    const body = parseBody(PrerequisiteSignOffBody, req.body);
    const prerequisite = await runAuthorizedUpdate(pool, req, {
      action: 'prerequisite.sign-off',
      target: (row) => temporal.workflow.getHandle(row.workflowId),
      execute: (handle, { actor, options }) =>
        handle.executeUpdate(signPrerequisiteUpdate, {
          args: [{ prerequisiteId: req.params.prerequisiteId, ...body, actor, requestId: req.requestId }],
          ...options,
        }),
    });
    res.json({ rolloutId: req.params.id, prerequisite: prerequisiteView(prerequisite) });
  });

  // Pause, resume and abort answer with the rollout's state once the workflow applied them. A
  // refusal is the workflow's: 403 (audited) without the operator role, 409 when the action does
  // not apply to the rollout's state. A rollout whose workflow has ended is answered from the
  // registry, with the same words.
  for (const [name, update] of Object.entries(OPERATOR_UPDATES) as [OperatorActionName, typeof pauseUpdate][]) {
    router.post(`/:id/${name}`, async (req, res) => {
      const { reason } = parseBody(OperatorActionRequest, req.body);
      const outcome = await runAuthorizedUpdate(pool, req, {
        action: `rollout.${name}`,
        target: (row) => temporal.workflow.getHandle(row.workflowId),
        execute: (handle, { actor, options }) => handle.executeUpdate(update, { args: [{ actor, requestId: req.requestId, ...(reason ? { reason } : {}) }], ...options }),
        problemOf: (error, _handle, row) => (workflowGone(error, row.rolloutId) ? endedAnswer(req, row, name) : undefined),
      });
      res.json({ rolloutId: req.params.id, ...outcome });
    });
  }

  /**
   * endedAnswer answers a pause, resume or abort of a rollout whose workflow has ended, which
   * can take no update: by the workflow's own rule, applied to the registry's last state.
   */
  const endedAnswer = async (req: Request<{ id: string }>, row: RolloutRow, name: OperatorActionName): Promise<Problem> => {
    const current = (await getRollout(pool, row.rolloutId)) ?? row;
    const snapshot = (current.status as RolloutStatus | null) ?? { rolloutId: row.rolloutId, stages: [] };
    const status = { ...snapshot, state: current.state } as RolloutStatus;
    const plan = (await planDefinition(pool, row.plan, row.version))!;
    const principal = principalOf(req);
    const refusal = checkOperatorAction(name, plan.roles, status, actorOf(principal));
    if (refusal && AUTHORIZATION_REFUSALS.has(refusal.type)) {
      await auditDenied(pool, row, req, principal, { action: `rollout.${name}`, reason: refusal.message });
      return forbidden(refusal.message, { reason: refusal.type });
    }
    return conflict(refusal?.message ?? `rollout ${row.rolloutId} has ended`, { reason: OperatorRejection.notApplicable, state: status.state });
  };

  return router;
}
