import { Client, Connection } from '@temporalio/client';
import { eventually, startHarness, type Harness } from '../support/harness';
import { approve, auditTrail, startRollout, waitForRollout, waitForStage } from '../support/rollouts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * A cancellation requested through Temporal (the Web UI's "Request Cancellation", `temporal
 * workflow cancel`) is an audited abort: the trail names who asked, the started stages are
 * compensated, and the rollout ends aborted.
 */

const SECRET = 'cancel-secret';
let h: Harness;
let receiver: WebhookReceiver;
let connection: Connection;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
  h = await startHarness({ webhookSecrets: { ROLLGATE_WEBHOOK_SECRET_OPS: SECRET } });
  connection = await Connection.connect({ address: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  await connection?.close();
  await h?.close();
  await receiver?.close();
});

const plan = () => `
name: cancelled-through-temporal
owner: maria
notifications:
  - url: ${receiver.url}/ops
    secretEnv: ROLLGATE_WEBHOOK_SECRET_OPS
    events: [stage.compensate, rollout.aborted]
stages:
  - id: pilot
    title: Pilot line
    mode: pilot
    minDuration: 1s
    approvals: [{ role: deployment-lead }]
  - id: plant
    title: Whole plant
    mode: shadow
    dependsOn: [pilot]
    minDuration: 1h
    approvals: [{ role: deployment-lead }]
`;

it('records who requested the cancellation, compensates the started stages and ends aborted', async () => {
  const id = await startRollout(h, plan());
  await waitForStage(h, id, 'pilot', 'awaiting-approval');
  expect((await approve(h, id, 'pilot')).status).toBe(200);
  await waitForStage(h, id, 'plant', 'running');

  const console = new Client({ connection, identity: 'erin@ops-console' });
  const handle = console.workflow.getHandle(`rollout-${id}`);
  await handle.cancel();

  // Temporal shows the request honoured; the registry and the live status say aborted.
  await expect(handle.result()).rejects.toThrow(/cancel/i);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const status = await waitForRollout(h, id, 'aborted');
  expect(status.stages.map((s: { id: string; state: string }) => `${s.id}:${s.state}`)).toEqual(['pilot:passed', 'plant:aborted']);
  const registry = await h.pool.query<{ state: string }>('SELECT state FROM rollouts WHERE rollout_id = $1', [id]);
  expect(registry.rows).toEqual([{ state: 'aborted' }]);

  const trail = await auditTrail(h, id);
  const aborted = trail.filter((e) => e.type === 'rollout.aborted');
  expect(aborted).toHaveLength(1);
  expect(aborted[0]).toMatchObject({
    actor: 'erin@ops-console',
    reason: 'cancellation requested through Temporal',
    detail: { cancelRequest: { source: 'temporal', identity: 'erin@ops-console' } },
  });
  expect(trail.at(-1)!.type).toBe('rollout.aborted');
  // Compensation runs in reverse plan order over every started stage, before the abort is recorded.
  expect(trail.filter((e) => e.type === 'stage.compensated').map((e) => e.stageId)).toEqual(['plant', 'pilot']);

  const received = await eventually(async () => {
    const types = receiver.received.map((r) => `${r.body.type}${r.body.stageId ? `:${r.body.stageId}` : ''}`);
    return types.includes('rollout.aborted') ? types : undefined;
  }, 'the rollout.aborted notification');
  expect(received).toEqual(['stage.compensate:plant', 'stage.compensate:pilot', 'rollout.aborted']);
  const notice = receiver.received.find((r) => r.body.type === 'rollout.aborted')!;
  expect(notice.check.valid).toBe(true);
  expect(notice.body.detail).toMatchObject({ by: 'erin@ops-console', reason: 'cancellation requested through Temporal' });
});

const sitePlan = () => `
name: cancelled-with-sites
owner: maria
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pat] }
stages:
  - id: phased
    title: Phased deployment
    mode: supervised
    overrideAuthority: plant-manager
    scope: { sites: [plant-a, plant-b] }
    minDuration: 1h
    approvals: [{ role: plant-manager }]
    forEach: { over: sites, waves: [rest] }
`;

it('reaches the site runs of a forEach stage: each ends aborted by its parent', async () => {
  const id = await startRollout(h, sitePlan());
  const running = await eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    const sites = body.stages[0].sites as Array<{ site: string; state: string; workflowId?: string }> | undefined;
    return sites?.length === 2 && sites.every((s) => s.state === 'running' && s.workflowId) ? sites : undefined;
  }, 'both site runs to be running');

  await new Client({ connection, identity: 'erin@ops-console' }).workflow.getHandle(`rollout-${id}`).cancel();

  await expect(h.temporal.workflow.getHandle(`rollout-${id}`).result()).rejects.toThrow(/cancel/i);
  const status = await waitForRollout(h, id, 'aborted');
  for (const site of running) {
    // A site run aborted by its parent completes; only the rollout itself shows the cancellation.
    const child = await h.temporal.workflow.getHandle(site.workflowId!).result();
    expect(child).toMatchObject({ state: 'aborted', stages: [{ state: 'aborted' }] });
  }
  const trail = await auditTrail(h, id);
  expect(trail.filter((e) => e.type === 'site-run.aborted').map((e) => e.detail.site).sort()).toEqual(['plant-a', 'plant-b']);
  expect(trail.at(-1)).toMatchObject({ type: 'rollout.aborted', actor: 'erin@ops-console' });
  expect(status.stages[0].state).toBe('aborted');
});

const steadyPlan = () => `
name: cancelled-in-steady-state
owner: maria
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pia] }
metrics:
  warranty-claims: { unit: ppm, direction: lower-is-better, kind: lagging }
stages:
  - id: rollout
    title: Full deployment
    mode: supervised
    overrideAuthority: plant-manager
    minDuration: 0s
    approvals: [{ role: deployment-lead }]
  - id: steady
    title: Steady-state operation
    dependsOn: [rollout]
    mode: autonomous
    minDuration: 0s
    criteria:
      - { metric: warranty-claims, threshold: 50, window: 400d }
    approvals: [{ role: plant-manager }]
    steadyState: { reviewEvery: 1h, horizon: 2h }
`;

it('reaches the steady-state child of a stage: it settles aborted, for the reason the rollout gives', async () => {
  const id = await startRollout(h, steadyPlan());
  await waitForStage(h, id, 'rollout', 'awaiting-approval');
  expect((await approve(h, id, 'rollout')).status).toBe(200);
  const childId = await eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    return (body.stages[1].steadyState?.workflowId as string | undefined) ?? undefined;
  }, 'the steady-state child');

  await new Client({ connection, identity: 'erin@ops-console' }).workflow.getHandle(`rollout-${id}`).cancel();

  await expect(h.temporal.workflow.getHandle(`rollout-${id}`).result()).rejects.toThrow(/cancel/i);
  const child = await h.temporal.workflow.getHandle(childId).result();
  expect(child).toMatchObject({ state: 'aborted', settled: { outcome: 'aborted' } });
  expect(JSON.stringify(child.settled)).toContain('cancellation requested through Temporal');
  const status = await waitForRollout(h, id, 'aborted');
  expect(status.stages.map((s: { state: string }) => s.state)).toEqual(['passed', 'aborted']);
});
