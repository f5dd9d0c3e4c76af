import fs from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_TOKEN_ROLE } from '../policy/sign-off';
import { createPool } from '../db/pool';
import { authenticate, createToken } from '../db/tokens';

/** Name of the file, in the data directory, that holds the local admin token. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * ensureLocalAdminToken gives the local stack an admin token: the one saved in
 * `<dataDir>/admin-token` while it still authenticates, else a new one written there (mode 0600).
 * Returns the file's path and whether the token is new.
 */
export async function ensureLocalAdminToken(databaseUrl: string, dataDir: string): Promise<{ file: string; created: boolean }> {
  const file = path.resolve(dataDir, ADMIN_TOKEN_FILE);
  const pool = createPool(databaseUrl, 1);
  try {
    const saved = await fs.readFile(file, 'utf8').then((text) => text.trim(), () => undefined);
    if (saved && (await authenticate(pool, saved))) return { file, created: false };
    const { token } = await createToken(pool, { name: 'admin', kind: 'person', roles: [ADMIN_TOKEN_ROLE] });
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
    return { file, created: true };
  } finally {
    await pool.end();
  }
}
