import { startHarness, type Harness } from '../support/harness';
import { auditTrail, planYaml, prerequisitePlanYaml, startRollout, waitForRollout, waitForStage } from '../support/rollouts';

/** Idempotency-Key on the human actions: the same key with the same request answers the first answer; with another, 422. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const keyed = (key: string) => ({ 'idempotency-key': key });

const PREREQUISITE_PLAN = prerequisitePlanYaml('idempotent-prerequisite');

it('answers a repeated sign-off with its first answer, and refuses the key for a different decision', async () => {
  const id = await startRollout(h, planYaml('idempotent-approval', { pilot: [] }), 'idempotent-approval');
  await waitForStage(h, id, 'pilot', 'awaiting-approval');
  const dana = { ...(await h.as('dana')), ...keyed('dana-pilot-1') };
  const path = `/v1/rollouts/${id}/stages/pilot/approvals`;

  const first = await h.http('POST', path, { decision: 'approve', comment: 'looks good' }, dana);
  expect(first.status).toBe(200);
  await waitForRollout(h, id, 'completed');
  const trail = (await auditTrail(h, id)).length;

  const rejection = await h.http('POST', path, { decision: 'reject', comment: 'changed my mind' }, dana);
  expect(rejection.status).toBe(422);
  expect(rejection.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(rejection.body).toMatchObject({ reason: 'IdempotencyKeyReused', idempotencyKey: 'dana-pilot-1' });
  expect(rejection.body.errors).toEqual([{ path: '(header) Idempotency-Key', message: expect.stringContaining('different request') }]);

  // Key order does not make a different request; the first answer comes back even once the rollout has completed.
  const retry = await h.http('POST', path, { comment: 'looks good', decision: 'approve' }, dana);
  expect(retry).toMatchObject({ status: 200, body: first.body });
  expect((await auditTrail(h, id)).length).toBe(trail);

  // Another principal's key of the same name is a key of its own.
  const erin = await h.http('POST', path, { decision: 'reject', comment: 'no' }, { ...(await h.as('erin')), ...keyed('dana-pilot-1') });
  expect(erin.status).not.toBe(422);
});

it('holds prerequisite sign-offs, overrides and resolutions to the same rule', async () => {
  const id = await startRollout(h, PREREQUISITE_PLAN, 'idempotent-prerequisite');
  const dana = { ...(await h.as('dana')), ...keyed('contract-1') };
  const path = `/v1/rollouts/${id}/prerequisites/data-contract/sign-offs`;
  const first = await h.http('POST', path, { evidence: 'https://wiki.example.com/contract', comment: 'v1' }, dana);
  expect(first.status).toBe(200);
  const keys = Number((await h.pool.query('SELECT count(*) FROM idempotency_keys')).rows[0].count);

  const other = await h.http('POST', path, { evidence: 'https://wiki.example.com/contract', comment: 'v2' }, dana);
  expect(other.status).toBe(422);
  expect(other.body.reason).toBe('IdempotencyKeyReused');
  const again = await h.http('POST', path, { evidence: 'https://wiki.example.com/contract', comment: 'v1' }, dana);
  expect(again).toMatchObject({ status: 200, body: first.body });

  // The same key on another endpoint is another request too.
  const override = await h.http('POST', `/v1/rollouts/${id}/stages/pilot/overrides`, { reason: 'x' }, dana);
  expect(override.status).toBe(422);
  expect(override.body.reason).toBe('IdempotencyKeyReused');
  expect(Number((await h.pool.query('SELECT count(*) FROM idempotency_keys')).rows[0].count)).toBe(keys);
});

it('frees a key whose request was refused, and refuses a malformed key naming the header', async () => {
  const id = await startRollout(h, planYaml('idempotent-refused', { pilot: [] }, '3s'), 'idempotent-refused');
  await waitForStage(h, id, 'pilot', 'running');
  const dana = { ...(await h.as('dana')), ...keyed('early') };
  const path = `/v1/rollouts/${id}/stages/pilot/approvals`;
  const early = await h.http('POST', path, { decision: 'approve' }, dana);
  expect(early.status).toBe(409);
  await waitForStage(h, id, 'pilot', 'awaiting-approval');
  const rejection = await h.http('POST', path, { decision: 'reject', comment: 'not ready' }, dana);
  expect(rejection.status).toBe(200);

  const malformed = await h.http('POST', path, { decision: 'approve' }, { ...(await h.as('dana')), 'idempotency-key': 'has spaces' });
  expect(malformed.status).toBe(422);
  expect(malformed.body.errors).toEqual([{ path: '(header) Idempotency-Key', message: expect.any(String) }]);
});
