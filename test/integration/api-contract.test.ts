import { readFileSync } from 'node:fs';
import { OPENAPI_FILE } from '../../api/openapi-file';
import { startHarness, type Harness } from '../support/harness';
import { planYaml, prerequisitePlanYaml, startRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('the API contract', () => {
  it('serves the committed OpenAPI document without a token', async () => {
    const response = await fetch(`${h.url}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.text()).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
  });

  it('serves an interactive reference at /docs whose every asset comes from this server', async () => {
    const page = await fetch(`${h.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/script-src 'self'(;|$)/);
    expect(policy).toMatch(/connect-src 'self'/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/')).toBe(true);
      const response = await fetch(`${h.url}${asset}`);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
    }
    expect(await (await fetch(`${h.url}/docs/init.js`)).text()).toContain("url: '/v1/openapi.json'");
    // The API itself keeps its policy of no page resources at all.
    expect((await fetch(`${h.url}/v1/plans`)).headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('refuses a filter outside its allowed values, naming them, for every query parameter', async () => {
    const state = await h.http('GET', '/v1/rollouts?state=bogus');
    expect(state.status).toBe(422);
    expect(state.body.errors).toEqual([{ path: 'state', message: expect.stringMatching(/"running".*"completed".*"aborted"/) }]);
    const unknown = await h.http('GET', '/v1/rollouts?colour=red');
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].message).toMatch(/colour/);
    const limit = await h.http('GET', '/v1/rollouts?limit=0');
    expect(limit.status).toBe(422);
    expect(limit.body.errors[0].path).toBe('limit');
  });

  it('answers a rollout in the public model, without the fields only the workflow needs', async () => {
    const id = await startRollout(h, planYaml('contract-plan', { pilot: [] }, '1h'));
    await waitForStage(h, id, 'pilot', 'running');
    const listed = await h.http('GET', '/v1/rollouts?state=running&plan=contract-plan');
    expect(listed.body.rollouts).toEqual([expect.objectContaining({ rolloutId: id, state: 'running' })]);
    // A rollout's events take paging only: a filter of the rollout list is refused there.
    expect((await h.http('GET', `/v1/rollouts/${id}/events?state=running`)).status).toBe(422);
    const status = await h.http('GET', `/v1/rollouts/${id}`);
    expect(status.status).toBe(200);
    expect(status.body.stages[0]).toMatchObject({ id: 'pilot', attempt: 1, history: [] });
    expect(status.body.stages[0]).not.toHaveProperty('escalationsApplied');
    expect(status.body.stages[0]).not.toHaveProperty('evaluations');
  });

  it('pages the rollout list with the `next` of each page, and refuses an `after` that is none', async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push(await startRollout(h, planYaml('contract-pages', { pilot: [] }, '1h'), `contract-page-${n}`));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { rollouts: Array<{ rolloutId: string }>; next: string | null } } = await h.http(
        'GET',
        `/v1/rollouts?plan=contract-pages&limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.rollouts.map((rollout) => rollout.rolloutId));
      after = page.body.next;
      pages += 1;
    } while (after !== null && pages < 5);
    expect(pages).toBe(2);
    expect([...seen].sort()).toEqual([...ids].sort());
    const all = await h.http('GET', '/v1/rollouts?plan=contract-pages');
    expect(all.body).toEqual({ rollouts: expect.any(Array), next: null });
    expect(all.body.rollouts.map((rollout: { rolloutId: string }) => rollout.rolloutId)).toEqual(seen);
    for (const bad of ['12', 'not-a-cursor', Buffer.from('["yesterday","x"]').toString('base64url')]) {
      const refused = await h.http('GET', `/v1/rollouts?after=${bad}`);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([{ path: 'after', message: 'must be the `next` of a previous page of this list' }]);
    }
  });

  it('answers an unknown stage or role 404, with the near name it may have meant', async () => {
    const id = await startRollout(h, planYaml('contract-names', { pilot: [] }, '1h'));
    await waitForStage(h, id, 'pilot', 'running');
    const lead = await h.as('lee', ['deployment-lead']);
    const stage = await h.http('GET', `/v1/rollouts/${id}/stages/pilto/decision-metrics?from=2026-01-01T00:00:00Z`);
    expect(stage.status).toBe(404);
    expect(stage.body.detail).toBe('the plan has no stage pilto (did you mean "pilot"?)');
    const far = await h.http('GET', `/v1/rollouts/${id}/stages/canary/decision-metrics?from=2026-01-01T00:00:00Z`);
    expect(far.body.detail).toBe('the plan has no stage canary; its stages are pilot');
    const role = await h.http('POST', `/v1/rollouts/${id}/stages/pilot/approvals`, { decision: 'approve', role: 'deployment-leed' }, lead);
    expect(role.status).toBe(404);
    expect(role.body.detail).toBe(`the plan of rollout ${id} has no role deployment-leed (did you mean "deployment-lead"?)`);
    const review = await h.http('POST', `/v1/rollouts/${id}/stages/pilot/reviews/1/sign`, { role: 'qa' }, lead);
    expect(review.status).toBe(404);
    expect(review.body.detail).toBe(`the plan of rollout ${id} has no role qa; its roles are deployment-lead`);
    // A role the plan has, though not for this stage's state, is the workflow's to refuse.
    expect((await h.http('POST', `/v1/rollouts/${id}/stages/pilot/approvals`, { decision: 'approve', role: 'deployment-lead' }, lead)).status).toBe(409);
  });

  it('answers an unknown prerequisite 404, with the near name it may have meant', async () => {
    const id = await startRollout(h, prerequisitePlanYaml('contract-prereq'));
    const misspelt = await h.http('POST', `/v1/rollouts/${id}/prerequisites/data-contrct/sign-offs`, {}, await h.as('lee', ['deployment-lead']));
    expect(misspelt.status).toBe(404);
    expect(misspelt.body.detail).toBe('the plan has no prerequisite data-contrct (did you mean "data-contract"?)');
  });
});
