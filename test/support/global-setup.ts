import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from 'pg';
import { errorText } from '../../cli/component-error';
import { redactUrl } from '../../db/pool';
import { DEFAULT_LOCAL_POSTGRES, loadEnv } from '../../config/env';
import { startDevServer } from './temporal';

declare global {
  /** The Temporal dev server shared by the whole test run; global teardown stops it. */
  var rollgateTestTemporal: TestWorkflowEnvironment | undefined;
}

/**
 * globalSetup checks PostgreSQL and starts one Temporal dev server for every test file. Test
 * files find them through ROLLGATE_TEST_TEMPORAL_ADDRESS and ROLLGATE_TEST_DATABASE_SERVER.
 */
export default async function globalSetup(): Promise<void> {
  const env = loadEnv();
  const databaseServer = serverUrl(env.DATABASE_URL ?? DEFAULT_LOCAL_POSTGRES);
  await checkPostgres(databaseServer);

  const log = (line: string) => process.stderr.write(`[temporal] ${line}\n`);
  const temporal = await startDevServer({ log });

  globalThis.rollgateTestTemporal = temporal;
  process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.ROLLGATE_TEST_DATABASE_SERVER = databaseServer;
}

/** serverUrl drops the database name: tests create a database of their own on that server. */
function serverUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '';
  return url.toString().replace(/\/$/, '');
}

async function checkPostgres(server: string): Promise<void> {
  const url = new URL(server);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Tests need PostgreSQL at ${redactUrl(server)} (DATABASE_URL, else ${DEFAULT_LOCAL_POSTGRES}) and cannot connect: ` +
        `${errorText(error)}. Start it, or set DATABASE_URL to a server where tests may create databases.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
