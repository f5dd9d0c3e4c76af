import { startHarness, type Harness } from '../support/harness';
import { auditTrail, eventTypes, startRollout, waitForRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A plan with a decision-authority map: two line supervisors and a safety officer sign the gate. */
const PLAN = `
name: authority
owner: maria
roles:
  deployment-lead: { members: [maria] }
  line-supervisor: { members: [ann, cid, eve] }
  safety-officer: { members: [bob, eve] }
  plant-manager: { members: [pia] }
stages:
  - id: gate
    title: Full-shift operation on line 7
    mode: supervised
    overrideAuthority: line-supervisor
    minDuration: 1s
    approvals:
      - { role: line-supervisor, count: 2 }
      - { role: safety-officer }
    escalation:
      - { after: 2s, action: escalate, to: plant-manager }
      - { after: 30s, action: hold }
`;

const signOff = async (id: string, who: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  h.http('POST', `/v1/rollouts/${id}/stages/gate/approvals`, { decision: 'approve', ...body }, { ...(await h.as(who, [])), ...headers });

async function start(rolloutId: string): Promise<string> {
  const id = await startRollout(h, PLAN, rolloutId);
  await waitForStage(h, id, 'gate', 'awaiting-approval');
  return id;
}

describe('sign-off authority', () => {
  it('needs two line supervisors and a safety officer, counting a person once across roles', async () => {
    const id = await start('quorum');
    expect((await signOff(id, 'eve', { role: 'safety-officer' })).body.stage.state).toBe('awaiting-approval');
    const twice = await signOff(id, 'eve', { role: 'line-supervisor' });
    expect(twice.status).toBe(409);
    expect(twice.body.reason).toBe('AlreadySignedOff');
    expect((await signOff(id, 'ann')).body.stage.approvals.map((a: { role: string }) => a.role)).toEqual(['safety-officer', 'line-supervisor']);
    const last = await signOff(id, 'cid');
    expect(last.body.stage.state).toBe('passed');
    await waitForRollout(h, id, 'completed');
  });

  it('answers 403 to anyone outside the roles and audits the attempt', async () => {
    const id = await start('outsider');
    const denied = await signOff(id, 'zed');
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ reason: 'NotAuthorized', detail: 'zed holds none of the roles that sign off stage gate: line-supervisor, safety-officer' });
    const service = await h.http('POST', `/v1/rollouts/${id}/stages/gate/approvals`, { decision: 'approve' }, await h.as('mes', ['line-supervisor'], 'service'));
    expect(service.status).toBe(403);
    const events = await auditTrail(h, id);
    const attempts = events.filter((e: { type: string }) => e.type === 'stage.sign-off.denied');
    expect(attempts).toEqual([
      expect.objectContaining({ actor: 'zed', stageId: 'gate', requestId: denied.headers.get('x-request-id'), reason: denied.body.detail }),
      expect.objectContaining({ actor: 'mes', stageId: 'gate' }),
    ]);
  });

  it('denies self-approval by the person who started the rollout', async () => {
    const upload = await h.http('POST', '/v1/plans', PLAN.replace('members: [bob, eve]', 'members: [bob, eve, maria]'));
    const started = await h.http('POST', '/v1/rollouts', { plan: 'authority', version: upload.body.version, rolloutId: 'self' }, await h.as('maria'));
    expect(started.status).toBe(201);
    await waitForStage(h, 'self', 'gate', 'awaiting-approval');
    const self = await signOff('self', 'maria', { role: 'safety-officer' });
    expect(self.status).toBe(403);
    expect(self.body.reason).toBe('SelfApprovalDenied');
  });

  it('counts a retried request with the same Idempotency-Key once', async () => {
    const id = await start('retry');
    const first = await signOff(id, 'ann', {}, { 'idempotency-key': 'ann-gate-1' });
    const again = await signOff(id, 'ann', {}, { 'idempotency-key': 'ann-gate-1' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const status = (await h.http('GET', `/v1/rollouts/${id}`)).body;
    expect(status.stages[0].approvals).toHaveLength(1);
    const approved = (await auditTrail(h, id)).filter((e: { type: string }) => e.type === 'stage.approved');
    expect(approved).toHaveLength(1);
  });

  it('escalates after the deadline, and the escalated role may then approve', async () => {
    const id = await start('escalation');
    const early = await signOff(id, 'pia');
    expect(early.status).toBe(403);
    const status = await waitForStage(h, id, 'gate', 'awaiting-approval');
    await waitForEscalation(id);
    expect(status.stages[0].state).toBe('awaiting-approval');
    const escalated = await signOff(id, 'pia');
    expect(escalated.body.stage).toMatchObject({ state: 'passed', escalatedTo: ['plant-manager'], approvals: [{ approver: 'pia', role: 'plant-manager' }] });
    const types = (await auditTrail(h, id)).map((e: { type: string; role?: string }) => `${e.type}${e.role ? `:${e.role}` : ''}`);
    expect(types).toEqual(expect.arrayContaining(['stage.escalated:plant-manager', 'stage.approved:plant-manager', 'stage.passed']));
  });

  it('holds the rollout when the chain says so, until a deployment lead resumes it', async () => {
    const quick = PLAN.replace('name: authority', 'name: authority-hold').replace(
      /escalation:[\s\S]*$/,
      'escalation:\n      - { after: 1s, action: hold }\n',
    );
    const id = await startRollout(h, quick, 'held');
    const held = await waitForRollout(h, id, 'held');
    expect(held.heldReason).toBe('sign-off of stage gate is not complete after 1s');
    const refused = await signOff(id, 'ann');
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe('RolloutNotRunning');
    expect((await h.http('POST', `/v1/rollouts/${id}/resume`, { reason: 'supervisors are back from training' }, await h.as('maria', []))).status).toBe(200);
    await waitForRollout(h, id, 'running');
    expect((await signOff(id, 'ann')).status).toBe(200);
    const types = await eventTypes(h, id);
    expect(types).toEqual(expect.arrayContaining(['rollout.held', 'rollout.resumed']));
  });

  it('records overrides by the override authority only', async () => {
    const id = await start('overrides');
    const override = await h.http('POST', `/v1/rollouts/${id}/stages/gate/overrides`, { reason: 'model flagged a good weld', recommendationId: 'rec-17' }, await h.as('ann', []));
    expect(override.status).toBe(201);
    expect(override.body.stage.overrides).toEqual([expect.objectContaining({ by: 'ann', role: 'line-supervisor', recommendationId: 'rec-17' })]);
    expect((await h.http('POST', `/v1/rollouts/${id}/stages/gate/overrides`, { reason: 'x' }, await h.as('bob', []))).status).toBe(403);
  });
});

async function waitForEscalation(id: string): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    if (body.stages[0].escalatedTo.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('no escalation within 10 s');
}

describe('authentication on every endpoint but /healthz', () => {
  const endpoints: Array<[string, string]> = [
    ['GET', '/v1/plans'],
    ['GET', '/v1/schema/plan.json'],
    ['POST', '/v1/plans'],
    ['GET', '/v1/plans/authority'],
    ['GET', '/v1/rollouts'],
    ['POST', '/v1/rollouts'],
    ['GET', '/v1/rollouts/quorum'],
    ['GET', '/v1/rollouts/quorum/events'],
    ['POST', '/v1/rollouts/quorum/stages/gate/approvals'],
    ['POST', '/v1/rollouts/quorum/pause'],
    ['POST', '/v1/rollouts/quorum/resume'],
    ['POST', '/v1/rollouts/quorum/abort'],
  ];

  it.each(endpoints)('%s %s refuses a missing, malformed or revoked token with 401', async (method, path) => {
    const missing = await h.http(method, path, undefined, { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await h.http(method, path, undefined, { authorization: 'Bearer rgt_not-a-real-token' })).status).toBe(401);
    const revokedHeaders = await h.as('revoked-user', ['admin']);
    const { rows } = await h.pool.query("SELECT token_id FROM api_tokens WHERE principal = 'revoked-user'");
    await h.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE token_id = $1', [rows[0].token_id]);
    expect((await h.http(method, path, undefined, revokedHeaders)).status).toBe(401);
  });

  it('checks roles: uploads need deployment-lead, operator actions need the plan role', async () => {
    const operator = await h.as('op', ['line-supervisor']);
    expect((await h.http('POST', '/v1/plans', PLAN, operator)).status).toBe(403);
    expect((await h.http('POST', '/v1/rollouts', { plan: 'authority' }, operator)).status).toBe(403);
    expect((await h.http('POST', '/v1/rollouts', { plan: 'authority' }, await h.as('planner-service', [], 'service'))).status).toBe(201);
    expect((await h.http('GET', '/v1/rollouts/quorum', undefined, operator)).status).toBe(200);
    const pause = await h.http('POST', '/v1/rollouts/quorum/pause', {}, await h.as('ann', []));
    expect(pause.status).toBe(403);
    expect(pause.body.detail).toBe('ann does not hold deployment-lead for this plan, which may pause rollouts');
    expect((await h.http('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
  });
});
