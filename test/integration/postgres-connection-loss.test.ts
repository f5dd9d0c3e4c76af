import { Client, type Pool } from 'pg';
import { recordAuditEvent } from '../../db/audit';
import { storePlanVersion } from '../../db/plans';
import { eventually, startHarness, type Harness } from '../support/harness';
import { planYaml, uploadPlan } from '../support/rollouts';

/** A connection of the test's own that holds a lock in an open transaction until released. */
async function holdLock(databaseUrl: string, sql: string, params: unknown[]): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query(sql, params);
  return {
    async release() {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * terminateWaiter kills, with pg_terminate_backend, the backend of this database that waits
 * on a lock while running a statement that starts with statement, as a server restart would.
 */
async function terminateWaiter(pool: Pool, statement: string): Promise<void> {
  await eventually(async () => {
    const { rows } = await pool.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE $1 || '%'`,
      [statement],
    );
    return rows.some((row) => row.terminated) ? true : undefined;
  }, `a backend waiting in ${statement}`);
}

describe('a held PostgreSQL connection that dies', () => {
  let h: Harness;
  let databaseUrl: string;

  beforeAll(async () => {
    h = await startHarness();
    const { rows } = await h.pool.query<{ db: string }>('SELECT current_database() AS db');
    const url = new URL(process.env.ROLLGATE_TEST_DATABASE_SERVER!);
    url.pathname = `/${rows[0]!.db}`;
    databaseUrl = url.toString();
  });
  afterAll(() => h?.close());

  it('during a rollout start answers 503 and leaves the API serving', async () => {
    const { name, version } = await uploadPlan(h, planYaml('connection-loss', { a: [] }));
    // An uncommitted row with the same id makes the API's insert wait, on a connection it holds.
    const lock = await holdLock(
      databaseUrl,
      `INSERT INTO rollouts (rollout_id, workflow_id, plan_name, plan_version, state) VALUES ($1, $2, $3, $4, 'running')`,
      ['killed-mid-start', 'rollout-killed-mid-start', name, version],
    );
    try {
      const started = h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'killed-mid-start' });
      await terminateWaiter(h.pool, 'INSERT INTO rollouts');
      const answer = await started;
      expect({ status: answer.status, type: answer.body.type, dependency: answer.body.dependency }).toEqual({
        status: 503,
        type: 'urn:rollgate:problem:unavailable',
        dependency: 'PostgreSQL',
      });
    } finally {
      await lock.release();
    }
    const retried = await h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'killed-mid-start' });
    expect(retried.status).toBe(201);
  });

  it('during an audit write with progress rejects that write and nothing else', async () => {
    const { name, version } = await uploadPlan(h, planYaml('connection-loss-audit', { a: [] }));
    await h.pool.query(
      `INSERT INTO rollouts (rollout_id, workflow_id, plan_name, plan_version, state) VALUES ('audit-loss', 'rollout-audit-loss', $1, $2, 'running')`,
      [name, version],
    );
    const lock = await holdLock(databaseUrl, `SELECT 1 FROM rollouts WHERE rollout_id = $1 FOR UPDATE`, ['audit-loss']);
    try {
      const write = recordAuditEvent(
        h.pool,
        { eventId: 'audit-loss:1', rolloutId: 'audit-loss', planName: name, planVersion: version, type: 'rollout.started', occurredAt: new Date().toISOString() },
        { state: 'running', activeStages: [], status: {} },
      );
      const outcome = write.then(() => 'written', (error: Error) => error.message);
      await terminateWaiter(h.pool, 'UPDATE rollouts');
      expect(await outcome).toMatch(/terminat/i);
    } finally {
      await lock.release();
    }
    const { rowCount } = await h.pool.query(`SELECT 1 FROM audit_events WHERE event_id = 'audit-loss:1'`);
    expect(rowCount).toBe(0);
    expect((await h.pool.query('SELECT 1')).rowCount).toBe(1);
  });

  it('during a plan upload rejects that upload and nothing else', async () => {
    const lock = await holdLock(databaseUrl, `INSERT INTO plans (name) VALUES ($1)`, ['connection-loss-plan']);
    try {
      const plan = { name: 'connection-loss-plan', owner: 'test-lead', stages: [] } as never;
      const outcome = storePlanVersion(h.pool, plan, 'source', 'digest').then(() => 'stored', (error: Error) => error.message);
      await terminateWaiter(h.pool, 'INSERT INTO plans');
      expect(await outcome).toMatch(/terminat/i);
    } finally {
      await lock.release();
    }
    expect((await h.http('GET', '/v1/plans')).status).toBe(200);
  });
});
