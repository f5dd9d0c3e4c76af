import { Router, type Request } from 'express';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { RolloutRow } from '../db/rollouts';
import { recordModelVersionUpdate, signReviewUpdate, steadyStateStatusQuery } from '../workflows/steady-state-messages';
import { steadyStateWorkflowId } from '../policy/steady-state-types';
import { Name, OptionalText, Text } from './limits';
import { conflict, notFound, parseBody, Problem, ProblemType } from './problem';
import { currentStatus, requireRollout, runAuthorizedUpdate, type UpdateCall } from './rollout-lookup';
import { temporalProblem } from './temporal-errors';
import { guardPathParameters } from './url-guards';

/** How long a status read waits for the steady-state workflow to answer. */
const QUERY_TIMEOUT_MS = 5_000;

/** ReviewSignBody is the body of POST …/reviews/:number/sign; role picks the requirement when the signer holds several. */
export const ReviewSignBody = z.strictObject({
  comment: OptionalText(4000).optional(),
  role: Name.optional(),
});

/** ModelVersionBody is the body of POST …/model-versions. */
export const ModelVersionBody = z.strictObject({
  version: Text(200, 'a model version is needed'),
  reason: Text(4000, 'a model-version change needs a reason'),
});

type StageRequest = Request<{ id: string; stageId: string }>;

/**
 * steadyStateRouter serves a steady-state stage (workflows/steady-state-workflow.ts): its status,
 * review sign-off and model-version changes. Authority is decided by the workflow's update
 * validators; refusals that mean "not you" become 403 and are written to the audit trail,
 * an unknown review 404, anything else 409.
 */
export function steadyStateRouter({ pool, temporal }: { pool: Pool; temporal: Client }): Router {
  const router = guardPathParameters(Router());

  /** childOf is the stage's current steady-state run, as the rollout's status names it (a stage entered again has a new one). */
  const childOf = async (row: RolloutRow, stageId: string) => {
    const stage = (await currentStatus(temporal, row)).status.stages.find((candidate) => candidate.id === stageId);
    return temporal.workflow.getHandle(stage?.steadyState?.workflowId ?? steadyStateWorkflowId(row.rolloutId, stageId));
  };

  /** missingOrEnded tells a stage without a steady-state run (404) from one whose run has ended (409). */
  const missingOrEnded = async (handle: WorkflowHandle, row: RolloutRow, stageId: string): Promise<Problem> => {
    const described = await handle.describe().catch(() => undefined);
    if (!described) return notFound(`rollout ${row.rolloutId} has no steady-state run for stage ${stageId}`);
    return conflict(`the steady-state stage ${stageId} of rollout ${row.rolloutId} has ended (${described.status.name.toLowerCase()})`);
  };

  /** problemOf answers a run that is gone 404 or 409 (missingOrEnded); refusals go through api/temporal-errors.ts (an unknown review is 404). */
  const problemOf = async (error: unknown, handle: WorkflowHandle, row: RolloutRow, stageId: string): Promise<Problem | undefined> =>
    error instanceof WorkflowNotFoundError ? missingOrEnded(handle, row, stageId) : undefined;

  /** runUpdate executes an update on the stage's steady-state run (api/rollout-lookup.ts runAuthorizedUpdate). */
  const runUpdate = <T>(req: StageRequest, action: string, execute: (handle: WorkflowHandle, call: UpdateCall) => Promise<T>, role?: string): Promise<T> =>
    runAuthorizedUpdate(pool, req, {
      action,
      ...(role !== undefined ? { role } : {}),
      target: (row) => childOf(row, req.params.stageId),
      execute,
      problemOf: (error, handle, row) => problemOf(error, handle, row, req.params.stageId),
    });

  router.get('/:id/stages/:stageId/steady-state', async (req, res) => {
    const row = await requireRollout(pool, req);
    const handle = await childOf(row, req.params.stageId);
    const status = await temporal.connection
      .withAbortSignal(AbortSignal.timeout(QUERY_TIMEOUT_MS), () => handle.query(steadyStateStatusQuery))
      .catch(async (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) throw notFound(`rollout ${row.rolloutId} has no steady-state run for stage ${req.params.stageId}`);
        throw temporalProblem(error, row.rolloutId) ?? new Problem(503, ProblemType.unavailable, 'No answer', 'No worker answered the steady-state query; try again shortly.');
      });
    res.json(status);
  });

  router.post('/:id/stages/:stageId/reviews/:number/sign', async (req, res) => {
    const body = parseBody(ReviewSignBody, req.body);
    if (!/^[1-9]\d{0,8}$/.test(req.params.number)) throw notFound(`stage ${req.params.stageId} has no review "${req.params.number}": reviews are numbered 1, 2, …`);
    const review = await runUpdate(req, 'review.sign', (handle, { actor, options }) =>
      handle.executeUpdate(signReviewUpdate, { args: [{ number: Number(req.params.number), actor, requestId: req.requestId, ...body }], ...options }),
      body.role,
    );
    res.json({ rolloutId: req.params.id, stageId: req.params.stageId, review });
  });

  router.post('/:id/stages/:stageId/model-versions', async (req, res) => {
    const body = parseBody(ModelVersionBody, req.body);
    const modelVersion = await runUpdate(req, 'model.version-change', (handle, { actor, options }) =>
      handle.executeUpdate(recordModelVersionUpdate, { args: [{ ...body, actor, requestId: req.requestId }], ...options }),
    );
    res.status(201).json({ rolloutId: req.params.id, stageId: req.params.stageId, modelVersion });
  });

  return router;
}
