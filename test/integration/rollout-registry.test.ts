import { createPool } from '../../db/pool';
import { storePlanVersion } from '../../db/plans';
import { insertRollout, unsettledRollouts } from '../../db/rollouts';
import { loadPlan, planDigest } from '../../definitions';
import { planYaml } from '../support/rollouts';
import { createTestDatabase, type TestDatabase } from '../support/databases';

describe('the rollout registry', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('pages through the unsettled rollouts in id order, so that successive sweeps reach them all', async () => {
    const pool = createPool(database.url, 2);
    try {
      const source = planYaml('registry-paging', { a: [] });
      const loaded = loadPlan(Buffer.from(source), { file: 'plan.yaml' });
      if (!loaded.ok) throw new Error('the test plan does not load');
      const stored = await storePlanVersion(pool, loaded.plan, source, planDigest(loaded.plan));
      const rollout = (rolloutId: string, state: string) =>
        insertRollout(pool, { rolloutId, workflowId: `rollout-${rolloutId}`, planName: stored.name, planVersion: stored.version, state, startedBy: 'lee' });
      for (const id of ['r5', 'r1', 'r4', 'r2', 'r3']) await rollout(id, 'running');
      await rollout('r0', 'completed');

      const first = await unsettledRollouts(pool, 2);
      const second = await unsettledRollouts(pool, 2, first.at(-1)!.rolloutId);
      const third = await unsettledRollouts(pool, 2, second.at(-1)!.rolloutId);
      expect([first, second, third].map((page) => page.map((row) => row.rolloutId))).toEqual([['r1', 'r2'], ['r3', 'r4'], ['r5']]);
    } finally {
      await pool.end();
    }
  });
});
