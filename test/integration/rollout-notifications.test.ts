import { submitDecision, waitForActiveStages } from '../support/decisions';
import { startHarness, type Harness } from '../support/harness';
import { approve, startRollout, waitForRollout, waitForStage } from '../support/rollouts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'cmms-shared-secret';
let h: Harness;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET, (path) => (path === '/dashboard' ? 503 : undefined));
  h = await startHarness({ webhookSecrets: { ROLLGATE_WEBHOOK_SECRET_CMMS: SECRET }, webhookAllow: '127.0.0.1' });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const plan = () => `
name: notified
owner: maria
notifications:
  - url: ${receiver.url}/cmms
    secretEnv: ROLLGATE_WEBHOOK_SECRET_CMMS
    events: [stage.awaiting-approval, stage.passed, rollout.completed]
  - url: ${receiver.url}/dashboard
stages:
  - id: full-shift
    title: Full-shift operation
    mode: supervised
    overrideAuthority: line-supervisor
    scope: { lines: [line-7] }
    minDuration: 1s
    approvals: [{ role: deployment-lead }]
    escalation: [{ after: 2h, action: escalate, to: plant-manager }]
`;

const cmms = () => receiver.received.filter((r) => r.path === '/cmms');

it('warns of no notification target that ROLLGATE_WEBHOOK_ALLOW allows, and of every other internal one', async () => {
  // The API judges targets with the same setting as the worker: 127.0.0.1 is allowed here, ::1 is not.
  const targetWarnings = (body: { warnings: Array<{ rule: string }> }) => body.warnings.filter((warning) => warning.rule === 'webhook-target-refused');
  const allowed = await h.http('POST', '/v1/plans', plan());
  expect({ status: allowed.status, warnings: targetWarnings(allowed.body) }).toEqual({ status: 201, warnings: [] });
  const refused = await h.http('POST', '/v1/plans', plan().replace('name: notified', 'name: notified-ipv6').replace(`${receiver.url}/dashboard`, 'http://[::1]:7401/dashboard'));
  expect(refused.status).toBe(201);
  expect(targetWarnings(refused.body)).toEqual([
    {
      line: 8,
      column: 10,
      path: 'notifications[1].url',
      rule: 'webhook-target-refused',
      message:
        'notifications[1].url: target ::1 is a loopback address, refused unless ROLLGATE_WEBHOOK_ALLOW allows it; a worker with the same ROLLGATE_WEBHOOK_ALLOW will not post events there [webhook-target-refused]',
    },
  ]);
});

it('delivers signed, actionable events, and a failing receiver never blocks the rollout', async () => {
  const id = await startRollout(h, plan(), 'notified-1');
  const awaiting = await waitForStage(h, id, 'full-shift', 'awaiting-approval');
  await waitFor(() => cmms().length >= 1);
  const [request] = cmms();
  expect(request!.check.valid).toBe(true);
  expect(request!.headers['rollgate-event']).toBe('stage.awaiting-approval');
  const dueBy = new Date(Date.parse(awaiting.stages[0].awaitingSince) + 2 * 3_600_000).toISOString();
  expect(request!.body).toMatchObject({
    type: 'stage.awaiting-approval',
    rolloutId: id,
    stageId: 'full-shift',
    dueBy,
    action: `Stage "Full-shift operation" on line-7 needs sign-off by deployment-lead before ${dueBy}`,
  });

  expect((await approve(h, id, 'full-shift')).body.stage.state).toBe('passed');
  await waitForRollout(h, id, 'completed');
  await waitFor(() => cmms().length >= 3);
  const bySequence = [...cmms()].sort((a, b) => a.body.sequence - b.body.sequence);
  expect(bySequence.map((r) => r.body.type)).toEqual(['stage.awaiting-approval', 'stage.passed', 'rollout.completed']);

  const status = (await h.http('GET', `/v1/rollouts/${id}`)).body;
  expect(status.notifications.delivered).toBeGreaterThanOrEqual(3);
  expect(status.notifications.undelivered).toEqual(
    expect.arrayContaining([expect.objectContaining({ url: `${receiver.url}/dashboard`, state: 'failing', httpStatus: 503, eventType: 'stage.awaiting-approval' })]),
  );

  // What the receiver answered is for admins only; other callers see the status code and the times.
  const dashboard = (body: { notifications: { undelivered: Array<Record<string, unknown>> } }) =>
    body.notifications.undelivered.find((delivery) => delivery.url === `${receiver.url}/dashboard` && delivery.eventType === 'stage.awaiting-approval');
  expect(dashboard(status)).toMatchObject({ httpStatus: 503, lastError: 'HTTP 503', lastResponseExcerpt: 'refused (503)' });
  const lead = await h.as('dana', ['deployment-lead']);
  const seen = dashboard((await h.http('GET', `/v1/rollouts/${id}`, undefined, lead)).body);
  expect(seen).toEqual({
    deliveryId: expect.any(String),
    url: `${receiver.url}/dashboard`,
    eventType: 'stage.awaiting-approval',
    state: 'failing',
    attempts: expect.any(Number),
    httpStatus: 503,
    lastError: 'HTTP 503',
    lastErrorType: 'WebhookDeliveryFailed',
    firstAttemptAt: expect.any(String),
    lastAttemptAt: expect.any(String),
  });
  expect(JSON.stringify(seen)).not.toContain('refused');
});

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !predicate(); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!predicate()) throw new Error('condition not met within 10 s');
}

it('tells the operators\' systems about deferred decisions and how they end', async () => {
  const yaml = `
name: notified-decisions
owner: lena
roles:
  deployment-lead: { members: [lena] }
  transport-planner: { members: [pat] }
  transport-team-lead: { members: [tess] }
notifications:
  - url: ${receiver.url}/wms
    secretEnv: ROLLGATE_WEBHOOK_SECRET_CMMS
    events: [decision.deferred, decision.resolved]
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, irreversible: true, safeDefault: hold, deferTo: transport-planner }
`;
  const id = await startRollout(h, yaml, 'notified-2');
  await waitForStage(h, id, 'supervised', 'running');
  // Decisions are routed by the registry, which follows the workflow's trail.
  await waitForActiveStages(h, id, ['supervised']);
  const decideBy = new Date(Date.now() + 3_600_000).toISOString();
  const deferred = await submitDecision(h, id, 'load-4711', { confidence: 0.55, irreversible: true, decideBy });
  expect(deferred.body.disposition).toBe('deferred');
  const wms = () => receiver.received.filter((r) => r.path === '/wms');
  await waitFor(() => wms().length >= 1);
  expect(wms()[0]!.check.valid).toBe(true);
  expect(wms()[0]!.body).toMatchObject({
    type: 'decision.deferred',
    decisionId: 'load-4711',
    dueBy: decideBy,
    role: 'transport-planner',
    taskUrl: '/v1/decisions/load-4711',
    action: `Decide carrier-selection load-4711 (model confidence 0.55 below 0.8): transport-planner accepts, modifies or rejects it before ${decideBy}`,
  });

  const resolved = await h.http('POST', '/v1/decisions/load-4711/resolution', { resolution: 'accept', reason: 'carrier confirmed capacity' }, await h.as('pat', []));
  expect(resolved.status).toBe(200);
  await waitFor(() => wms().length >= 2);
  expect(wms()[1]!.body).toMatchObject({ type: 'decision.resolved', action: 'carrier-selection load-4711 was resolved (accept) by pat' });
});
