import path from 'node:path';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Providers } from '../config/providers';
import type { WebhookAllowList } from '../config/webhook-allow';
import { DEFAULT_WORKER_SIZING, type WorkerSizing } from '../config/worker-sizing';
import { createActivities } from '../activities';
import { tracingPlugins } from '../telemetry/tracing';
import { activityTelemetry } from './metrics';

/** WORKFLOWS_PATH is the workflow bundle's entry point. */
export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  /** webhookSecrets are the ROLLGATE_WEBHOOK_SECRET_* variables (pickWebhookSecrets). */
  webhookSecrets?: Record<string, string>;
  /** webhookAllow is ROLLGATE_WEBHOOK_ALLOW: webhook targets beyond public addresses. Default none. */
  webhookAllow?: WebhookAllowList;
  /** providers are the metric providers pulled metrics are queried from. Default none. */
  providers?: Providers;
  /** sizing is the worker's cache and concurrency (ROLLGATE_WORKER_*); default DEFAULT_WORKER_SIZING. */
  sizing?: WorkerSizing;
  /** workflowBundle, when given, is used instead of bundling workflows/ again (tests bundle once). */
  workflowBundle?: WorkflowBundle;
}

/** createWorker builds a worker that runs rollgate's workflows and activities on taskQueue. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.sizing ?? DEFAULT_WORKER_SIZING),
    activities: createActivities(options.pool, {
      webhookSecrets: options.webhookSecrets ?? {},
      webhookAllow: options.webhookAllow ?? [],
      providers: options.providers ?? {},
      // The worker's own connection serves the activities' reads from Temporal too.
      temporal: new Client({ connection: options.connection, namespace: options.namespace }),
    }),
    interceptors: { activity: [activityTelemetry] },
    plugins: tracingPlugins(),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
