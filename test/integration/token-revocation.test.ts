import type { Pool } from 'pg';
import { createPool } from '../../db/pool';
import { revokeToken } from '../../db/tokens';
import { eventually, startHarness, type Harness } from '../support/harness';

/**
 * A revocation reaches a running API by notification, after the revoking transaction commits.
 * The cached principals live far longer than any wait here, so only the notification can make
 * the API refuse a token it has cached.
 */
const PRINCIPAL_TTL_MS = 30 * 60_000;

let h: Harness;
let revoker: Pool;
beforeAll(async () => {
  h = await startHarness({ api: { principalTtlMs: PRINCIPAL_TTL_MS } });
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
/** refusedOnceHeard waits for the API to refuse headers, which it does once the revocation's notification arrives. */
const refusedOnceHeard = (headers: Record<string, string>) =>
  eventually(async () => {
    const answer = await h.http('GET', '/v1/plans', undefined, headers);
    return answer.status === 200 ? undefined : answer;
  }, 'the API to hear of the revocation');

const listenerPids = async () =>
  (
    await h.pool.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN rollgate_api_tokens%'",
    )
  ).rows.map((row) => row.pid);

describe('revoking a token a running API has authenticated', () => {
  it('refuses it with 401 once the notification arrives', async () => {
    const headers = await h.as('cached-user', ['admin']);
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);

    expect(await revokeToken(revoker, await tokenIdOf('cached-user'))).toBe(true);
    const refused = await refusedOnceHeard(headers);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toBe('the API token is unknown or revoked');
  });

  it('still hears of it after the API lost its listening connection and listened again', async () => {
    const headers = await h.as('reconnected-user', ['admin']);
    const [before] = await listenerPids();
    expect(before).toBeDefined();
    await h.pool.query('SELECT pg_terminate_backend($1)', [before]);
    await eventually(async () => {
      const pids = await listenerPids();
      return pids.length === 1 && pids[0] !== before ? true : undefined;
    }, 'the API to listen for token changes again');
    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);

    expect((await h.http('GET', '/v1/plans', undefined, headers)).status).toBe(200);

    expect(await revokeToken(revoker, await tokenIdOf('reconnected-user'))).toBe(true);
    expect((await refusedOnceHeard(headers)).status).toBe(401);
  });
});
