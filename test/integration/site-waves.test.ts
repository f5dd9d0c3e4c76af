import { statusQuery } from '../../workflows/rollout/messages';
import { eventually, startHarness, type Harness } from '../support/harness';
import { approveSite, auditTrail, reportSiteMetric, startRollout, waitForRollout, waitForSite, waitForStage, type StatusBody } from '../support/rollouts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'site-waves-test-secret';
let h: Harness;
let receiver: WebhookReceiver;
beforeAll(async () => {
  h = await startHarness({ webhookSecrets: { ROLLGATE_WEBHOOK_SECRET_SITES: SECRET }, webhookAllow: '127.0.0.1' });
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

/** phasedPlan is a one-stage plan that runs per site; `forEach` and the stage's extra lines are spliced in. */
function phasedPlan(name: string, sites: string[], forEach: string, extra: string[] = [], head: string[] = []): string {
  return [
    `name: ${name}`,
    'owner: test-lead',
    'roles:',
    '  deployment-lead: { members: [dana] }',
    '  plant-manager: { members: [pat] }',
    '  plant-manager@plant-a: { members: [alice] }',
    '  plant-manager@plant-b: { members: [bob] }',
    ...head,
    'stages:',
    '  - id: phased',
    '    title: Phased deployment',
    '    mode: supervised',
    '    overrideAuthority: plant-manager',
    `    scope: { sites: [${sites.join(', ')}] }`,
    '    minDuration: 1s',
    '    approvals: [{ role: plant-manager }]',
    `    forEach: ${forEach}`,
    ...extra.map((line) => `    ${line}`),
    '',
  ].join('\n');
}

const CRITERIA = [
  'evaluationInterval: 1s',
  'criteria: [{ metric: defect-escape-rate, op: "<=", threshold: 1, window: 10m }]',
];
const METRICS = ['metrics:', '  defect-escape-rate: { unit: ppm, direction: lower-is-better }'];

const site = (status: StatusBody, name: string) => status.stages[0].sites.find((s: { site: string }) => s.site === name);

async function reportDefects(rolloutId: string, name: string, value: number) {
  const response = await reportSiteMetric(h, rolloutId, 'defect-escape-rate', name, value);
  expect(response.status).toBe(201);
}

describe('a forEach stage runs one child workflow per site, in waves', () => {
  it('runs three sites in two waves, each signed by its own site role, after a feedback cycle and a wave sign-off', async () => {
    const yaml = phasedPlan('phased-two-waves', ['plant-a', 'plant-b', 'plant-c'], '{ over: sites, waves: [1, rest], feedbackCycle: 2s, waveApprovals: [{ role: deployment-lead }] }', [], [
      'prerequisites:',
      '  - { id: training, kind: operator-training, title: Operators trained on site, before: phased, signedBy: plant-manager, perSite: true }',
    ]);
    const rolloutId = await startRollout(h, yaml, 'phased-1');

    // The wave plan shows at once; plant-a waits for its own training sign-off.
    let status = await waitForSite(h, rolloutId, 'phased', 'plant-a', 'waiting');
    expect(status.stages[0].waves.map((w: { sites: string[] }) => w.sites)).toEqual([['plant-a'], ['plant-b', 'plant-c']]);
    expect(Date.parse(status.stages[0].waves[1].expectedStart) - Date.parse(status.stages[0].waves[0].expectedStart)).toBe(3000);
    expect(status.prerequisites.map((p: { id: string; signedBy: string }) => `${p.id}:${p.signedBy}`)).toEqual([
      'training@plant-a:plant-manager@plant-a',
      'training@plant-b:plant-manager@plant-b',
      'training@plant-c:plant-manager@plant-c',
    ]);
    const wrongSigner = await h.http('POST', `/v1/rollouts/${rolloutId}/prerequisites/training@plant-a/sign-offs`, {}, await h.as('bob'));
    expect(wrongSigner.status).toBe(403);
    expect((await h.http('POST', `/v1/rollouts/${rolloutId}/prerequisites/training@plant-a/sign-offs`, {}, await h.as('alice'))).status).toBe(200);

    status = await waitForSite(h, rolloutId, 'phased', 'plant-a', 'awaiting-approval');
    expect(site(status, 'plant-b').state).toBe('pending');
    // Per-site authority: plant-b's manager cannot sign off plant-a; plant-a's can.
    const denied = await approveSite(h, rolloutId, 'phased', 'plant-a', 'bob');
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toContain('plant-manager@plant-a');
    const notStarted = await approveSite(h, rolloutId, 'phased', 'plant-b', 'bob');
    expect(notStarted.status).toBe(409);
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).body.stage.state).toBe('passed');

    // Wave 2 waits for the feedback cycle, then for the wave sign-off.
    status = await waitForStage(h, rolloutId, 'phased', 'awaiting-approval');
    const [wave1, wave2] = status.stages[0].waves;
    expect(wave1.state).toBe('passed');
    expect(wave2.state).toBe('awaiting-approval');
    expect(Date.parse(wave2.opensAt) - Date.parse(wave1.passedAt)).toBe(2000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(wave2.opensAt));
    const byManager = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/approvals`, { decision: 'approve' }, await h.as('alice'));
    expect(byManager.status).toBe(403);
    const byLead = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/approvals`, { decision: 'approve' }, await h.as('dana'));
    expect(byLead.status).toBe(200);
    expect(byLead.body.stage.state).toBe('running');

    for (const [name, signer] of [['plant-b', 'bob'], ['plant-c', 'pat']] as const) {
      await waitForSite(h, rolloutId, 'phased', name, 'waiting');
      expect((await h.http('POST', `/v1/rollouts/${rolloutId}/prerequisites/training@${name}/sign-offs`, {}, await h.as(signer))).status).toBe(200);
    }
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'awaiting-approval');
    await waitForSite(h, rolloutId, 'phased', 'plant-c', 'awaiting-approval');
    // plant-c has no role of its own in the plan: the base role's members sign it.
    expect((await approveSite(h, rolloutId, 'phased', 'plant-c', 'bob')).status).toBe(403);
    expect((await approveSite(h, rolloutId, 'phased', 'plant-b', 'bob')).status).toBe(200);
    expect((await approveSite(h, rolloutId, 'phased', 'plant-c', 'pat')).status).toBe(200);

    status = await waitForRollout(h, rolloutId, 'completed');
    expect(status.stages[0].state).toBe('passed');
    expect(status.stages[0].sites.map((s: { state: string }) => s.state)).toEqual(['passed', 'passed', 'passed']);
    expect(status.stages[0].waves.map((w: { state: string }) => w.state)).toEqual(['passed', 'passed']);

    const events = await eventually(async () => {
      const all = await auditTrail(h, rolloutId);
      return all.at(-1)?.type === 'rollout.completed' ? all : undefined;
    }, 'the rollout.completed event');
    const types = events.map((e) => (e.detail?.site ? `${e.type}@${String(e.detail.site)}` : e.type));
    expect(types.indexOf('wave.approved')).toBeGreaterThan(types.indexOf('wave.passed'));
    expect(types.indexOf('site.started@plant-b')).toBeGreaterThan(types.indexOf('wave.approved'));
    expect(types).toEqual(expect.arrayContaining(['stage.approved@plant-a', 'stage.approved@plant-b', 'stage.approved@plant-c', 'site.passed@plant-c']));
    expect(events.find((e) => e.type === 'stage.approved' && e.detail?.site === 'plant-b')!.actor).toBe('bob');
    expect(types.filter((t) => t === 'stage.passed')).toHaveLength(1);
    expect(types.at(-1)).toBe('rollout.completed');
  });

  it('answers a misspelt site 404, with the site it may have meant', async () => {
    const rolloutId = await startRollout(h, phasedPlan('phased-names', ['plant-a', 'plant-b'], '{ over: sites, waves: [rest] }'), 'phased-names-1');
    await waitForStage(h, rolloutId, 'phased', 'running');
    const misspelt = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/approvals`, { decision: 'approve', site: 'plnat-a' }, await h.as('alice'));
    expect(misspelt.status).toBe(404);
    expect(misspelt.body.detail).toBe('stage phased has no site plnat-a (did you mean "plant-a"?)');
    const far = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/approvals`, { decision: 'approve', site: 'depot-9' }, await h.as('alice'));
    expect(far.body.detail).toBe('stage phased has no site depot-9; its sites are plant-a, plant-b');
    const stage = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phasd/approvals`, { decision: 'approve', site: 'plant-a' }, await h.as('alice'));
    expect(stage.body.detail).toBe(`rollout ${rolloutId} has no stage phasd (did you mean "phased"?)`);
  });

  it('halt: a failing site stops new sites, running ones go on, and a retry-window reruns the failed site', async () => {
    const yaml = phasedPlan('phased-halt', ['plant-a', 'plant-b', 'plant-c'], '{ over: sites, waves: [2, rest], onSiteFailure: halt }', CRITERIA, METRICS);
    const rolloutId = await startRollout(h, yaml, 'phased-halt-1');
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'running');
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'running');
    await reportDefects(rolloutId, 'plant-a', 0.2);
    await reportDefects(rolloutId, 'plant-b', 7);

    let status = await waitForSite(h, rolloutId, 'phased', 'plant-b', 'failed');
    expect(site(status, 'plant-b').reason).toContain('defect-escape-rate');
    status = await waitForStage(h, rolloutId, 'phased', 'held');
    expect(status.stages[0].hold.cause).toBe('site-failed');
    // The running site goes on and can pass while the stage is held; plant-c does not start.
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).status).toBe(200);
    status = await waitForSite(h, rolloutId, 'phased', 'plant-a', 'passed');
    expect(site(status, 'plant-c').state).toBe('pending');
    expect(status.stages[0].waves[0].state).toBe('running');

    const retry = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/resolution`, { choice: 'retry-window', reason: 'sensor recalibrated' }, await h.as('dana'));
    expect(retry.status).toBe(200);
    status = await waitForSite(h, rolloutId, 'phased', 'plant-b', 'running');
    expect(site(status, 'plant-b').attempt).toBe(2);
    expect(site(status, 'plant-b').workflowId).toMatch(/#2$/);
    await reportDefects(rolloutId, 'plant-b', 0.1);
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-b', 'bob')).status).toBe(200);

    await waitForStage(h, rolloutId, 'phased', 'awaiting-approval');
    expect((await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/approvals`, { decision: 'approve' }, await h.as('pat'))).status).toBe(200);
    await waitForSite(h, rolloutId, 'phased', 'plant-c', 'running');
    await reportDefects(rolloutId, 'plant-c', 0.3);
    await waitForSite(h, rolloutId, 'phased', 'plant-c', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-c', 'pat')).status).toBe(200);
    await waitForRollout(h, rolloutId, 'completed');
    const types = (await auditTrail(h, rolloutId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['site.failed', 'stage.held', 'stage.resolved']));
    expect(types).not.toContain('stage.compensated');
  });

  it('rollback-site: only the failing site is compensated, and the other sites complete the stage', async () => {
    const yaml = phasedPlan('phased-rollback-site', ['plant-a', 'plant-b'], '{ over: sites, waves: [rest], onSiteFailure: rollback-site }', CRITERIA, [
      ...METRICS,
      'notifications:',
      `  - { url: "${receiver.url}/cmms", secretEnv: ROLLGATE_WEBHOOK_SECRET_SITES, events: [stage.compensate, site.failed] }`,
    ]);
    const rolloutId = await startRollout(h, yaml, 'phased-rollback-1');
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'running');
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'running');
    await reportDefects(rolloutId, 'plant-a', 9);
    await reportDefects(rolloutId, 'plant-b', 0.4);
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'rolled-back');
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-b', 'bob')).status).toBe(200);
    const status = await waitForRollout(h, rolloutId, 'completed');
    expect(status.stages[0].sites.map((s: { state: string }) => s.state)).toEqual(['rolled-back', 'passed']);

    const compensations = await eventually(async () => {
      const got = receiver.received.filter((r) => r.body?.type === 'stage.compensate');
      return got.length > 0 ? got : undefined;
    }, 'the compensation request');
    expect(compensations).toHaveLength(1);
    expect(compensations[0]!.body.site).toBe('plant-a');
    expect(String(compensations[0]!.body.action)).toContain('plant-a');
    const events = await auditTrail(h, rolloutId);
    expect(events.filter((e) => e.type === 'stage.compensated').map((e) => e.detail?.site)).toEqual(['plant-a']);
    expect(events.find((e) => e.type === 'stage.passed' && !e.detail?.site)!.detail).toEqual(expect.objectContaining({ rolledBack: ['plant-a'] }));
  });

  it('abort-all: a failing site aborts the rollout, and the sites still running are aborted with it', async () => {
    const yaml = phasedPlan('phased-abort-all', ['plant-a', 'plant-b'], '{ over: sites, waves: [rest], onSiteFailure: abort-all }', CRITERIA, METRICS);
    const rolloutId = await startRollout(h, yaml, 'phased-abort-all-1');
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'running');
    const running = await waitForSite(h, rolloutId, 'phased', 'plant-b', 'running');
    await reportDefects(rolloutId, 'plant-a', 12);

    const status = await waitForRollout(h, rolloutId, 'aborted');
    expect(status.stages[0].state).toBe('aborted');
    const bChild = h.temporal.workflow.getHandle(site(running, 'plant-b').workflowId);
    await eventually(async () => ((await bChild.describe()).status.name === 'COMPLETED' ? true : undefined), 'plant-b\'s child to end');
    expect((await bChild.result()).state).toBe('aborted');
    const events = await eventually(async () => {
      const all = await auditTrail(h, rolloutId);
      return all.some((e) => e.type === 'rollout.aborted' && !e.detail?.site) ? all : undefined;
    }, 'the rollout.aborted event');
    expect(events.find((e) => e.type === 'site.failed')!.detail).toEqual(expect.objectContaining({ site: 'plant-a', policy: 'abort-all' }));
    // The rollout compensates the stage as a whole; neither site compensates itself.
    expect(events.filter((e) => e.type === 'stage.compensated').map((e) => e.detail?.site)).toEqual([undefined]);
  });

  it('a forEach stage rolled back onto itself runs every site again, as new runs on fresh evidence', async () => {
    const yaml = phasedPlan('phased-rolled-back', ['plant-a', 'plant-b'], '{ over: sites, waves: [rest], onSiteFailure: halt }', CRITERIA, METRICS);
    const rolloutId = await startRollout(h, yaml, 'phased-rolled-back-1');
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'running');
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'running');
    await reportDefects(rolloutId, 'plant-b', 8);
    await waitForStage(h, rolloutId, 'phased', 'held');
    const rollback = await h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/resolution`, { choice: 'rollback', to: 'phased', reason: 'new camera firmware' }, await h.as('dana'));
    expect(rollback.status).toBe(200);

    const again = await waitForSite(h, rolloutId, 'phased', 'plant-b', 'running');
    expect(again.stages[0].attempt).toBe(2);
    expect(site(again, 'plant-b').workflowId).toBe(`rollout-${rolloutId}/phased@plant-b#2.1`);
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'running');
    for (const name of ['plant-a', 'plant-b']) await reportDefects(rolloutId, name, 0.2);
    await waitForSite(h, rolloutId, 'phased', 'plant-b', 'awaiting-approval');
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).status).toBe(200);
    expect((await approveSite(h, rolloutId, 'phased', 'plant-b', 'bob')).status).toBe(200);
    await waitForRollout(h, rolloutId, 'completed');
    const events = await auditTrail(h, rolloutId);
    expect(events.filter((e) => e.type === 'site.started').map((e) => e.detail?.workflowId)).toEqual(
      expect.arrayContaining([`rollout-${rolloutId}/phased@plant-a#2.1`, `rollout-${rolloutId}/phased@plant-b#2.1`]),
    );
    expect(events.some((e) => e.type === 'rollout.aborted')).toBe(false);
  });

  it('pausing the rollout pauses its sites: no site takes sign-off until it resumes', async () => {
    const rolloutId = await startRollout(h, phasedPlan('phased-paused', ['plant-a'], '{ over: sites, waves: [rest] }'), 'phased-paused-1');
    const awaiting = await waitForSite(h, rolloutId, 'phased', 'plant-a', 'awaiting-approval');
    const child = h.temporal.workflow.getHandle(site(awaiting, 'plant-a').workflowId);
    const childState = (state: string) => eventually(async () => ((await child.query(statusQuery)).state === state ? true : undefined), `the site run to be ${state}`);
    expect((await h.http('POST', `/v1/rollouts/${rolloutId}/pause`, { reason: 'line stop at plant-a' }, await h.as('dana'))).status).toBe(200);
    await childState('paused');
    const refused = await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice');
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('paused');
    expect((await h.http('POST', `/v1/rollouts/${rolloutId}/resume`, {}, await h.as('dana'))).status).toBe(200);
    await childState('running');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).status).toBe(200);
    await waitForRollout(h, rolloutId, 'completed');
  });

  it('an escalation hold stops one site; resuming the rollout lets it go on', async () => {
    const yaml = phasedPlan('phased-site-hold', ['plant-a', 'plant-b'], '{ over: sites, waves: [rest] }', ['escalation: [{ after: 1s, action: hold }]']);
    const rolloutId = await startRollout(h, yaml, 'phased-site-hold-1');
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-b', 'bob')).status).toBe(200);
    const held = await eventually(async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      return site(body, 'plant-a').heldReason ? body : undefined;
    }, 'plant-a to be held');
    expect(held.state).toBe('running');
    expect(site(held, 'plant-a').heldReason).toContain('not complete after 1s');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).status).toBe(409);

    expect((await h.http('POST', `/v1/rollouts/${rolloutId}/resume`, { reason: 'plant-a manager back from leave' }, await h.as('dana'))).status).toBe(200);
    await eventually(async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      return site(body, 'plant-a').heldReason === undefined ? true : undefined;
    }, 'plant-a to be resumed');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).status).toBe(200);
    await waitForRollout(h, rolloutId, 'completed');
  });

  it('starts a site only inside its execution window, in the site\'s time zone', async () => {
    // A one-minute window opening at the next minute boundary (the one after, when that is too close).
    const minute = 60_000;
    let opensAt = Math.ceil(Date.now() / minute) * minute;
    if (opensAt - Date.now() < 5_000) opensAt += minute;
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const yaml = phasedPlan('phased-window', ['plant-a'], '{ over: sites, waves: [rest] }', [], [
      'sites:',
      `  plant-a: { timeZone: UTC, executionWindows: [{ days: [mon, tue, wed, thu, fri, sat, sun], from: "${hhmm(opensAt)}", to: "${hhmm(opensAt + minute)}", description: early shift }] }`,
    ]);
    const rolloutId = await startRollout(h, yaml, 'phased-window-1');
    const waiting = await waitForSite(h, rolloutId, 'phased', 'plant-a', 'starting');
    await eventually(async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      return site(body, 'plant-a').notBefore === new Date(opensAt).toISOString() ? body : undefined;
    }, 'the site to show when its window opens');
    expect(site(waiting, 'plant-a').state).toBe('starting');

    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'running', 90_000);
    expect(Date.now()).toBeGreaterThanOrEqual(opensAt);
    const started = (await auditTrail(h, rolloutId)).find((e) => e.type === 'stage.started' && e.detail?.site === 'plant-a')!;
    expect(Date.parse(started.occurredAt)).toBeGreaterThanOrEqual(opensAt);
    expect((await auditTrail(h, rolloutId)).find((e) => e.type === 'site.waiting-for-window')!.detail).toEqual(
      expect.objectContaining({ site: 'plant-a', opensAt: new Date(opensAt).toISOString() }),
    );
    await waitForSite(h, rolloutId, 'phased', 'plant-a', 'awaiting-approval');
    expect((await approveSite(h, rolloutId, 'phased', 'plant-a', 'alice')).status).toBe(200);
    await waitForRollout(h, rolloutId, 'completed');
  }, 120_000);
});
