import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { TemporalConnectionSettings } from '../config/temporal';
import { loadEnv, pickWebhookSecrets, type Env } from '../config/env';
import { temporalConnectionOptions } from '../config/temporal';
import type { WebhookAllowList } from '../config/webhook-allow';
import { createPool } from '../db/pool';
import { createWorker } from './worker';

export interface WorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  /** connection carries TLS and API-key settings; the address above wins. */
  connection?: TemporalConnectionSettings;
  /** webhookSecrets are the ROLLGATE_WEBHOOK_SECRET_* variables (pickWebhookSecrets). */
  webhookSecrets?: Record<string, string>;
  /** webhookAllow is ROLLGATE_WEBHOOK_ALLOW: webhook targets beyond public addresses. Default none. */
  webhookAllow?: WebhookAllowList;
  /** logLevel is rollgate's LOG_LEVEL; the SDK's own info lines (bundling, state changes) show at debug only. */
  logLevel?: Env['LOG_LEVEL'];
}

const SDK_LOG_LEVEL: Record<Env['LOG_LEVEL'], LogLevel> = { debug: 'DEBUG', info: 'WARN', warn: 'WARN', error: 'ERROR' };

export interface RunningWorker {
  stop(): Promise<void>;
}

/** startWorker connects, starts polling, and returns a handle whose stop() drains and closes. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  installRuntimeLogger(SDK_LOG_LEVEL[options.logLevel ?? 'info']);
  const connection = await NativeConnection.connect({ ...options.connection, address: options.temporalAddress });
  const pool = createPool(options.databaseUrl);
  let worker;
  try {
    worker = await createWorker({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      pool,
      webhookSecrets: options.webhookSecrets ?? {},
      webhookAllow: options.webhookAllow ?? [],
    });
  } catch (error) {
    await Promise.allSettled([connection.close(), pool.end()]);
    throw error;
  }
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await Promise.allSettled([connection.close(), pool.end()]);
    },
  };
}

/** The SDK runtime is process-wide and takes its logger once, before the first connection. */
export function installRuntimeLogger(level: LogLevel): void {
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed in this process.
  }
}

// `tsx workers/main.ts` runs a worker on its own, against TEMPORAL_ADDRESS and DATABASE_URL.
if (require.main === module) {
  const env = loadEnv();
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) {
    console.error('worker: set TEMPORAL_ADDRESS and DATABASE_URL, or use `npm start` to run the whole local stack');
    process.exit(1);
  }
  void startWorker({
    temporalAddress: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.ROLLGATE_TASK_QUEUE,
    databaseUrl: env.DATABASE_URL,
    connection: temporalConnectionOptions(env),
    logLevel: env.LOG_LEVEL,
    webhookSecrets: pickWebhookSecrets(process.env),
    webhookAllow: env.ROLLGATE_WEBHOOK_ALLOW,
  }).then(
    (worker) => {
      console.log(`worker: polling task queue ${env.ROLLGATE_TASK_QUEUE}`);
      const stop = () => void worker.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: Error) => {
      console.error(`worker: cannot start: ${error.message}`);
      process.exit(1);
    },
  );
}
