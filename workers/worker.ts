import path from 'node:path';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';

/** WORKFLOWS_PATH is the workflow bundle's entry point. */
export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: Pool;
  /** webhookSecrets are the ROLLGATE_WEBHOOK_SECRET_* variables (pickWebhookSecrets). */
  webhookSecrets?: Record<string, string>;
  /** workflowBundle, when given, is used instead of bundling workflows/ again (tests bundle once). */
  workflowBundle?: WorkflowBundle;
}

/** createWorker builds a worker that runs rollgate's workflows and activities on taskQueue. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.pool, {
      webhookSecrets: options.webhookSecrets ?? {},
      // The worker's own connection serves the activities' reads from Temporal too.
      temporal: new Client({ connection: options.connection, namespace: options.namespace }),
    }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
