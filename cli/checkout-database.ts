import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_DATABASE_NAME } from '../config/env';

/** The checkout this CLI runs from: the repository root above cli/. */
const CHECKOUT = path.resolve(__dirname, '..');

/**
 * checkoutDatabaseName is the database `npm start` and `rollgate token` use on the local
 * PostgreSQL server when DATABASE_URL is unset: `rollgate_` and a hash of the checkout's real
 * path. Two checkouts on one machine share that server but never a database, so neither sees
 * the other's admin token, plans or audit trail; one checkout keeps its database across runs.
 */
export function checkoutDatabaseName(checkout: string = CHECKOUT): string {
  let real = checkout;
  try {
    real = fs.realpathSync(checkout);
  } catch {
    // A path that cannot be resolved is hashed as given.
  }
  return `${DEFAULT_DATABASE_NAME}_${createHash('sha256').update(real).digest('hex').slice(0, 10)}`;
}

/**
 * sharedDatabaseNotice says, when the local server still has the `rollgate` database that
 * every checkout shared before, that this checkout now uses its own and how to keep the old
 * one; undefined when there is none or it cannot be told.
 */
export async function sharedDatabaseNotice(serverUrl: string, databaseName: string): Promise<string | undefined> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const found = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[DEFAULT_DATABASE_NAME, databaseName]]);
    const names = found.rows.map((row) => row.datname);
    if (!names.includes(DEFAULT_DATABASE_NAME) || names.includes(databaseName)) return undefined;
    url.pathname = `/${DEFAULT_DATABASE_NAME}`;
    return (
      `this checkout now keeps its data in database ${databaseName}, not in ${DEFAULT_DATABASE_NAME}, which all checkouts on this machine shared; ` +
      `${DEFAULT_DATABASE_NAME} is left as it is: set DATABASE_URL=${url.toString()} to keep using it`
    );
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
