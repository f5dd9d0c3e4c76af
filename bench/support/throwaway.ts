import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { DEFAULT_LOCAL_POSTGRES, loadEnv } from '../../config/env';
import { dropDatabase, ensureDatabase } from '../../db/admin';
import { migrateDatabase } from '../../db/migrate';
import { createPool, redactUrl } from '../../db/pool';
import { startDevServer } from '../../test/support/temporal';
import { installRuntimeLogger } from '../../workers/main';

/** ThrowawayBase is what every benchmark stack stands on: a new migrated database and a Temporal dev server. */
export interface ThrowawayBase {
  databaseUrl: string;
  pool: Pool;
  temporal: Awaited<ReturnType<typeof startDevServer>>;
  /** cleanup holds the teardown steps; a stack pushes its own, and stop() runs them newest first. */
  cleanup: Array<() => Promise<unknown>>;
  stop(): Promise<void>;
}

/**
 * startThrowawayBase creates a database on DATABASE_URL's server (else the local one), migrates
 * it, opens a pool of poolSize, and starts a Temporal dev server. On a failure it tears down what
 * it started and throws.
 */
export async function startThrowawayBase(log: (line: string) => void, poolSize: number): Promise<ThrowawayBase> {
  const server = new URL(loadEnv().DATABASE_URL ?? DEFAULT_LOCAL_POSTGRES);
  server.pathname = `/rollgate_bench_${randomBytes(6).toString('hex')}`;
  const databaseUrl = server.toString();
  const cleanup: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of cleanup.reverse()) await step().catch((error: Error) => log(`cleanup: ${error.message}`));
  };
  try {
    log(`database ${redactUrl(databaseUrl)}`);
    await ensureDatabase(databaseUrl);
    cleanup.push(() => dropDatabase(databaseUrl));
    await migrateDatabase(databaseUrl);
    const pool = createPool(databaseUrl, poolSize);
    cleanup.push(() => pool.end());

    log('starting a Temporal dev server');
    installRuntimeLogger('WARN');
    const temporal = await startDevServer({ log });
    cleanup.push(() => temporal.teardown());
    return { databaseUrl, pool, temporal, cleanup, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** runBenchmark runs a benchmark's main and exits with its code, or 1 with the error's stack. */
export function runBenchmark(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`bench: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
