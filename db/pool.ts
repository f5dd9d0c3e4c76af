import { Pool } from 'pg';

/** Connections per process; the API and the worker each hold one pool. */
const DEFAULT_POOL_SIZE = 10;
/** How long a query may wait for a free connection before failing. */
const CONNECTION_TIMEOUT_MS = 5_000;

/** createPool opens a pg pool for databaseUrl. Pool errors on idle clients are logged, not thrown. */
export function createPool(databaseUrl: string, max = DEFAULT_POOL_SIZE): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  pool.on('error', (error) => console.error(`postgres: idle connection error: ${error.message}`));
  return pool;
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
