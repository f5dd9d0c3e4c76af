import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../api/app';
import { principalCache } from '../../api/auth';
import { createPool } from '../../db/pool';
import { listenForTokenChanges } from '../../db/token-changes';
import { createToken } from '../../db/tokens';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startHarness, type Harness } from '../support/harness';
import { planYaml, startRollout, uploadPlan, waitForStage } from '../support/rollouts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { startDevServer } from '../support/temporal';

/** expectOutage checks a 503 unavailable problem with Retry-After that names dependency. */
async function expectOutage(response: Response, dependency: string) {
  const body = (await response.json()) as Record<string, unknown>;
  expect({ status: response.status, type: body.type, dependency: body.dependency }).toEqual({
    status: 503,
    type: 'urn:rollgate:problem:unavailable',
    dependency,
  });
  expect(body.title).toContain(dependency);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('a PostgreSQL outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let connection: Connection;
  let server: Server;
  let base: string;
  let token: string;
  let stopListening: (() => Promise<void>) | undefined;
  const pools: { end(): Promise<void> }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = createPool(database.url);
    pools.push(direct);
    ({ token } = await createToken(direct, { name: 'admin', kind: 'person', roles: ['admin'] }));
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const proxied = new URL(database.url);
    proxied.port = String(proxy.port);
    const pool = createPool(proxied.toString());
    pools.push(pool);
    connection = await Connection.connect({ address: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS! });
    server = createApp({ pool, temporal: new Client({ connection }), taskQueue: 'unused' }).listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Tokens are cached while this hears token changes; it connects directly, around the proxy.
    const listener = await listenForTokenChanges(database.url, principalCache(pool));
    stopListening = () => listener.stop();
  });

  afterAll(async () => {
    await stopListening?.();
    server?.close();
    await proxy?.close();
    await Promise.all(pools.map((pool) => pool.end()));
    await connection?.close();
    await database?.drop();
  });

  const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('answers 503 naming PostgreSQL from the routes, and recovers when it is back', async () => {
    expect((await get('/v1/plans')).status).toBe(200);
    await proxy.down();
    await expectOutage(await get('/v1/plans'), 'PostgreSQL');
    await expectOutage(await get('/v1/rollouts'), 'PostgreSQL');
    await expectOutage(await get('/v1/rollouts/nope'), 'PostgreSQL');
    const upload = await fetch(`${base}/v1/plans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' },
      body: planYaml('outage-plan', { a: [] }),
    });
    await expectOutage(upload, 'PostgreSQL');
    await proxy.up();
    expect((await get('/v1/plans')).status).toBe(200);
  });

  it('answers 503 naming PostgreSQL when the token lookup cannot reach it', async () => {
    await stopListening?.();
    stopListening = undefined;
    await proxy.down();
    try {
      await expectOutage(await get('/v1/plans'), 'PostgreSQL');
    } finally {
      await proxy.up();
    }
    expect((await get('/v1/plans')).status).toBe(200);
  });
});

describe('a Temporal outage', () => {
  let temporal: TestWorkflowEnvironment | undefined;
  let h: Harness;

  beforeAll(async () => {
    temporal = await startDevServer();
    h = await startHarness({ temporalAddress: temporal.address });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await temporal?.teardown();
  }, 120_000);

  it('answers 503 naming Temporal to sign-offs and starts, never 500', async () => {
    const rolloutId = await startRollout(h, planYaml('temporal-outage', { a: [] }, '1s'));
    await waitForStage(h, rolloutId, 'a', 'awaiting-approval');
    const { name } = await uploadPlan(h, planYaml('temporal-outage', { a: [] }, '1s'));
    await h.stopWorker();
    await temporal!.teardown();
    temporal = undefined;

    const signOff = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/a/approvals`, { decision: 'approve' }, await h.as('dana'));
    expect({ status: signOff.status, type: signOff.body.type, dependency: signOff.body.dependency }).toEqual({
      status: 503,
      type: 'urn:rollgate:problem:unavailable',
      dependency: 'Temporal',
    });
    expect(Number(signOff.headers.get('retry-after'))).toBeGreaterThan(0);

    // Reads answer from the last snapshot.
    const read = await h.http('GET', `/v1/rollouts/${rolloutId}`);
    expect({ status: read.status, source: read.body.source, state: read.body.state }).toEqual({ status: 200, source: 'snapshot', state: 'running' });

    const start = await h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'started-while-temporal-is-down' });
    expect({ status: start.status, dependency: start.body.dependency }).toEqual({ status: 503, dependency: 'Temporal' });
    expect(Number(start.headers.get('retry-after'))).toBeGreaterThan(0);
  }, 180_000);
});
