import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { listAuditEvents } from '../db/audit';
import { getPlanVersion } from '../db/plans';
import { getRollout, insertRollout, listRollouts, type RolloutRow } from '../db/rollouts';
import { abortSignal, approveStageUpdate, pauseSignal, resumeSignal, statusQuery } from '../workflows/messages';
import type { RolloutInput, RolloutState, RolloutStatus } from '../workflows/rollout-types';
import type { rolloutWorkflow } from '../workflows/rollout-workflow';
import { RolloutPlanKey, RolloutStateKey } from '../workflows/search-attributes';
import { conflict, notFound, parseBody } from './problem';
import { ListQuery, OperatorActionRequest, StageDecisionRequest, StartRolloutRequest } from './request-schemas';
import { temporalProblem } from './temporal-errors';

/** How long GET /v1/rollouts/:id waits for the live status before answering from the last snapshot. */
const STATUS_QUERY_TIMEOUT_MS = 3_000;

export interface RolloutsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

export const workflowIdFor = (rolloutId: string) => `rollout-${rolloutId}`;

/** rolloutsRouter serves /v1/rollouts: start, list, status, sign-off, pause/resume/abort, audit trail. */
export function rolloutsRouter({ pool, temporal, taskQueue }: RolloutsDeps): Router {
  const router = Router();

  const requireRollout = async (req: Request<{ id: string }>): Promise<RolloutRow> => {
    const row = await getRollout(pool, req.params.id);
    if (!row) throw notFound(`no rollout ${req.params.id}`);
    return row;
  };
  const rethrow = (rolloutId: string) => (error: unknown) => {
    throw temporalProblem(error, rolloutId) ?? error;
  };

  router.post('/', async (req, res) => {
    const body = parseBody(StartRolloutRequest, req.body);
    const planVersion = await getPlanVersion(pool, body.plan, body.version);
    if (!planVersion) throw notFound(body.version ? `plan ${body.plan} has no version ${body.version}` : `no plan named ${body.plan}`);
    const rolloutId = body.rolloutId ?? randomUUID();
    const workflowId = workflowIdFor(rolloutId);
    const input: RolloutInput = {
      rolloutId,
      planName: planVersion.name,
      planVersion: planVersion.version,
      planDigest: planVersion.digest,
      plan: planVersion.plan,
      ...(body.startedBy ? { startedBy: body.startedBy } : {}),
    };
    // The registry row and the workflow start commit together: if Temporal refuses the start,
    // the row is rolled back, and a concurrent start of the same id waits on the row lock.
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const inserted = await insertRollout(db, { rolloutId, workflowId, planName: input.planName, planVersion: input.planVersion, state: 'running' });
      if (!inserted) throw conflict(`rollout ${rolloutId} already exists`);
      await temporal.workflow
        .start<typeof rolloutWorkflow>('rolloutWorkflow', {
          taskQueue,
          workflowId,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: RolloutPlanKey, value: input.planName },
            { key: RolloutStateKey, value: 'running' },
          ],
        })
        .catch(rethrow(rolloutId));
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      db.release();
    }
    res
      .status(201)
      .location(`/v1/rollouts/${rolloutId}`)
      .json({ rolloutId, workflowId, plan: input.planName, version: input.planVersion });
  });

  router.get('/', async (req, res) => {
    const query = parseBody(ListQuery, req.query);
    res.json({ rollouts: await listRollouts(pool, query) });
  });

  /** currentStatus asks the workflow for its live status, else answers from the last stored snapshot. */
  const currentStatus = async (row: RolloutRow): Promise<{ status: RolloutStatus; source: 'live' | 'snapshot' }> => {
    const live = await temporal.connection
      .withAbortSignal(AbortSignal.timeout(STATUS_QUERY_TIMEOUT_MS), () => temporal.workflow.getHandle(row.workflowId).query(statusQuery))
      .catch(() => undefined);
    if (live) return { status: live, source: 'live' };
    const stored = (row.status as RolloutStatus | null) ?? {
      rolloutId: row.rolloutId,
      plan: row.plan,
      version: row.version,
      digest: '',
      state: row.state as RolloutStatus['state'],
      startedAt: row.createdAt,
      stages: [],
    };
    return { status: stored, source: 'snapshot' };
  };

  router.get('/:id', async (req, res) => {
    const row = await requireRollout(req);
    const { status, source } = await currentStatus(row);
    res.json({ ...status, workflowId: row.workflowId, source });
  });

  router.post('/:id/stages/:stageId/approvals', async (req, res) => {
    const row = await requireRollout(req);
    const body = parseBody(StageDecisionRequest, req.body);
    const stage = await temporal.workflow
      .getHandle(row.workflowId)
      .executeUpdate(approveStageUpdate, { args: [{ stageId: req.params.stageId, ...body }] })
      .catch(rethrow(row.rolloutId));
    res.json({ rolloutId: row.rolloutId, stage });
  });

  // Pause, resume and abort are signals; the state check first gives callers a clear 409
  // instead of a silently ignored request.
  const operatorAction = (name: 'pause' | 'resume' | 'abort', signal: typeof pauseSignal, appliesTo: RolloutState[]) =>
    router.post(`/:id/${name}`, async (req, res) => {
      const row = await requireRollout(req);
      const action = parseBody(OperatorActionRequest, req.body);
      const { state } = (await currentStatus(row)).status;
      if (!appliesTo.includes(state)) {
        throw conflict(`rollout ${row.rolloutId} is ${state}; ${name} applies to a ${appliesTo.join(' or ')} rollout`, { state });
      }
      await temporal.workflow.getHandle(row.workflowId).signal(signal, action).catch(rethrow(row.rolloutId));
      res.status(202).json({ rolloutId: row.rolloutId, requested: name });
    });
  operatorAction('pause', pauseSignal, ['running']);
  operatorAction('resume', resumeSignal, ['paused']);
  operatorAction('abort', abortSignal, ['running', 'paused']);

  router.get('/:id/events', async (req, res) => {
    const row = await requireRollout(req);
    const { after, limit } = parseBody(ListQuery, req.query);
    const events = await listAuditEvents(pool, row.rolloutId, after, limit);
    const last = events[events.length - 1];
    res.json({ events, next: events.length === limit && last ? last.seq : null });
  });

  return router;
}
