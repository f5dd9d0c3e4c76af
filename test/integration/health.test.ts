import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createPool } from '../../db/pool';

/** Serves createApp with the given dependencies and returns GET /healthz. */
async function healthz(databaseUrl: string, connection: Connection) {
  const pool = createPool(databaseUrl);
  const server = createApp({ pool, temporal: new Client({ connection }), taskQueue: 'unused' }).listen(0);
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`);
    return { status: response.status, body: (await response.json()) as { down: string[]; checks: Record<string, string> } };
  } finally {
    server.close();
    await pool.end();
  }
}

const server = () => process.env.ROLLGATE_TEST_DATABASE_SERVER!;

describe('GET /healthz', () => {
  it('names PostgreSQL when its database cannot be reached', async () => {
    const connection = await Connection.connect({ address: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS! });
    try {
      const { status, body } = await healthz(`${server()}/rollgate_no_such_database`, connection);
      expect(status).toBe(503);
      expect(body.down).toEqual(['postgres']);
      expect(body.checks.temporal).toBe('ok');
      expect(body.checks.postgres).toMatch(/rollgate_no_such_database/);
    } finally {
      await connection.close();
    }
  });

  it('names Temporal when its frontend does not answer', async () => {
    // No retry interceptor: its retries outlive an aborted call and would fire after close().
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500, interceptors: [] });
    try {
      const { status, body } = await healthz(`${server()}/postgres`, connection);
      expect(status).toBe(503);
      expect(body.down).toEqual(['temporal']);
      expect(body.checks.postgres).toBe('ok');
    } finally {
      await connection.close();
    }
  });
});
