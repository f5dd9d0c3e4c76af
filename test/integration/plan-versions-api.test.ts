import { planJsonSchema } from '../../definitions/json-schema';
import { startHarness, type Harness } from '../support/harness';
import { planYaml } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('GET /v1/plans/:name/diff', () => {
  beforeAll(async () => {
    for (const yaml of [
      planYaml('diffed', { pilot: [], shadow: ['pilot'] }),
      planYaml('diffed', { pilot: [], canary: ['pilot'], shadow: ['canary'] }),
      planYaml('diffed', { pilot: [], canary: ['pilot'], shadow: ['canary'] }, '2w'),
    ]) {
      expect((await h.http('POST', '/v1/plans', yaml)).status).toBe(201);
    }
  });

  it('reports an inserted stage as one addition, matched by stage id', async () => {
    const response = await h.http('GET', '/v1/plans/diffed/diff?from=1&to=2');
    expect(response.status).toBe(200);
    const canary = (await h.http('GET', '/v1/plans/diffed/versions/2')).body.plan.stages[1];
    expect(canary.id).toBe('canary');
    expect(response.body).toEqual({
      name: 'diffed',
      from: 1,
      to: 2,
      changes: [
        { path: 'stages[shadow].dependsOn', change: 'changed', from: ['pilot'], to: ['canary'] },
        { path: 'stages[canary]', change: 'added', to: canary },
      ],
    });
  });

  it('names changed fields by stage id, in plan order, in either direction', async () => {
    const changed = (from: string, to: string) => ['pilot', 'canary', 'shadow'].map((id) => ({ path: `stages[${id}].minDuration`, change: 'changed', from, to }));
    expect((await h.http('GET', '/v1/plans/diffed/diff?from=2&to=3')).body.changes).toEqual(changed('1s', '2w'));
    expect((await h.http('GET', '/v1/plans/diffed/diff?from=3&to=2')).body.changes).toEqual(changed('2w', '1s'));
    expect((await h.http('GET', '/v1/plans/diffed/diff?from=3&to=3')).body).toEqual({ name: 'diffed', from: 3, to: 3, changes: [] });
  });

  it('answers 404 for an unknown plan or version', async () => {
    const unknownPlan = await h.http('GET', '/v1/plans/nope/diff?from=1&to=2');
    expect(unknownPlan.status).toBe(404);
    expect(unknownPlan.body).toMatchObject({ type: 'urn:rollgate:problem:not-found', detail: 'no plan named nope' });
    const unknownVersion = await h.http('GET', '/v1/plans/diffed/diff?from=1&to=9');
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body.detail).toBe('plan diffed has no version 9');
  });

  it('answers 422 when from or to is not a positive integer', async () => {
    const response = await h.http('GET', '/v1/plans/diffed/diff?from=0&to=1.5');
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:rollgate:problem:invalid-request', title: 'Invalid query' });
    expect(response.body.errors).toEqual([
      { path: 'from', message: 'must be a version number, a positive integer such as 1; got "0"' },
      { path: 'to', message: 'must be a version number, a positive integer such as 1; got "1.5"' },
    ]);
    const missing = await h.http('GET', '/v1/plans/diffed/diff?from=1');
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ path: 'to', message: 'must be a version number, a positive integer such as 1; it is missing' }]);
    expect((await h.http('GET', '/v1/plans/diffed/diff?from=1&from=2&to=3')).status).toBe(422);
  });
});

describe('POST /v1/plans warnings', () => {
  it('lists each lint warning with its position and rule', async () => {
    const yaml = planYaml('warned', { pilot: [] });
    const response = await h.http('POST', '/v1/plans', yaml);
    expect(response.status).toBe(201);
    expect(response.body.warnings).toEqual([
      {
        line: 4,
        column: 5,
        path: 'stages[0]',
        message: 'stages[0]: stage "pilot" has no exit criteria, so only its duration and the sign-off decide when it passes [no-exit-criterion]',
        rule: 'no-exit-criterion',
      },
    ]);
  });
});

describe('GET /v1/schema/plan.json', () => {
  it('serves the plan JSON Schema as application/schema+json to authenticated callers', async () => {
    expect((await h.http('GET', '/v1/schema/plan.json', undefined, { authorization: '' })).status).toBe(401);
    const response = await h.http('GET', '/v1/schema/plan.json', undefined, await h.as('reader', []));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/schema+json; charset=utf-8');
    expect(response.body).toEqual(planJsonSchema());
  });
});
