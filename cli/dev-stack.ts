import path from 'node:path';
import { startApiServer } from '../api/server';
import { pickWebhookSecrets, type Env } from '../config/env';
import { loadProviders, providerNames } from '../config/providers';
import { temporalConnectionOptions } from '../config/temporal';
import type { TemporalConnectionSettings } from '../config/temporal';
import { ensureDatabase } from '../db/admin';
import { migrateDatabase } from '../db/migrate';
import { redactUrl } from '../db/pool';
import { ensureLocalAdminToken } from './admin-token';
import { startWorker } from '../workers/main';
import { workerSizing } from '../config/worker-sizing';
import { Component, ComponentError, errorText } from './component-error';
import { choosePostgres } from './postgres-server';
import { resolveTemporalCli } from './temporal-cli';
import { describeTemporalExit, spawnTemporalDevServer, waitForTemporal } from './temporal-dev-server';

interface Running {
  component: Component;
  stop(): Promise<void>;
}

/** Thrown by start() when stop() was called while it was still starting components. */
class StartCancelled extends Error {
  constructor() {
    super('start-up cancelled');
  }
}

/**
 * DevStack brings up Temporal, PostgreSQL, the worker and the REST API in that order, printing one
 * readiness line per component, and stops whatever it started in reverse order.
 */
export class DevStack {
  private readonly running: Running[] = [];
  private stopping: Promise<void> | undefined;
  private reportExit: (message: string) => void = () => undefined;
  /** unexpectedExit resolves with an explanation when a component ends on its own. */
  readonly unexpectedExit = new Promise<string>((resolve) => (this.reportExit = resolve));

  constructor(
    private readonly env: Env,
    private readonly io: { ready(line: string): void; progress(line: string): void },
  ) {}

  /** start throws ComponentError when a component cannot start, StartCancelled after stop(). */
  async start(): Promise<void> {
    const env = this.env;
    const namespace = env.TEMPORAL_NAMESPACE;
    const temporal = await this.startTemporal();

    this.checkNotStopping();
    const postgres = await choosePostgres(env.DATABASE_URL, env.ROLLGATE_DATA_DIR);
    await this.track(Component.postgres, postgres.stop);
    let applied: string[];
    try {
      await ensureDatabase(postgres.databaseUrl);
      applied = await migrateDatabase(postgres.databaseUrl);
    } catch (error) {
      throw new ComponentError(
        Component.postgres,
        `cannot prepare the database ${redactUrl(postgres.databaseUrl)}: ${errorText(error)}. ` +
          'Fix the database, or point DATABASE_URL at another one.',
      );
    }
    const migrations = applied.length === 0 ? 'schema up to date' : `applied ${applied.join(', ')}`;
    this.ready(Component.postgres, `${redactUrl(postgres.databaseUrl)} (${postgres.description}; ${migrations})`);
    if (postgres.notice) this.io.progress(`NOTE: ${postgres.notice}`);

    const common = {
      temporalAddress: temporal.address,
      namespace,
      taskQueue: env.ROLLGATE_TASK_QUEUE,
      databaseUrl: postgres.databaseUrl,
      connection: temporal.connection,
    };
    this.checkNotStopping();
    const providers = loadProviders(env);
    const worker = await startOrExplain(Component.worker, () =>
      startWorker({ ...common, logLevel: env.LOG_LEVEL, metricsAddress: env.ROLLGATE_WORKER_METRICS, webhookSecrets: pickWebhookSecrets(process.env), webhookAllow: env.ROLLGATE_WEBHOOK_ALLOW, providers, sizing: workerSizing(env) }),
    );
    await this.track(Component.worker, () => worker.stop());
    this.ready(Component.worker, `polling task queue ${env.ROLLGATE_TASK_QUEUE} in namespace ${namespace}`);

    this.checkNotStopping();
    const api = await startOrExplain(Component.api, () =>
      startApiServer({ ...common, port: env.PORT, host: env.HOST, rateLimits: env.ROLLGATE_RATE_LIMIT, webhookAllow: env.ROLLGATE_WEBHOOK_ALLOW, providers: providerNames(providers) }),
    );
    await this.track(Component.api, () => api.stop());
    const adminToken = await ensureLocalAdminToken(postgres.databaseUrl, env.ROLLGATE_DATA_DIR);
    const tokenNote = adminToken.created ? 'new admin token in' : 'admin token in';
    this.ready(Component.api, `${api.url} (${tokenNote} ${path.relative(process.cwd(), adminToken.file)})`);
  }

  /** stop stops every started component, newest first; it may be called repeatedly and during start. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (let next = this.running.pop(); next !== undefined; next = this.running.pop()) {
        try {
          await next.stop();
        } catch (error) {
          this.io.progress(`${next.component}: error while stopping: ${errorText(error)}`);
        }
      }
    })();
    return this.stopping;
  }

  private async startTemporal(): Promise<{ address: string; connection: TemporalConnectionSettings }> {
    const env = this.env;
    const namespace = env.TEMPORAL_NAMESPACE;
    if (env.TEMPORAL_ADDRESS !== undefined) {
      const connection = temporalConnectionOptions(env);
      await waitForTemporal({ ...connection, address: env.TEMPORAL_ADDRESS }, namespace);
      this.ready(Component.temporal, `${env.TEMPORAL_ADDRESS}, namespace ${namespace} (TEMPORAL_ADDRESS)`);
      return { address: env.TEMPORAL_ADDRESS, connection };
    }

    const cliPath = await resolveTemporalCli({
      cliPath: env.TEMPORAL_CLI_PATH,
      log: (line) => this.io.progress(`${Component.temporal}: ${line}`),
    });
    if (cliPath === undefined) {
      throw new ComponentError(
        Component.temporal,
        'no Temporal CLI found. Install it (https://docs.temporal.io/cli) or Go (to build it), ' +
          'set TEMPORAL_CLI_PATH to a `temporal` binary, or set TEMPORAL_ADDRESS to a running server.',
      );
    }
    this.checkNotStopping();
    const server = await spawnTemporalDevServer({ cliPath, dataDir: env.ROLLGATE_DATA_DIR, namespace });
    await this.track(Component.temporal, server.stop);
    void server.exited.then((result) => {
      if (this.stopping === undefined) {
        this.reportExit(
          `${Component.temporal}: the dev server exited unexpectedly (${describeTemporalExit(result)}); see ${display(server.logPath)}.`,
        );
      }
    });
    await waitForTemporal({ address: server.address }, namespace, server);
    this.ready(
      Component.temporal,
      `${server.address}, namespace ${namespace} (dev server; Web UI ${server.uiUrl}; state ${display(server.dbPath)}; log ${display(server.logPath)})`,
    );
    return { address: server.address, connection: {} };
  }

  /** track records a started component; one that finishes starting after stop() is stopped at once. */
  private async track(component: Component, stop: () => Promise<void>): Promise<void> {
    if (this.stopping !== undefined) {
      await stop().catch(() => undefined);
      throw new StartCancelled();
    }
    this.running.push({ component, stop });
  }

  private checkNotStopping(): void {
    if (this.stopping !== undefined) throw new StartCancelled();
  }

  private ready(component: Component, detail: string): void {
    this.io.ready(`${component.padEnd(10)} ready: ${detail}`);
  }
}

/** startOrExplain turns any start-up failure into a ComponentError naming the component. */
async function startOrExplain<T>(component: Component, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof ComponentError) throw error;
    throw new ComponentError(component, `cannot start: ${errorText(error)}. Fix the cause and run \`npm start\` again.`);
  }
}

/** display shortens paths under the working directory. */
function display(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
