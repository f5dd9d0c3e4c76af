import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { RolloutWatch } from './rollout-sweep';

/** How long each dependency may take to answer a health check. */
const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * healthRouter serves GET /healthz: 200 when Temporal and PostgreSQL answer, 503 naming what is
 * down. Rollouts the last sweep of watch found stuck are counted and named, and make the status
 * `degraded`, still with 200: the API serves, and taking it out of a load balancer would not
 * unstick them (docs/operations.md, "Outages").
 */
export function healthRouter(pool: Pool, temporal: Client, watch?: RolloutWatch): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const [postgres, temporalCheck] = await Promise.all([
      check(() => pool.query('SELECT 1')),
      // The abort signal also stops the client's own retries once the check gives up.
      check((signal) => temporal.connection.withAbortSignal(signal, () => temporal.workflowService.getSystemInfo({}))),
    ]);
    const checks = { postgres, temporal: temporalCheck };
    const down = Object.entries(checks)
      .filter(([, result]) => result !== 'ok')
      .map(([name]) => name);
    const stuck = watch?.stuck();
    const stuckRollouts = stuck?.rollouts.map(({ rolloutId, plan, stuck: why }) => ({ rolloutId, plan, ...why })) ?? [];
    const status = down.length ? 'unavailable' : stuckRollouts.length ? 'degraded' : 'ok';
    res.status(down.length ? 503 : 200).json({
      status,
      down,
      checks,
      ...(stuck ? { stuck: { count: stuckRollouts.length, rollouts: stuckRollouts, ...(stuck.checkedAt ? { checkedAt: stuck.checkedAt } : {}) } } : {}),
    });
  });
  return router;
}

/** check runs probe with a time limit and returns 'ok' or the first line of what went wrong. */
async function check(probe: (signal: AbortSignal) => Promise<unknown>): Promise<string> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`));
    }, HEALTH_CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(controller.signal), timeout]);
    return 'ok';
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? 'error';
  } finally {
    clearTimeout(timer);
  }
}
