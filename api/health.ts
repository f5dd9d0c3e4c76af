import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';

/** How long each dependency may take to answer a health check. */
const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/** healthRouter serves GET /healthz: 200 when Temporal and PostgreSQL answer, 503 naming what is down. */
export function healthRouter(pool: Pool, temporal: Client): Router {
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
    res.status(down.length ? 503 : 200).json({ status: down.length ? 'unavailable' : 'ok', down, checks });
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
