import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from '../../db/admin';
import { migrateDatabase } from '../../db/migrate';

export interface TestDatabase {
  url: string;
  /** drop removes the database, disconnecting whatever still uses it. */
  drop(): Promise<void>;
}

/** createTestDatabase creates and migrates a throwaway database `rollgate_test_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = process.env.ROLLGATE_TEST_DATABASE_SERVER;
  if (!server) throw new Error('ROLLGATE_TEST_DATABASE_SERVER is unset: run tests through jest (global setup)');
  const url = new URL(server);
  url.pathname = `/rollgate_test_${randomBytes(6).toString('hex')}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  try {
    await migrateDatabase(databaseUrl);
  } catch (error) {
    await dropDatabase(databaseUrl).catch(() => undefined);
    throw error;
  }
  return { url: databaseUrl, drop: () => dropDatabase(databaseUrl) };
}
