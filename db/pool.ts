import { Pool, type PoolClient } from 'pg';

/** Connections per process; the API and the worker each hold one pool. */
const DEFAULT_POOL_SIZE = 10;
/** How long a query may wait for a free connection before failing. */
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * createPool opens a pg pool for databaseUrl. Pool errors on idle clients are logged, not thrown.
 * Every connection also keeps an `error` listener of its own for its whole life. pg-pool drops
 * its idle listener when it hands a connection out, and the borrower can attach its own only
 * after a microtask: when the server's ReadyForQuery and a termination (57P01) arrive in one TCP
 * read, pg parses both in one go and emits `error` in between, with no listener, which would end
 * the process. The borrower learns of the loss from its next query failing.
 */
export function createPool(databaseUrl: string, max = DEFAULT_POOL_SIZE): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  pool.on('error', (error) => console.error(`postgres: idle connection error: ${error.message}`));
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * withClient lends use a connection of pool and returns it afterwards. While use holds it, the
 * connection has an `error` listener: pg emits `error` on a checked-out client whose connection
 * dies (the server restarts, pg_terminate_backend), and without a listener that ends the process.
 * The loss reaches use as its pending or next query failing; the dead connection is then
 * discarded instead of going back to the pool.
 */
export async function withClient<T>(pool: Pool, use: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost ??= error;
  };
  client.on('error', onError);
  try {
    return await use(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/**
 * withTransaction runs use in one transaction on a connection held as withClient holds it:
 * committed when use resolves, rolled back when it throws. use must make database calls only:
 * never hold the transaction across a call to Temporal or another network service.
 */
export function withTransaction<T>(pool: Pool, use: (client: PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await use(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** redactUrl hides the password of a connection string for messages. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
