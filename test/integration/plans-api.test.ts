import fs from 'node:fs';
import path from 'node:path';
import { startHarness, type Harness } from '../support/harness';
import { planYaml } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const rowCount = async (table: string) => Number((await h.pool.query(`SELECT count(*) FROM ${table}`)).rows[0].count);

describe('plan storage through the REST API', () => {
  it('stores immutable versions identified by digest, idempotently', async () => {
    const v1 = await h.http('POST', '/v1/plans', planYaml('line-7', { pilot: [] }));
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ name: 'line-7', version: 1, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(v1.headers.get('location')).toBe('/v1/plans/line-7/versions/1');

    const again = await h.http('POST', '/v1/plans', `# same plan, new comment\n${planYaml('line-7', { pilot: [] })}`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, digest: v1.body.digest });

    const v2 = await h.http('POST', '/v1/plans', planYaml('line-7', { pilot: [], shadow: ['pilot'] }));
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);

    expect((await h.http('GET', '/v1/plans/line-7')).body).toMatchObject({ version: 2, plan: { stages: [{ id: 'pilot' }, { id: 'shadow' }] } });
    expect((await h.http('GET', '/v1/plans/line-7/versions/1')).body.plan.stages).toHaveLength(1);
    expect((await h.http('GET', '/v1/plans/line-7/versions')).body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect((await h.http('GET', '/v1/plans')).body.plans).toEqual([expect.objectContaining({ name: 'line-7', latestVersion: 2 })]);
    expect((await h.http('GET', '/v1/plans/line-7/versions/3')).status).toBe(404);
    expect((await h.http('GET', '/v1/plans/nope')).status).toBe(404);
  });

  it('accepts both example plans', async () => {
    for (const file of ['factory-line.yaml', 'logistics-carrier-selection.yaml']) {
      const yaml = fs.readFileSync(path.join(__dirname, '../../definitions/examples', file), 'utf8');
      const response = await h.http('POST', '/v1/plans', yaml);
      expect({ file, status: response.status }).toEqual({ file, status: 201 });
    }
  });

  it('rejects a bad plan with 422, line and column, and stores nothing', async () => {
    const before = [await rowCount('plans'), await rowCount('plan_versions')];
    const yaml = ['name: broken', 'owner: lead', 'stages:', '  - id: pilot', '    title: Pilot', '    mode: pilot', '    minDuration: six weeks', '    approvals: [{ role: lead }]', ''].join('\n');
    const response = await h.http('POST', '/v1/plans', yaml);
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:rollgate:problem:invalid-plan', status: 422 });
    expect(response.body.errors).toEqual([
      { line: 7, column: 18, path: 'stages[0].minDuration', message: expect.stringContaining('"six weeks" is not a duration') },
    ]);

    const malformed = await h.http('POST', '/v1/plans', 'name: x\nstages: [\n');
    expect(malformed.status).toBe(422);
    expect(malformed.body.errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect([await rowCount('plans'), await rowCount('plan_versions')]).toEqual(before);
  });

  it('wants YAML and says so', async () => {
    const response = await h.http('POST', '/v1/plans', { name: 'json' });
    expect(response.status).toBe(415);
    expect(response.body.detail).toBe('send the plan as YAML with Content-Type: application/yaml (got application/json)');
  });

  it('keeps plan versions and the audit trail append-only in the database', async () => {
    await expect(h.pool.query("UPDATE plan_versions SET source = 'x'")).rejects.toThrow('rows of plan_versions cannot be changed or removed');
    await expect(h.pool.query('DELETE FROM plan_versions')).rejects.toThrow('cannot be changed or removed');
    await h.pool.query(
      `INSERT INTO audit_events (event_id, rollout_id, plan_name, plan_version, type, occurred_at) VALUES ('e1', 'r', 'p', 1, 't', now())`,
    );
    await expect(h.pool.query("UPDATE audit_events SET type = 'forged'")).rejects.toThrow('rows of audit_events cannot be changed or removed');
    await expect(h.pool.query('TRUNCATE audit_events')).rejects.toThrow('cannot be changed or removed');
  });
});

describe('health', () => {
  it('reports both dependencies up', async () => {
    const response = await h.http('GET', '/healthz');
    expect(response.status).toBe(200);
    // The rollout sweep says when it last looked, once it has.
    const { checkedAt, ...stuck } = response.body.stuck;
    expect({ ...response.body, stuck }).toEqual({ status: 'ok', down: [], checks: { postgres: 'ok', temporal: 'ok' }, stuck: { count: 0, rollouts: [] } });
    if (checkedAt !== undefined) expect(Date.parse(checkedAt)).not.toBeNaN();
  });
});
