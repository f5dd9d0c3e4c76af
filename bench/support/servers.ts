import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express from 'express';
import pino from 'pino';
import { startApiServer } from '../../api/server';
import { configureLogging } from '../../telemetry/logger';
import { createPool } from '../../db/pool';
import { authenticate } from '../../db/tokens';

/**
 * The servers under test, in a process of their own so the load generator does not share their
 * event loop: the real REST API, and bare express endpoints with a pool of the same size that
 * take the same request body as POST /v1/rollouts/:id/decisions:
 *   POST /bare/:id/decisions       one INSERT of the request's fields, nothing else;
 *   POST /bare-auth/:id/decisions  a token lookup in the database (db/tokens authenticate, which the
 *                                  API does only when its principal cache misses), then that INSERT;
 *   POST /ceiling/:id/decisions    parses the body and answers, no database: what express and
 *                                  the load client can do on this machine at best.
 *   GET  /cpu                      this process's CPU time so far (process.cpuUsage), to cost requests.
 *   GET  /loop-delay               this process's event-loop delay (perf_hooks.monitorEventLoopDelay) since
 *                                  POST /loop-delay/reset, in ms: {p50, p99, max, samples}; the API runs on that loop.
 * A second API, `quiet`, runs without request log and request histogram. Request lines of the
 * first go to /dev/null at level info.
 * Prints `READY {"api": url, "quiet": url, "bare": url}` once all listen; SIGTERM stops them.
 *
 * Environment: BENCH_TEMPORAL_ADDRESS, BENCH_DATABASE_URL, BENCH_TASK_QUEUE.
 */
async function main(): Promise<void> {
  const { BENCH_TEMPORAL_ADDRESS: temporalAddress, BENCH_DATABASE_URL: databaseUrl, BENCH_TASK_QUEUE: taskQueue } = process.env;
  if (!temporalAddress || !databaseUrl || !taskQueue) throw new Error('set BENCH_TEMPORAL_ADDRESS, BENCH_DATABASE_URL and BENCH_TASK_QUEUE');

  // No rate limits: the benchmarks measure what the API can do, far beyond any client's budget.
  // Request lines are written as in production (LOG_LEVEL info), to /dev/null rather than a terminal.
  configureLogging({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) });
  const api = await startApiServer({ temporalAddress, namespace: 'default', taskQueue, databaseUrl, port: 0, rateLimits: false });
  // The same API without request log and request histogram, the telemetry benchmark's baseline.
  const quiet = await startApiServer({ temporalAddress, namespace: 'default', taskQueue, databaseUrl, port: 0, rateLimits: false, telemetry: false });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();

  const pool = createPool(databaseUrl);
  const app = express();
  const insert = async (rolloutId: string, body: { decisionId: string; kind: string; confidence: number; irreversible?: boolean; decideBy: string; recommendation: unknown }) => {
    await pool.query(
      `INSERT INTO bench_bare (decision_id, rollout_id, kind, confidence, irreversible, decide_by, recommendation)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [body.decisionId, rolloutId, body.kind, body.confidence, body.irreversible ?? false, body.decideBy, JSON.stringify(body.recommendation)],
    );
  };
  app.post('/bare/:id/decisions', express.json(), async (req, res) => {
    await insert(req.params.id, req.body);
    res.status(201).json({ decisionId: req.body.decisionId });
  });
  app.post('/bare-auth/:id/decisions', express.json(), async (req, res) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    if (!token || !(await authenticate(pool, token))) {
      res.status(401).end();
      return;
    }
    await insert(req.params.id, req.body);
    res.status(201).json({ decisionId: req.body.decisionId });
  });
  app.post('/ceiling/:id/decisions', express.json(), (req, res) => {
    res.status(201).json({ decisionId: req.body.decisionId });
  });
  app.get('/cpu', (_req, res) => {
    res.json(process.cpuUsage());
  });
  app.post('/loop-delay/reset', (_req, res) => {
    loopDelay.reset();
    res.status(204).end();
  });
  app.get('/loop-delay', (_req, res) => {
    const ms = (ns: number) => ns / 1e6;
    res.json({ p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), samples: loopDelay.count });
  });
  const bare = http.createServer(app);
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const { port } = bare.address() as AddressInfo;

  process.stdout.write(`READY ${JSON.stringify({ api: api.url, quiet: quiet.url, bare: `http://127.0.0.1:${port}` })}\n`);
  process.once('SIGTERM', () => {
    bare.closeAllConnections();
    bare.close();
    void Promise.allSettled([api.stop(), pool.end()]).then(() => process.exit(0));
  });
}

main().catch((error: Error) => {
  console.error(`bench servers: ${error.message}`);
  process.exit(1);
});
