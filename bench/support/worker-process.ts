import path from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createPool } from '../../db/pool';
import { quietLogger } from '../../test/support/temporal';
import { installRuntimeLogger } from '../../workers/main';
import { createWorker, WORKFLOWS_PATH } from '../../workers/worker';
import { createBareActivities } from '../bare/activities';

/**
 * One worker in a process of its own, so that its memory is its own: `rollgate` is the
 * project's worker exactly as workers/worker.ts builds it (its sizing included), `bare` runs
 * bench/bare/ with the SDK's defaults, which are rollgate's too. Usage: worker-process.ts
 * rollgate|bare, with BENCH_TEMPORAL_ADDRESS, BENCH_DATABASE_URL and BENCH_TASK_QUEUE.
 *
 * Prints `READY <sizing JSON>` once it polls. On the IPC channel, the message `status` is
 * answered with {rssBytes, heapUsedBytes, cachedWorkflows}; SIGTERM shuts the worker down
 * gracefully (so the server hands its workflows to the next worker at once) and exits.
 */
export type WorkerKind = 'rollgate' | 'bare';

/** WorkerSample is what the worker process answers to `status`. */
export interface WorkerSample {
  rssBytes: number;
  heapUsedBytes: number;
  cachedWorkflows: number;
}

const BARE_WORKFLOWS_PATH = path.join(__dirname, '..', 'bare', 'workflows.ts');

async function main(kind: string): Promise<void> {
  const { BENCH_TEMPORAL_ADDRESS: address, BENCH_DATABASE_URL: databaseUrl, BENCH_TASK_QUEUE: taskQueue } = process.env;
  if (!address || !databaseUrl || !taskQueue) throw new Error('set BENCH_TEMPORAL_ADDRESS, BENCH_DATABASE_URL and BENCH_TASK_QUEUE');
  if (kind !== 'rollgate' && kind !== 'bare') throw new Error(`worker kind ${kind}: use rollgate or bare`);
  installRuntimeLogger('ERROR');
  const connection = await NativeConnection.connect({ address });
  const pool = createPool(databaseUrl);
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: kind === 'rollgate' ? WORKFLOWS_PATH : BARE_WORKFLOWS_PATH, logger: quietLogger });
  const worker =
    kind === 'rollgate'
      ? await createWorker({ connection, namespace: 'default', taskQueue, pool, workflowBundle })
      : await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle, activities: createBareActivities(pool) });
  const running = worker.run();
  process.on('message', (message) => {
    if (message !== 'status') return;
    const memory = process.memoryUsage();
    const sample: WorkerSample = { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, cachedWorkflows: worker.getStatus().numCachedWorkflows };
    process.send?.(sample);
  });
  process.once('SIGTERM', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  const { maxCachedWorkflows, reuseV8Context, workflowThreadPoolSize, tuner } = worker.options as unknown as Record<string, unknown>;
  process.stdout.write(`READY ${JSON.stringify({ maxCachedWorkflows, reuseV8Context, workflowThreadPoolSize, tuner })}\n`);
  await running;
  await Promise.allSettled([connection.close(), pool.end()]);
  process.exit(0);
}

main(process.argv[2] ?? '').catch((error: Error) => {
  process.stderr.write(`bench worker: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
