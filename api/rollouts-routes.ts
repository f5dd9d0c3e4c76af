import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { listAuditEvents } from '../db/audit';
import { getPlanVersion } from '../db/plans';
import { insertRollout, listRollouts } from '../db/rollouts';
import { listDeliveries } from '../db/webhooks';
import type { RolloutInput } from '../workflows/rollout-types';
import type { rolloutWorkflow } from '../workflows/rollout-workflow';
import { RolloutPlanKey, RolloutStateKey } from '../workflows/search-attributes';
import { ADMIN_TOKEN_ROLE } from '../workflows/sign-off';
import { principalOf } from './auth';
import { conflict, notFound, parseBody } from './problem';
import { ListQuery, StartRolloutRequest } from './request-schemas';
import { rolloutActionsRouter } from './rollout-actions';
import { currentStatus, requireRollout, rethrowAsProblem } from './rollout-lookup';
import { steadyStateRouter } from './steady-state-routes';
import { refuseAndAudit } from './system-audit';

/** People who may start rollouts hold this token role; service principals may start them too. */
const ROLLOUT_STARTER_ROLE = 'deployment-lead';

export interface RolloutsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

const workflowIdFor = (rolloutId: string) => `rollout-${rolloutId}`;

/** rolloutsRouter serves /v1/rollouts: start, list, status, the audit trail, the human actions, and steady-state stages. */
export function rolloutsRouter({ pool, temporal, taskQueue }: RolloutsDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const principal = principalOf(req);
    if (principal.kind === 'person' && !principal.roles.includes(ADMIN_TOKEN_ROLE) && !principal.roles.includes(ROLLOUT_STARTER_ROLE)) {
      const reason = `${principal.name} needs the role ${ROLLOUT_STARTER_ROLE} to start rollouts`;
      throw await refuseAndAudit(pool, req, { action: 'rollout.start', reason, planName: (req.body as { plan?: unknown } | undefined)?.plan });
    }
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
      startedBy: principal.name,
    };
    // The registry row and the workflow start commit together: if Temporal refuses the start,
    // the row is rolled back, and a concurrent start of the same id waits on the row lock.
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const inserted = await insertRollout(db, {
        rolloutId,
        workflowId,
        planName: input.planName,
        planVersion: input.planVersion,
        state: 'running',
        startedBy: principal.name,
      });
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
        .catch(rethrowAsProblem(rolloutId));
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

  router.get('/:id', async (req, res) => {
    const row = await requireRollout(pool, req);
    const [{ status, source }, deliveries] = await Promise.all([currentStatus(temporal, row), listDeliveries(pool, row.rolloutId)]);
    const undelivered = deliveries.filter((delivery) => delivery.state !== 'delivered');
    res.json({
      ...status,
      workflowId: row.workflowId,
      source,
      notifications: { delivered: deliveries.length - undelivered.length, undelivered },
    });
  });

  router.get('/:id/events', async (req, res) => {
    const row = await requireRollout(pool, req);
    const { after, limit } = parseBody(ListQuery, req.query);
    const events = await listAuditEvents(pool, row.rolloutId, after, limit);
    const last = events[events.length - 1];
    res.json({ events, next: events.length === limit && last ? last.seq : null });
  });

  router.use(rolloutActionsRouter({ pool, temporal }));
  router.use(steadyStateRouter({ pool, temporal }));
  return router;
}
