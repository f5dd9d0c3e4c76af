import { getPlanVersion } from '../../db/plans';
import { rolloutInput, startRolloutWorkflow } from '../../api/rollout-start';
import { sweepRollouts } from '../../api/rollout-sweep';
import { startHarness, type Harness } from '../support/harness';
import { planYaml, uploadPlan, waitForStage } from '../support/rollouts';

describe('starting a rollout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  const deps = () => ({ pool: h.pool, temporal: h.temporal, taskQueue: h.taskQueue });

  it('answers a retry with the same plan and version with the rollout, and another plan with 409', async () => {
    const { name, version } = await uploadPlan(h, planYaml('retried-start', { a: [] }));
    const first = await h.http('POST', '/v1/rollouts', { plan: name, version, rolloutId: 'retried' });
    expect(first.status).toBe(201);
    const retried = await h.http('POST', '/v1/rollouts', { plan: name, version, rolloutId: 'retried' });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual(first.body);
    expect(retried.headers.get('location')).toBe('/v1/rollouts/retried');

    const other = await uploadPlan(h, planYaml('retried-start', { a: [], b: ['a'] }));
    const newer = await h.http('POST', '/v1/rollouts', { plan: name, version: other.version, rolloutId: 'retried' });
    expect(newer.status).toBe(409);
    const otherPlan = await uploadPlan(h, planYaml('retried-start-other', { a: [] }));
    expect((await h.http('POST', '/v1/rollouts', { plan: otherPlan.name, rolloutId: 'retried' })).status).toBe(409);
    await waitForStage(h, 'retried', 'a', 'awaiting-approval');
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE rollout_id = 'retried' AND type = 'rollout.started'`);
    expect(rows[0].n).toBe(1);
  });

  it('starts the workflow of a registered rollout whose start never got through, when the start is retried', async () => {
    const { name, version } = await uploadPlan(h, planYaml('unstarted', { a: [] }));
    // What a start that died between its registry write and Temporal leaves behind.
    await h.pool.query(
      `INSERT INTO rollouts (rollout_id, workflow_id, plan_name, plan_version, state, started_by) VALUES ('half-started', 'rollout-half-started', $1, $2, 'starting', 'admin')`,
      [name, version],
    );
    const retried = await h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'half-started' });
    expect(retried.status).toBe(200);
    await waitForStage(h, 'half-started', 'a', 'awaiting-approval');
  });

  it('marks a start that never got through as not started, on read and in the sweep', async () => {
    const { name, version } = await uploadPlan(h, planYaml('abandoned', { a: [] }));
    for (const id of ['abandoned-read', 'abandoned-sweep']) {
      await h.pool.query(
        `INSERT INTO rollouts (rollout_id, workflow_id, plan_name, plan_version, state, started_by, created_at)
         VALUES ($1, 'rollout-' || $1, $2, $3, 'starting', 'admin', now() - interval '10 minutes')`,
        [id, name, version],
      );
    }
    const read = await h.http('GET', '/v1/rollouts/abandoned-read');
    expect({ status: read.status, state: read.body.state }).toEqual({ status: 200, state: 'not-started' });
    await sweepRollouts(deps());
    const { rows } = await h.pool.query(`SELECT state FROM rollouts WHERE rollout_id = 'abandoned-sweep'`);
    expect(rows[0].state).toBe('not-started');
    // A retry of the start still starts it.
    expect((await h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'abandoned-sweep' })).status).toBe(200);
    await waitForStage(h, 'abandoned-sweep', 'a', 'awaiting-approval');
  });

  it('registers a workflow that runs without a registry row, on read and in the sweep', async () => {
    const { name } = await uploadPlan(h, planYaml('rowless', { a: [] }));
    const planVersion = (await getPlanVersion(h.pool, name))!;
    // What a start leaves whose workflow got through while its registry row was lost.
    for (const id of ['rowless-read', 'rowless-sweep']) {
      expect(await startRolloutWorkflow(h.temporal, h.taskQueue, rolloutInput(id, planVersion, 'admin'))).toBe('started');
    }
    const read = await h.http('GET', '/v1/rollouts/rowless-read');
    expect({ status: read.status, plan: read.body.plan }).toEqual({ status: 200, plan: name });
    const report = await sweepRollouts(deps());
    expect(report.adopted).toEqual(['rowless-sweep']);
    const { rows } = await h.pool.query(`SELECT plan_name, started_by FROM rollouts WHERE rollout_id = 'rowless-sweep'`);
    expect(rows[0]).toEqual({ plan_name: name, started_by: 'admin' });
    await waitForStage(h, 'rowless-sweep', 'a', 'awaiting-approval');
  });
});
