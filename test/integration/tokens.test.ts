import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { ensureLocalAdminToken } from '../../cli/admin-token';
import { tokenCommand } from '../../cli/commands/token';
import { loadEnv } from '../../config/env';
import { createPool } from '../../db/pool';
import { authenticate } from '../../db/tokens';
import { createTestDatabase } from '../support/databases';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool(database.url);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await tokenCommand(args, loadEnv({ DATABASE_URL: database.url }), { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('rollgate token', () => {
  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const created = await run('create', '--principal', 'alice', '--roles', 'deployment-lead,line-supervisor');
    expect(created.code).toBe(0);
    const token = created.out[0]!;
    expect(await authenticate(pool, token)).toMatchObject({ name: 'alice', kind: 'person', roles: ['deployment-lead', 'line-supervisor'] });
    const stored = await pool.query('SELECT token_hash FROM api_tokens');
    expect(stored.rows[0].token_hash).not.toContain(token.slice(4));

    const listed = await run('list');
    expect(listed.out).toHaveLength(1);
    const [tokenId, principal, kind, roles, , state] = listed.out[0]!.split('\t');
    expect([principal, kind, roles, state]).toEqual(['alice', 'person', 'deployment-lead,line-supervisor', 'live']);
    expect(listed.out[0]).not.toContain(token);

    expect((await run('revoke', tokenId!)).code).toBe(0);
    expect(await authenticate(pool, token)).toBeUndefined();
    expect((await run('revoke', tokenId!)).code).toBe(1);
  });

  it('makes service principals and refuses bad usage with exit 2', async () => {
    const service = await run('create', '--principal', 'wms-bridge', '--service');
    expect(await authenticate(pool, service.out[0]!)).toMatchObject({ name: 'wms-bridge', kind: 'service', roles: [] });
    expect((await run('create')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('create', '--principal', 'x', '--bogus')).err[0]).toMatch(/^rollgate token: Unknown option '--bogus'/);
  });
});

describe('the local admin token', () => {
  it('is created on first start, reused while it works, and replaced when revoked', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollgate-admin-'));
    const first = await ensureLocalAdminToken(database.url, dataDir);
    expect(first).toEqual({ file: path.join(dataDir, 'admin-token'), created: true });
    const token = (await fs.readFile(first.file, 'utf8')).trim();
    expect(await authenticate(pool, token)).toMatchObject({ name: 'admin', roles: ['admin'] });
    expect((await fs.stat(first.file)).mode & 0o777).toBe(0o600);

    expect((await ensureLocalAdminToken(database.url, dataDir)).created).toBe(false);
    await pool.query('UPDATE api_tokens SET revoked_at = now()');
    expect((await ensureLocalAdminToken(database.url, dataDir)).created).toBe(true);
    expect((await fs.readFile(first.file, 'utf8')).trim()).not.toBe(token);
  });
});
