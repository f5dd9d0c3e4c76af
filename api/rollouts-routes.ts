import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { listAuditEvents } from '../db/audit';
import { silentFeed, type AuditFeed } from '../db/audit-feed';
import { getPlanVersion } from '../db/plans';
import { getRollout, listRollouts, markStarted, RegistryState, registerRollout } from '../db/rollouts';
import { listDeliveries, withoutExcerpt } from '../db/webhooks';
import { ADMIN_TOKEN_ROLE } from '../policy/sign-off';
import { principalOf } from './auth';
import { streamAuditEvents, streamStart, wantsEventStream } from './event-stream';
import { refuseIfNoLongerValid } from './plan-cache';
import { conflict, notFound, parseBody, parseQuery } from './problem';
import { decodeRolloutCursor, encodeRolloutCursor, ListQuery, PageQuery, StartRolloutRequest, StatusQuery } from './request-schemas';
import { rolloutActionsRouter } from './rollout-actions';
import { rolloutView } from './rollout-view';
import { adoptWorkflow, reconcileRollout, withinTimeout, type WorkflowFindings } from './rollout-reconcile';
import { rolloutInput, startRolloutWorkflow, workflowIdFor } from './rollout-start';
import { currentStatus, requireRollout, rethrowAsProblem } from './rollout-lookup';
import { steadyStateRouter } from './steady-state-routes';
import { refuseAndAudit } from './system-audit';
import { guardPathParameters } from './url-guards';

/** People who may start rollouts hold this token role; service principals may start them too. */
const ROLLOUT_STARTER_ROLE = 'deployment-lead';
/** How long a status read waits for Temporal to describe the workflow before answering without it. */
const RECONCILE_ON_READ_TIMEOUT_MS = 3_000;

export interface RolloutsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  /** auditFeed wakes the event streams of GET /:id/events; without one they read at each heartbeat. */
  auditFeed?: AuditFeed;
}

/** rolloutsRouter serves /v1/rollouts: start, list, status, the audit trail, the human actions, and steady-state stages. */
export function rolloutsRouter({ pool, temporal, taskQueue, auditFeed }: RolloutsDeps): Router {
  const router = guardPathParameters(Router());

  router.post('/', async (req, res) => {
    const principal = principalOf(req);
    if (principal.kind === 'person' && !principal.roles.includes(ADMIN_TOKEN_ROLE) && !principal.roles.includes(ROLLOUT_STARTER_ROLE)) {
      const reason = `${principal.name} needs the role ${ROLLOUT_STARTER_ROLE} to start rollouts`;
      throw await refuseAndAudit(pool, req, { action: 'rollout.start', reason, planName: (req.body as { plan?: unknown } | undefined)?.plan });
    }
    const body = parseBody(StartRolloutRequest, req.body);
    const planVersion = await getPlanVersion(pool, body.plan, body.version);
    if (!planVersion) throw notFound(body.version ? `plan ${body.plan} has no version ${body.version}` : `no plan named ${body.plan}`);
    refuseIfNoLongerValid(planVersion);
    const rolloutId = body.rolloutId ?? randomUUID();
    const workflowId = workflowIdFor(rolloutId);
    // The registry row first (one idempotent statement), then the workflow (idempotent by its
    // id), then the row marked started: each step can be repeated, and no connection is held
    // across the call to Temporal. A retry after a lost answer repeats them and gets the
    // rollout back; a start that never got through is settled by reads and the sweep
    // (api/rollout-reconcile.ts).
    const { created, row } = await registerRollout(pool, {
      rolloutId,
      workflowId,
      planName: planVersion.name,
      planVersion: planVersion.version,
      startedBy: principal.name,
    });
    if (row.plan !== planVersion.name || row.version !== planVersion.version) {
      throw conflict(`rollout ${rolloutId} already exists, of plan ${row.plan} version ${row.version}`);
    }
    const input = rolloutInput(rolloutId, planVersion, row.startedBy ?? principal.name);
    await startRolloutWorkflow(temporal, taskQueue, input).catch(rethrowAsProblem(rolloutId));
    await markStarted(pool, rolloutId);
    res
      .status(created ? 201 : 200)
      .location(`/v1/rollouts/${rolloutId}`)
      .json({ rolloutId, workflowId, plan: input.planName, version: input.planVersion });
  });

  router.get('/', async (req, res) => {
    const { after, ...query } = parseQuery(ListQuery, req.query);
    const cursor = after === undefined ? undefined : decodeRolloutCursor(after);
    const rollouts = await listRollouts(pool, { ...query, ...(cursor ? { after: cursor } : {}) });
    const last = rollouts[rollouts.length - 1];
    res.json({ rollouts, next: rollouts.length === query.limit && last ? encodeRolloutCursor(last) : null });
  });

  router.get('/:id', async (req, res) => {
    const { consistency } = parseQuery(StatusQuery, req.query);
    const deps = { pool, temporal, taskQueue };
    // A workflow whose start got through without its row is registered on first read.
    if (!(await getRollout(pool, req.params.id))) {
      await withinTimeout(temporal, RECONCILE_ON_READ_TIMEOUT_MS, () => adoptWorkflow(deps, req.params.id)).catch(() => false);
    }
    const registered = await requireRollout(pool, req);
    // What Temporal says of the workflow beyond its status query; without Temporal, the snapshot.
    const findings = await withinTimeout(temporal, RECONCILE_ON_READ_TIMEOUT_MS, () => reconcileRollout(deps, registered)).catch(
      (): WorkflowFindings => ({ row: registered }),
    );
    const row = findings.row;
    const [{ status, source, asOf }, deliveries] = await Promise.all([currentStatus(temporal, row, consistency), listDeliveries(pool, row.rolloutId)]);
    // A receiver's reply may tell what an internal system holds: only admins see it.
    const isAdmin = principalOf(req).roles.includes(ADMIN_TOKEN_ROLE);
    const undelivered = deliveries.filter((delivery) => delivery.state !== 'delivered').map((delivery) => (isAdmin ? delivery : withoutExcerpt(delivery)));
    res.json(
      rolloutView(status, {
        // A terminated workflow still answers queries with its last status: the registry knows better.
        ...(findings.terminated || row.state === RegistryState.terminated ? { state: RegistryState.terminated } : {}),
        ...(findings.terminated ? { terminated: findings.terminated } : {}),
        ...(findings.stuck ? { stuck: findings.stuck } : {}),
        workflowId: row.workflowId,
        source,
        ...(asOf !== undefined ? { asOf } : {}),
        notifications: { delivered: deliveries.length - undelivered.length, undelivered },
      }),
    );
  });

  router.get('/:id/events', async (req, res) => {
    const row = await requireRollout(pool, req);
    const { after, limit } = parseQuery(PageQuery, req.query);
    // Accept: text/event-stream asks for the trail as server-sent events, from Last-Event-ID or after on.
    if (wantsEventStream(req)) {
      streamAuditEvents(pool, auditFeed ?? silentFeed, row.rolloutId, streamStart(req, after), req, res);
      return;
    }
    const events = await listAuditEvents(pool, row.rolloutId, after, limit);
    const last = events[events.length - 1];
    res.json({ events, next: events.length === limit && last ? last.seq : null });
  });

  router.use(rolloutActionsRouter({ pool, temporal }));
  router.use(steadyStateRouter({ pool, temporal }));
  return router;
}
