import { startHarness, type Harness } from '../support/harness';
import { planYaml, uploadPlan } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const trail = async (query = '') => {
  const answer = await h.http('GET', `/v1/audit${query}`);
  expect(answer.status).toBe(200);
  return answer.body as { events: Array<Record<string, unknown>>; next: number | null };
};

describe('refusals that belong to no rollout', () => {
  it('audits a refused plan upload and a refused rollout start, and stores nothing', async () => {
    const { name } = await uploadPlan(h, planYaml('audited-plan', { only: [] }));
    const viewer = await h.as('v.viewer', ['line-supervisor']);

    const upload = await h.http('POST', '/v1/plans', planYaml('sneaky-plan', { only: [] }), { ...viewer, 'x-request-id': 'upload-attempt-1' });
    expect(upload.status).toBe(403);
    const start = await h.http('POST', '/v1/rollouts', { plan: name, rolloutId: 'never' }, { ...viewer, 'x-request-id': 'start-attempt-1' });
    expect(start.status).toBe(403);
    expect((await h.http('GET', '/v1/plans/sneaky-plan')).status).toBe(404);
    expect((await h.http('GET', '/v1/rollouts/never')).status).toBe(404);

    const { events } = await trail();
    expect(events).toEqual([
      expect.objectContaining({
        type: 'plan.upload.denied',
        planName: null,
        actor: 'v.viewer',
        requestId: 'upload-attempt-1',
        reason: 'v.viewer needs the role deployment-lead for this',
      }),
      expect.objectContaining({
        type: 'rollout.start.denied',
        planName: 'audited-plan',
        actor: 'v.viewer',
        requestId: 'start-attempt-1',
        reason: 'v.viewer needs the role deployment-lead to start rollouts',
      }),
    ]);
    expect((await trail('?plan=audited-plan')).events.map((event) => event.type)).toEqual(['rollout.start.denied']);
    expect((await trail('?plan=sneaky-plan')).events).toEqual([]);
  });

  it('records every attempt, even under a repeated request id', async () => {
    const viewer = await h.as('r.repeater', ['line-supervisor']);
    const before = (await trail()).events.length;
    for (let i = 0; i < 2; i += 1) {
      expect((await h.http('POST', '/v1/plans', planYaml('again', { only: [] }), { ...viewer, 'x-request-id': 'same-id' })).status).toBe(403);
    }
    expect((await trail()).events.length).toBe(before + 2);
  });

  it('lets admins alone read the trail, and audits anyone else who tries', async () => {
    const lead = await h.as('l.lead', ['deployment-lead']);
    const refused = await h.http('GET', '/v1/audit', undefined, lead);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe('l.lead needs the role admin to read the audit trail');
    const { events } = await trail();
    expect(events[events.length - 1]).toMatchObject({ type: 'audit.read.denied', actor: 'l.lead', planName: null });
  });

  it('pages in order with after and next, and refuses a bad query with 422', async () => {
    const { events: all } = await trail();
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seqs = all.map((event) => event.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    const first = await trail('?limit=2');
    expect(first.events.map((event) => event.seq)).toEqual(seqs.slice(0, 2));
    expect(first.next).toBe(seqs[1]);
    const second = await trail(`?limit=2&after=${first.next}`);
    expect(second.events.map((event) => event.seq)).toEqual(seqs.slice(2, 4));
    const rest = await trail(`?after=${seqs[seqs.length - 1]}`);
    expect(rest).toEqual({ events: [], next: null });

    for (const query of ['?limit=0', '?after=-1', '?plan=Not%20A%20Name', '?what=1']) {
      const answer = await h.http('GET', `/v1/audit${query}`);
      expect(answer.status).toBe(422);
      expect(answer.body.errors[0].path).toMatch(/^(limit|after|plan|\(query\))$/);
    }
  });

  it('keeps the rows: the table refuses UPDATE and DELETE', async () => {
    await expect(h.pool.query(`UPDATE system_audit_events SET actor = 'someone-else'`)).rejects.toThrow(/cannot be changed or removed/);
    await expect(h.pool.query('DELETE FROM system_audit_events')).rejects.toThrow(/cannot be changed or removed/);
  });
});
