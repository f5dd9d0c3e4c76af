import '../telemetry/tracing-register';
import { makeTelemetryFilterString, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { TemporalConnectionSettings } from '../config/temporal';
import { loadEnv, pickWebhookSecrets, type Env } from '../config/env';
import { loadProviders, type Providers } from '../config/providers';
import { temporalConnectionOptions } from '../config/temporal';
import type { WebhookAllowList } from '../config/webhook-allow';
import { createPool } from '../db/pool';
import { configureLogging, errorFields, log, SDK_LEVEL_FOR, sdkLogger } from '../telemetry/logger';
import { stopTracing } from '../telemetry/tracing';
import { freeLocalAddress, serveWorkerMetrics, type MetricsServer } from './metrics';
import { createWorker } from './worker';
import { workerSizing, type WorkerSizing } from '../config/worker-sizing';

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
  /** providers are the metric providers pulled metrics are queried from (ROLLGATE_PROVIDERS_FILE). Default none. */
  providers?: Providers;
  /** logLevel is rollgate's LOG_LEVEL; the SDK's own info lines (bundling, state changes) show at debug only. */
  logLevel?: Env['LOG_LEVEL'];
  /** sizing is the worker's cache and concurrency (ROLLGATE_WORKER_*, config/worker-sizing.ts); default DEFAULT_WORKER_SIZING. */
  sizing?: WorkerSizing;
  /** metricsAddress is ROLLGATE_WORKER_METRICS: host:port to serve GET /metrics on; unset serves none. */
  metricsAddress?: string;
}

export interface RunningWorker {
  /** metricsUrl is where GET /metrics answers, when metricsAddress was given. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

/** startWorker connects, starts polling, and returns a handle whose stop() drains and closes. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const sdkMetricsAddress = options.metricsAddress === undefined ? undefined : await freeLocalAddress();
  const installed = installRuntime(SDK_LEVEL_FOR[options.logLevel ?? 'info'], sdkMetricsAddress);
  if (sdkMetricsAddress !== undefined && !installed) log().warn('worker: the Temporal runtime was installed before; its SDK metrics are not served');
  const metrics: MetricsServer | undefined =
    options.metricsAddress === undefined ? undefined : await serveWorkerMetrics(options.metricsAddress, installed ? sdkMetricsAddress : undefined);
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
      providers: options.providers ?? {},
      ...(options.sizing ? { sizing: options.sizing } : {}),
    });
  } catch (error) {
    await Promise.allSettled([connection.close(), pool.end(), metrics?.stop()]);
    throw error;
  }
  const running = worker.run();
  return {
    metricsUrl: metrics?.url,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await Promise.allSettled([connection.close(), pool.end(), metrics?.stop()]);
    },
  };
}

/**
 * installRuntime installs the process-wide SDK runtime, once, before the first connection: its
 * log lines (the SDK's, Core's, workflows' and activities') go to rollgate's logger from level
 * up, and with sdkMetricsAddress its Prometheus exporter listens there. False when a runtime
 * was installed already (then nothing changes).
 */
export function installRuntime(level: LogLevel, sdkMetricsAddress?: string): boolean {
  try {
    Runtime.install({
      logger: sdkLogger(level),
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} },
        ...(sdkMetricsAddress === undefined
          ? {}
          : { metrics: { prometheus: { bindAddress: sdkMetricsAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } }),
      },
    });
    return true;
  } catch {
    return false;
  }
}

/** installRuntimeLogger installs the runtime with its log lines from level up and no metrics exporter. */
export function installRuntimeLogger(level: LogLevel): void {
  installRuntime(level);
}

// `tsx workers/main.ts` runs a worker on its own, against TEMPORAL_ADDRESS and DATABASE_URL.
if (require.main === module) {
  const env = loadEnv();
  configureLogging({ level: env.LOG_LEVEL });
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) {
    log().error('worker: set TEMPORAL_ADDRESS and DATABASE_URL, or use `npm start` to run the whole local stack');
    process.exit(1);
  }
  void startWorker({
    temporalAddress: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.ROLLGATE_TASK_QUEUE,
    databaseUrl: env.DATABASE_URL,
    connection: temporalConnectionOptions(env),
    logLevel: env.LOG_LEVEL,
    ...(env.ROLLGATE_WORKER_METRICS ? { metricsAddress: env.ROLLGATE_WORKER_METRICS } : {}),
    webhookSecrets: pickWebhookSecrets(process.env),
    webhookAllow: env.ROLLGATE_WEBHOOK_ALLOW,
    providers: loadProviders(env),
    sizing: workerSizing(env),
  }).then(
    (worker) => {
      log().info({ taskQueue: env.ROLLGATE_TASK_QUEUE, metrics: worker.metricsUrl }, `worker: polling task queue ${env.ROLLGATE_TASK_QUEUE}`);
      const stop = () => void worker.stop().then(stopTracing).then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: Error) => {
      log().error(errorFields(error), `worker: cannot start: ${error.message}`);
      process.exit(1);
    },
  );
}
