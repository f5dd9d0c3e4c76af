import { Router, type Request } from 'express';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Plan } from '../definitions/schema';
import type { RolloutRow } from '../db/rollouts';
import type { Principal } from '../db/tokens';
import { abortSignal, approveStageUpdate, pauseSignal, recordOverrideUpdate, resolveStageUpdate, resumeSignal, signPrerequisiteUpdate } from '../workflows/messages';
import type { RolloutState, RolloutStatus } from '../workflows/rollout-types';
import { ADMIN_TOKEN_ROLE, holdsRole, ROLLOUT_OPERATOR_ROLE } from '../workflows/sign-off';
import { actorOf, forbidden, principalOf } from './auth';
import { planDefinition } from './plan-cache';
import { conflict, notFound, parseBody } from './problem';
import { OperatorActionRequest, OverrideBody, PrerequisiteSignOffBody, ResolutionBody, StageDecisionRequest } from './request-schemas';
import { auditDenied, currentStatus, requireRollout, rethrowAsProblem, runAuthorizedUpdate, type UpdateCall } from './rollout-lookup';
import { prerequisiteView, stageView } from './rollout-view';
import { guardPathParameters } from './url-guards';

interface OperatorAction {
  signal: typeof pauseSignal;
  /** states are the rollout states the action is for, as a refusal (409) names them. */
  states: readonly RolloutState[];
  /** applies says whether the action does anything to a rollout with this status. */
  applies: (status: RolloutStatus) => boolean;
}

/** inStates makes an action apply to a rollout in one of states, or to one for which also holds. */
const inStates = (states: readonly RolloutState[], also?: (status: RolloutStatus) => boolean): Pick<OperatorAction, 'states' | 'applies'> => ({
  states,
  applies: (status) => states.includes(status.state) || (also?.(status) ?? false),
});

/** siteHeld: an escalation holds one site of a per-site stage. */
const siteHeld = (status: RolloutStatus) => status.stages.some((stage) => stage.sites?.some((site) => site.heldReason !== undefined));

/** Pause, resume and abort: each is a signal to the rollout's workflow. */
const OPERATOR_ACTIONS: Record<'pause' | 'resume' | 'abort', OperatorAction> = {
  pause: { signal: pauseSignal, ...inStates(['running']) },
  // Resume also ends an escalation hold of one site of a per-site stage.
  resume: { signal: resumeSignal, ...inStates(['paused', 'held'], siteHeld) },
  abort: { signal: abortSignal, ...inStates(['running', 'paused', 'held']) },
};

/**
 * mayOperate: admins, and holders of the plan's operator role, pause, resume and abort rollouts.
 * The workflow applies the same rule to resolutions of held stages (workflows/sign-off.ts
 * checkResolution); signals have no validator, so the API checks it here.
 */
const mayOperate = (plan: Plan, principal: Principal) =>
  principal.roles.includes(ADMIN_TOKEN_ROLE) || holdsRole(plan.roles, actorOf(principal), ROLLOUT_OPERATOR_ROLE);

/**
 * rolloutActionsRouter serves the human actions on a rollout: stage sign-off, manual overrides,
 * pause, resume and abort. Sign-off authority is decided by the workflow's update validator
 * (workflows/sign-off.ts), so the caller gets the real answer; refusals that mean "not you"
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
  ): Promise<T> =>
    runAuthorizedUpdate(pool, req, {
      action,
      target: async (row) => temporal.workflow.getHandle(site === undefined ? row.workflowId : await siteWorkflow(row, req.params.stageId, site)),
      execute,
    });

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
    const stage = await stageUpdate(req, 'stage.sign-off', site, (handle, { actor, options }) =>
      handle.executeUpdate(approveStageUpdate, { args: [{ stageId: req.params.stageId, ...body, actor, requestId: req.requestId }], ...options }),
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

  // Pause, resume and abort are signals; the checks first give callers a clear 403 or 409
  // instead of a silently ignored request.
  for (const [name, { signal, states, applies }] of Object.entries(OPERATOR_ACTIONS)) {
    router.post(`/:id/${name}`, async (req, res) => {
      const row = await requireRollout(pool, req);
      const action = parseBody(OperatorActionRequest, req.body);
      const principal = principalOf(req);
      const plan = (await planDefinition(pool, row.plan, row.version))!;
      if (!mayOperate(plan, principal)) {
        const reason = `${principal.name} does not hold ${ROLLOUT_OPERATOR_ROLE} for this plan, which may ${name} rollouts`;
        await auditDenied(pool, row, req, principal, { action: `rollout.${name}`, reason });
        throw forbidden(reason, { reason: 'NotAuthorized' });
      }
      const status = (await currentStatus(temporal, row)).status;
      if (!applies(status)) {
        throw conflict(`rollout ${row.rolloutId} is ${status.state}; ${name} applies to a ${states.join(' or ')} rollout`, { state: status.state });
      }
      await temporal.workflow
        .getHandle(row.workflowId)
        .signal(signal, { by: principal.name, requestId: req.requestId, ...(action.reason ? { reason: action.reason } : {}) })
        .catch(rethrowAsProblem(row.rolloutId));
      res.status(202).json({ rolloutId: row.rolloutId, requested: name });
    });
  }

  return router;
}
