import type { Pool } from 'pg';
import { createPool } from '../../db/pool';
import { revokeToken } from '../../db/tokens';
import { eventually, startHarness, type Harness } from '../support/harness';

let h: Harness;
let revoker: Pool;
beforeAll(async () => {
  h = await startHarness();
  // Revocations come from elsewhere, as from `rollgate token revoke`: a pool of their own.
  revoker = createPool(h.pool.options.connectionString!, 1);
});
afterAll(async () => {
  await revoker?.end();
  await h?.close();
});

const tokenIdOf = async (principal: string) =>
  (await h.pool.query<{ id: string }>('SELECT token_id AS id FROM api_tokens WHERE principal = $1', [principal])).rows[0]!.id;

/** listenerPids are the backends of this database that LISTEN for token changes. */
const listenerPids = async () =>
  (
    await h.pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN rollgate_api_tokens%'",
    )
  ).rows.map((row) => row.pid);

describe('revoking a token a running API has authenticated', () => {
  it('refuses the next request with 401', async () => {
    const headers = await h.as('cached-user', ['admin']);
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);

    expect(await revokeToken(revoker, await tokenIdOf('cached-user'))).toBe(true);
    const refused = await h.http('GET', '/v1/plans', undefined, headers);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toBe('the API token is unknown or revoked');
  });

  it('still refuses it at once after the API lost its listening connection and listened again', async () => {
    const headers = await h.as('reconnected-user', ['admin']);
    const [before] = await listenerPids();
    expect(before).toBeDefined();
    await h.pool.query('SELECT pg_terminate_backend($1)', [before]);
    await eventually(async () => {
      const pids = await listenerPids();
      return pids.length === 1 && pids[0] !== before ? true : undefined;
    }, 'the API to listen for token changes again');
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);

    expect(await revokeToken(revoker, await tokenIdOf('reconnected-user'))).toBe(true);
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(401);
  });
});
