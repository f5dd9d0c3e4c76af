import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Pool } from 'pg';
import { startApiServer, type ApiServerOptions, type RunningApi } from '../../api/server';
import { webhookAllowFromEnv } from '../../config/env';
import type { Providers } from '../../config/providers';
import { createPool } from '../../db/pool';
import { createToken, type PrincipalKind } from '../../db/tokens';
import { installRuntimeLogger } from '../../workers/main';
import { createWorker, WORKFLOWS_PATH } from '../../workers/worker';
import { ContractCheck } from './contract';
import { createTestDatabase } from './databases';
import { quietLogger } from './temporal';

/**
 * Harness runs the real stack for one test file: a throwaway PostgreSQL database, a worker on
 * a task queue of its own, and the REST API on a free port, all against the shared Temporal dev
 * server that the global setup started.
 */
export interface Harness {
  temporal: Client;
  pool: Pool;
  taskQueue: string;
  /** url is the API's base URL, for tests that make their own requests. */
  url: string;
  /** databaseUrl is the throwaway database, for commands that need it (rollgate token). */
  databaseUrl: string;
  /** http calls the API as the harness's admin unless headers carry another Authorization. */
  http: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResult>;
  /** token returns a bearer header for a principal, creating its token on first use. */
  as: (name: string, roles?: string[], kind?: PrincipalKind) => Promise<Record<string, string>>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
}

let bundle: Promise<WorkflowBundle> | undefined;
let contract: ContractCheck | undefined;

/**
 * startHarness starts the stack; webhookSecrets are the worker's ROLLGATE_WEBHOOK_SECRET_* variables,
 * webhookAllow is ROLLGATE_WEBHOOK_ALLOW for the worker and the API (default none: a test posting
 * to a receiver on 127.0.0.1 must allow it), temporalAddress another dev server than the shared one,
 * api the API's request budgets, plan load budget and principal cache TTL, providers the metric providers.
 */
export async function startHarness(
  options: {
    webhookSecrets?: Record<string, string>;
    webhookAllow?: string;
    /** providers are the worker's metric providers; the API checks plans against their names. Default none, and names unchecked. */
    providers?: Providers;
    temporalAddress?: string;
    rolloutSweepMs?: number;
    api?: Pick<ApiServerOptions, 'rateLimits' | 'planLoadBudgetMs' | 'principalTtlMs'>;
  } = {},
): Promise<Harness> {
  const webhookAllow = webhookAllowFromEnv({ ROLLGATE_WEBHOOK_ALLOW: options.webhookAllow });
  installRuntimeLogger('WARN');
  const temporalAddress = options.temporalAddress ?? process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS;
  if (!temporalAddress) throw new Error('ROLLGATE_TEST_TEMPORAL_ADDRESS is unset: run tests through jest (global setup)');
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const database = await createTestDatabase();
  const taskQueue = `rollgate-test-${randomUUID()}`;
  const pool = createPool(database.url);
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 30_000 });
  const temporal = new Client({ connection });
  const api: RunningApi = await startApiServer({
    temporalAddress,
    namespace: 'default',
    taskQueue,
    databaseUrl: database.url,
    port: 0,
    webhookAllow,
    ...(options.providers ? { providers: Object.keys(options.providers) } : {}),
    ...(options.rolloutSweepMs ? { rolloutSweepMs: options.rolloutSweepMs } : {}),
    ...options.api,
  });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const startWorker = async () => {
    worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      pool,
      workflowBundle: await bundle!,
      webhookSecrets: options.webhookSecrets ?? {},
      webhookAllow,
      providers: options.providers ?? {},
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    worker = undefined;
  };
  await startWorker();

  const tokens = new Map<string, Promise<Record<string, string>>>();
  const as = (name: string, roles: string[] = ['deployment-lead'], kind: PrincipalKind = 'person') => {
    const key = `${kind}:${name}:${roles.join(',')}`;
    if (!tokens.has(key)) {
      tokens.set(key, createToken(pool, { name, kind, roles }).then(({ token }) => ({ authorization: `Bearer ${token}` })));
    }
    return tokens.get(key)!;
  };
  const admin = await as('admin', ['admin']);

  return {
    temporal,
    pool,
    taskQueue,
    url: api.url,
    databaseUrl: database.url,
    as,
    startWorker,
    stopWorker,
    async http(method, path, body, headers = {}) {
      const isText = typeof body === 'string' || body instanceof Uint8Array;
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          ...admin,
          ...(body === undefined ? {} : { 'content-type': isText ? 'application/yaml' : 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : isText ? (body as string) : JSON.stringify(body),
      });
      const text = await response.text();
      const result = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
      // Every answer a test receives must be one the OpenAPI document describes (api/openapi.json).
      contract ??= new ContractCheck();
      const outside = contract.problems(method, path, result.status, response.headers.get('content-type'), result.body);
      if (outside.length > 0) throw new Error(`the answer is outside the OpenAPI document:\n  ${outside.join('\n  ')}`);
      return result;
    },
    async close() {
      await stopWorker();
      await api.stop();
      await pool.end();
      await connection.close();
      await nativeConnection.close();
      await database.drop();
    },
  };
}

/** eventually retries probe until it returns a value that is not undefined, or fails after timeoutMs. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
