import { createHash, randomUUID } from 'node:crypto';
import { eventually, startHarness, type Harness } from '../support/harness';
import { planYaml, uploadPlan, waitForStage } from '../support/rollouts';

describe('the rollout watch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ rolloutSweepMs: 1_000 });
  });
  afterAll(() => h?.close());

  it('shows a rollout whose workflow task keeps failing as stuck, in its status and in /healthz', async () => {
    const { name, version } = await uploadPlan(h, planYaml('stuck-plan', { a: [] }));
    // A version stored around validation, as an older rollgate could have: its stage's
    // minDuration is no duration, and the workflow task that enters the stage throws every time.
    const { rows } = await h.pool.query(`SELECT definition FROM plan_versions WHERE name = $1 AND version = $2`, [name, version]);
    const broken = structuredClone(rows[0].definition);
    broken.stages[0].minDuration = 'whenever';
    const digest = createHash('sha256').update(JSON.stringify(broken)).digest('hex');
    await h.pool.query(`INSERT INTO plan_versions (name, version, digest, source, definition) VALUES ($1, $2, $3, '', $4)`, [
      name,
      version + 1,
      digest,
      JSON.stringify(broken),
    ]);
    const started = await h.http('POST', '/v1/rollouts', { plan: name, version: version + 1, rolloutId: 'stuck-one' });
    expect(started.status).toBe(201);

    const status = await eventually(
      async () => {
        const { body } = await h.http('GET', '/v1/rollouts/stuck-one');
        return body.stuck ? body : undefined;
      },
      'the rollout to show as stuck',
      60_000,
    );
    expect(status.stuck.attempts).toBeGreaterThanOrEqual(3);
    expect(status.stuck.message).toMatch(/Invalid time value/);
    expect(Date.parse(status.stuck.since)).not.toBeNaN();

    const health = await eventually(
      async () => {
        const { status: code, body } = await h.http('GET', '/healthz');
        return body.stuck?.count === 1 ? { code, body } : undefined;
      },
      '/healthz to count the stuck rollout',
    );
    expect(health.code).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.stuck.rollouts).toEqual([expect.objectContaining({ rolloutId: 'stuck-one', plan: name, attempts: expect.any(Number) })]);
    // A rollout that is well is not stuck.
    const { body: well } = await h.http('POST', '/v1/rollouts', { plan: name, version, rolloutId: 'well-one' });
    expect(well.rolloutId).toBe('well-one');
    const wellStatus = await waitForStage(h, 'well-one', 'a', 'awaiting-approval');
    expect(wellStatus.stuck).toBeUndefined();
    await h.temporal.workflow.getHandle('rollout-stuck-one').terminate('test over');
  }, 90_000);

  it('records a termination from outside rollgate in the trail and the registry', async () => {
    const { name } = await uploadPlan(h, planYaml('terminated-plan', { a: [] }));
    const started = await h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'terminated-one' });
    expect(started.status).toBe(201);
    await waitForStage(h, 'terminated-one', 'a', 'awaiting-approval');
    await h.temporal.workflow.getHandle('rollout-terminated-one').terminate('line 3 is down for maintenance');

    // The sweep records it without anyone reading the rollout.
    const event = await eventually(async () => {
      const { rows } = await h.pool.query(`SELECT type, actor, reason, detail FROM audit_events WHERE rollout_id = 'terminated-one' AND type = 'rollout.terminated'`);
      return rows[0];
    }, 'rollout.terminated in the trail');
    expect(event.reason).toBe('line 3 is down for maintenance');
    expect(event.actor).toEqual(expect.any(String));
    const { rows } = await h.pool.query(`SELECT state, active_stages FROM rollouts WHERE rollout_id = 'terminated-one'`);
    expect(rows[0]).toEqual({ state: 'terminated', active_stages: [] });

    const { body } = await h.http('GET', '/v1/rollouts/terminated-one');
    expect(body.state).toBe('terminated');
    expect(body.terminated).toEqual(expect.objectContaining({ reason: 'line 3 is down for maintenance' }));
    const { rows: count } = await h.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE rollout_id = 'terminated-one' AND type = 'rollout.terminated'`);
    expect(count[0].n).toBe(1);

    // An operator brings it back with `temporal workflow reset`: it runs again, and the status says so.
    const handle = h.temporal.workflow.getHandle('rollout-terminated-one');
    const history = await handle.fetchHistory();
    const firstTask = history.events!.find((e) => e.workflowTaskCompletedEventAttributes)!;
    await h.temporal.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: 'rollout-terminated-one', runId: (await handle.describe()).runId },
      reason: 'terminated by mistake',
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: randomUUID(),
    });
    const revived = await waitForStage(h, 'terminated-one', 'a', 'awaiting-approval');
    expect(revived.state).toBe('running');
    expect(revived.terminated).toBeUndefined();
    const { rows: after } = await h.pool.query(`SELECT state FROM rollouts WHERE rollout_id = 'terminated-one'`);
    expect(after[0].state).toBe('running');
  });
});
