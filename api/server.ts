import '../telemetry/tracing-register';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { TemporalConnectionSettings } from '../config/temporal';
import type { WebhookAllowList } from '../config/webhook-allow';
import { DEFAULT_API_HOST, loadEnv } from '../config/env';
import { loadProviders, providerNames } from '../config/providers';
import type { RateLimits } from '../config/rate-limits';
import { temporalConnectionOptions } from '../config/temporal';
import { listenForAuditEvents } from '../db/audit-feed';
import { createPool } from '../db/pool';
import { listenForTokenChanges } from '../db/token-changes';
import { createApp } from './app';
import { principalCache } from './auth';
import { reconcileDecisionTimers } from './decision-timers';
import { PlanLoader } from './plan-loader';
import { RolloutWatch } from './rollout-sweep';
import { configureLogging, errorFields, log } from '../telemetry/logger';
import { stopTracing, tracingPlugins } from '../telemetry/tracing';

/** How often the API restarts missing timers of deferred decisions. */
const DECISION_TIMER_SWEEP_MS = 60_000;
/** How often the API reconciles the rollout registry with Temporal (api/rollout-sweep.ts). */
const ROLLOUT_SWEEP_MS = 30_000;
/** How long stop() waits for sweeps under way to finish before it closes the connections. */
const SWEEP_DRAIN_MS = 20_000;

export interface ApiServerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  port: number;
  /** host is the address to listen on; default 127.0.0.1 (config/env.ts HOST). */
  host?: string;
  /** rateLimits are the request budgets (config/rate-limits.ts); default DEFAULT_RATE_LIMITS. */
  rateLimits?: RateLimits;
  /** planLoadBudgetMs is the CPU time a plan upload may take to check; default 2 s. */
  planLoadBudgetMs?: number;
  /** connection carries TLS and API-key settings; the address above wins. */
  connection?: TemporalConnectionSettings;
  /** webhookAllow is ROLLGATE_WEBHOOK_ALLOW, the worker's webhook target policy, for upload warnings. */
  webhookAllow?: WebhookAllowList;
  /** providers are the worker's metric providers' names (config/providers.ts), for checking uploads; unset checks none. */
  providers?: readonly string[];
  /** rolloutSweepMs is how often the rollout sweep runs; ROLLOUT_SWEEP_MS unless set. */
  rolloutSweepMs?: number;
  /** principalTtlMs is how long a cached principal is reused without a notification; 10 s unless set. */
  principalTtlMs?: number;
  /** telemetry `false` serves without the request log and request histogram (api/app.ts); default on. */
  telemetry?: boolean;
}

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

/** startApiServer connects to Temporal and PostgreSQL and listens on port (0 picks a free one). */
export async function startApiServer(options: ApiServerOptions): Promise<RunningApi> {
  const connection = await Connection.connect({ ...options.connection, address: options.temporalAddress });
  const temporal = new Client({ connection, namespace: options.namespace, plugins: tracingPlugins() });
  const pool = createPool(options.databaseUrl);
  // Principals are cached only while this listener hears token changes, so a revocation applies
  // as soon as its notification arrives.
  const tokenChanges = await listenForTokenChanges(options.databaseUrl, principalCache(pool, options.principalTtlMs));
  // One listening connection for the process, whatever the number of event streams.
  const auditFeed = await listenForAuditEvents(options.databaseUrl);
  const planLoader = new PlanLoader(options.planLoadBudgetMs);
  const watch = new RolloutWatch({ pool, temporal, taskQueue: options.taskQueue });
  const app = createApp({
    pool,
    temporal,
    taskQueue: options.taskQueue,
    planLoader,
    webhookAllow: options.webhookAllow ?? [],
    ...(options.providers ? { providers: options.providers } : {}),
    watch,
    auditFeed,
    telemetry: options.telemetry ?? true,
    ...(options.rateLimits !== undefined ? { rateLimits: options.rateLimits } : {}),
  });
  const server = http.createServer(app);
  const host = options.host ?? DEFAULT_API_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    await Promise.allSettled([connection.close(), pool.end(), tokenChanges.stop(), auditFeed.stop(), planLoader.close()]);
    if (error.code === 'EADDRINUSE') throw new Error(`port ${options.port} is in use: stop what holds it or set PORT`);
    if (error.code === 'EADDRNOTAVAIL') throw new Error(`${host} is no address of this machine: set HOST to one that is, or 0.0.0.0 for all`);
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  // Sweeps still running when the API stops are awaited before the Temporal connection closes:
  // a call of theirs waiting to be retried would otherwise retry on a closed channel and throw.
  const sweepsInFlight = new Set<Promise<unknown>>();
  const inBackground = (work: Promise<unknown>) => {
    sweepsInFlight.add(work);
    void work.finally(() => sweepsInFlight.delete(work));
  };
  // Deferred decisions whose timer failed to start get it from this sweep (and from reads).
  const sweep = setInterval(() => {
    inBackground(
      reconcileDecisionTimers({ pool, temporal, taskQueue: options.taskQueue }).catch((error: Error) =>
        log().error(errorFields(error), 'api: decision timer sweep failed'),
      ),
    );
  }, DECISION_TIMER_SWEEP_MS);
  sweep.unref();
  // Half-done starts, terminations from outside rollgate and stuck rollouts: see rollout-sweep.ts.
  const rolloutSweep = setInterval(() => {
    inBackground(watch.sweep().catch((error: Error) => log().error(errorFields(error), 'api: rollout sweep failed')));
  }, options.rolloutSweepMs ?? ROLLOUT_SWEEP_MS);
  rolloutSweep.unref();
  return {
    url: `http://${urlHost(host)}:${port}`,
    async stop() {
      clearInterval(sweep);
      clearInterval(rolloutSweep);
      // Event streams never end on their own: the feed ends them, so the server can close.
      await auditFeed.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.race([Promise.allSettled([...sweepsInFlight]), new Promise((resolve) => setTimeout(resolve, SWEEP_DRAIN_MS).unref())]);
      await Promise.allSettled([connection.close(), pool.end(), tokenChanges.stop(), planLoader.close()]);
    },
  };
}

/** urlHost is where a client on this machine reaches an API listening on host. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

// `tsx api/server.ts` runs the API on its own, against TEMPORAL_ADDRESS and DATABASE_URL.
if (require.main === module) {
  const env = loadEnv();
  configureLogging({ level: env.LOG_LEVEL });
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) {
    log().error('api: set TEMPORAL_ADDRESS and DATABASE_URL, or use `npm start` to run the whole local stack');
    process.exit(1);
  }
  void startApiServer({
    temporalAddress: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.ROLLGATE_TASK_QUEUE,
    databaseUrl: env.DATABASE_URL,
    port: env.PORT,
    host: env.HOST,
    rateLimits: env.ROLLGATE_RATE_LIMIT,
    connection: temporalConnectionOptions(env),
    webhookAllow: env.ROLLGATE_WEBHOOK_ALLOW,
    providers: providerNames(loadProviders(env)),
  }).then(
    (api) => {
      log().info({ url: api.url }, `api: listening on ${api.url}`);
      const stop = () => void api.stop().then(stopTracing).then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: Error) => {
      log().error(errorFields(error), `api: cannot start: ${error.message}`);
      process.exit(1);
    },
  );
}
