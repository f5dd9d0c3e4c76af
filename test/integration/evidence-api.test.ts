import { startHarness, type Harness } from '../support/harness';
import { startRollout } from '../support/rollouts';

let h: Harness;
let id: string;
beforeAll(async () => {
  h = await startHarness();
  id = await startRollout(h, PLAN, 'press-7');
});
afterAll(() => h?.close());

/** A shadow stage judged on a catalog metric and a guardrail; it runs for an hour, so it just waits. */
const PLAN = `
name: evidence
owner: maria
metrics:
  first-pass-yield: { unit: '%', direction: higher-is-better }
  scrap-rate: { unit: '%', direction: lower-is-better, guardrail: true }
stages:
  - id: shadow
    title: Single-shift shadow operation
    mode: shadow
    minDuration: 1h
    criteria:
      - { metric: first-pass-yield, threshold: 95, window: 7d }
      - { metric: scrap-rate, baseline: { window: 4w, maxRegression: 5% }, window: 7d }
    approvals: [{ role: deployment-lead }]
`;

const count = async (table: string): Promise<number> =>
  Number((await h.pool.query(`SELECT count(*) AS n FROM ${table} WHERE rollout_id = $1`, [id])).rows[0].n);

const sample = (metric: string, value: unknown, extra: Record<string, unknown> = {}) => ({ metric, value, observedAt: '2025-03-02T08:00:00Z', ...extra });

describe('POST /v1/rollouts/:id/metrics', () => {
  it('stores a batch, records who reported it, and counts a repeated sampleId once', async () => {
    const mes = await h.as('mes-line-7', [], 'service');
    const first = await h.http(
      'POST',
      `/v1/rollouts/${id}/metrics`,
      {
        samples: [
          sample('scrap-rate', 2.1, { sampleId: 's-1', scope: { site: 'plant-a', line: 'line-7' } }),
          sample('scrap-rate', 2.3, { sampleId: 's-2' }),
          sample('first-pass-yield', 96.5),
        ],
      },
      mes,
    );
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ rolloutId: id, received: 3, accepted: 3, duplicates: 0 });

    const again = await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [sample('scrap-rate', 2.1, { sampleId: 's-1' }), sample('scrap-rate', 2.0, { sampleId: 's-3' })] }, mes);
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ rolloutId: id, received: 2, accepted: 1, duplicates: 1 });

    const replay = await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [sample('scrap-rate', 2.1, { sampleId: 's-3' }), sample('scrap-rate', 2.1, { sampleId: 's-3' })] }, mes);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ rolloutId: id, received: 2, accepted: 0, duplicates: 2 });
    expect(await count('metric_samples')).toBe(4);

    const stored = (await h.http('GET', `/v1/rollouts/${id}/evidence?metric=scrap-rate`)).body.samples;
    expect(stored.map((s: { sampleId: string | null; value: number }) => [s.sampleId, s.value])).toEqual([
      ['s-1', 2.1],
      ['s-2', 2.3],
      ['s-3', 2.0],
    ]);
    expect(stored[0]).toEqual({
      seq: stored[0].seq,
      metric: 'scrap-rate',
      value: 2.1,
      observedAt: '2025-03-02T08:00:00.000Z',
      scope: { site: 'plant-a', line: 'line-7' },
      sampleId: 's-1',
      reportedBy: 'mes-line-7',
      recordedAt: expect.any(String),
    });
  });

  it('refuses unknown metrics by path, stores none of the batch, and suggests the near miss', async () => {
    const before = await count('metric_samples');
    const refused = await h.http('POST', `/v1/rollouts/${id}/metrics`, {
      samples: [sample('scrap-rate', 1), sample('scarp-rate', 1), sample('scrap-rate', 1), sample('oee', 70), sample('precision', 0.9)],
    });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors).toEqual([
      { path: 'samples[1].metric', message: 'unknown metric "scarp-rate" (did you mean "scrap-rate"?)' },
      { path: 'samples[3].metric', message: `unknown metric "oee": declare it in the plan's metrics catalog` },
      { path: 'samples[4].metric', message: "precision is derived from recommendations, their outcomes and operators' feedback; report those instead of samples" },
    ]);
    expect(refused.body.detail).toBe('3 of 5 samples name metrics this rollout takes no samples of; nothing was stored.');
    expect(await count('metric_samples')).toBe(before);
  });

  it('accepts samples of a built-in metric that is not derived', async () => {
    const stored = await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [sample('deferral-rate', 0.12)] });
    expect(stored.status).toBe(201);
  });

  it.each([
    ['"NaN"', 'Invalid input: expected number, received string'],
    ['"0.5"', 'Invalid input: expected number, received string'],
    ['1e999', 'Invalid input: expected number, received Infinity'],
    ['-1e999', 'Invalid input: expected number, received -Infinity'],
    ['null', 'Invalid input: expected number, received null'],
  ])('refuses a value of %s, storing nothing', async (raw, message) => {
    const before = await count('metric_samples');
    const body = `{"samples":[{"metric":"scrap-rate","value":1,"observedAt":"2025-03-02T08:00:00Z"},{"metric":"scrap-rate","value":${raw},"observedAt":"2025-03-02T08:00:00Z"}]}`;
    const refused = await h.http('POST', `/v1/rollouts/${id}/metrics`, body, { 'content-type': 'application/json' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ path: 'samples[1].value', message }]);
    expect(await count('metric_samples')).toBe(before);
  });

  it('names every malformed field by path', async () => {
    const refused = await h.http('POST', `/v1/rollouts/${id}/metrics`, {
      samples: [{ metric: 'scrap-rate', value: 1, observedAt: 'yesterday', sampleId: 'has space', colour: 'red' }],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['samples[0].observedAt', 'samples[0].sampleId', 'samples[0]']);
    expect((await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [] })).body.errors).toEqual([{ path: 'samples', message: 'send at least one sample' }]);
  });

  it('refuses a batch over the limit with 413, storing nothing', async () => {
    const before = await count('metric_samples');
    const samples = Array.from({ length: 1001 }, (_, i) => sample('scrap-rate', 2, { sampleId: `big-${i}`, observedAt: '2025-01-01T00:00:00Z' }));
    const refused = await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples });
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({
      type: 'urn:rollgate:problem:payload-too-large',
      detail: 'send at most 1000 samples per request; split the batch',
      errors: [{ path: 'samples', message: 'has 1001 samples; the limit is 1000' }],
    });
    expect(await count('metric_samples')).toBe(before);
    const full = await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: samples.slice(0, 1000) });
    expect(full.body).toEqual({ rolloutId: id, received: 1000, accepted: 1000, duplicates: 0 });
    expect(await count('metric_samples')).toBe(before + 1000);
  });

  it('answers 404 for an unknown rollout', async () => {
    const missing = await h.http('POST', '/v1/rollouts/nope/metrics', { samples: [sample('scrap-rate', 1)] });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('no rollout nope');
  });
});

describe('GET /v1/rollouts/:id/evidence', () => {
  it('filters by metric and time, and pages by seq', async () => {
    const other = await startRollout(h, PLAN, 'press-8');
    await h.http('POST', `/v1/rollouts/${other}/metrics`, {
      samples: [
        sample('scrap-rate', 1, { observedAt: '2025-03-01T00:00:00Z' }),
        sample('scrap-rate', 2, { observedAt: '2025-03-02T00:00:00Z' }),
        sample('first-pass-yield', 97, { observedAt: '2025-03-02T00:00:00Z' }),
        sample('scrap-rate', 3, { observedAt: '2025-03-03T00:00:00Z' }),
        sample('scrap-rate', 4, { observedAt: '2025-03-04T00:00:00Z' }),
      ],
    });
    const values = (body: { samples: Array<{ value: number }> }) => body.samples.map((s) => s.value);
    const window = await h.http('GET', `/v1/rollouts/${other}/evidence?metric=scrap-rate&from=2025-03-02T00:00:00Z&to=2025-03-04T00:00:00Z`);
    expect(values(window.body)).toEqual([2, 3]);
    const page1 = await h.http('GET', `/v1/rollouts/${other}/evidence?limit=2`);
    expect(values(page1.body)).toEqual([1, 2]);
    const page2 = await h.http('GET', `/v1/rollouts/${other}/evidence?limit=2&after=${page1.body.next}`);
    expect(values(page2.body)).toEqual([97, 3]);
    const page3 = await h.http('GET', `/v1/rollouts/${other}/evidence?limit=2&after=${page2.body.next}`);
    expect(page3.body).toEqual({ rolloutId: other, samples: [expect.objectContaining({ value: 4 })], next: null });
    expect((await h.http('GET', `/v1/rollouts/${other}/evidence?from=monday`)).body.errors).toEqual([
      { path: 'from', message: 'must be an ISO 8601 date-time with a zone, e.g. 2025-03-01T08:00:00Z' },
    ]);
  });
});

describe('recommendations, outcomes and feedback', () => {
  const rec = {
    recommendationId: 'rec-1',
    stageId: 'shadow',
    action: 'Inspect the bearing on unit 7 before the next scheduled downtime',
    dueBy: '2025-03-05T06:00:00Z',
    confidence: 0.82,
    scope: { site: 'plant-a', line: 'line-7' },
    issuedAt: '2025-03-02T08:00:00Z',
  };

  it('stores a recommendation once; a replay answers 200 and a different one with the same id 409', async () => {
    const model = await h.as('pdm-model', [], 'service');
    const created = await h.http('POST', `/v1/rollouts/${id}/recommendations`, rec, model);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      rolloutId: id,
      created: true,
      recommendation: { ...rec, dueBy: '2025-03-05T06:00:00.000Z', issuedAt: '2025-03-02T08:00:00.000Z', reportedBy: 'pdm-model', recordedAt: expect.any(String) },
    });
    const replay = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { ...rec, dueBy: '2025-03-05T07:00:00+01:00' }, model);
    expect(replay.status).toBe(200);
    expect(replay.body.created).toBe(false);
    const changed = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { ...rec, action: 'Replace the bearing on unit 7' }, model);
    expect(changed.status).toBe(409);
    expect(changed.body.detail).toBe('recommendation rec-1 already exists with different content');
    expect(await count('recommendations')).toBe(1);
  });

  it('needs a concrete action and a due time, later than its issue', async () => {
    const before = await count('recommendations');
    const vague = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { recommendationId: 'rec-vague', action: '   ' });
    expect(vague.status).toBe(422);
    expect(vague.body.errors).toEqual([
      { path: 'action', message: 'must not be blank' },
      { path: 'dueBy', message: 'Invalid input: expected string, received undefined' },
    ]);
    const late = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { ...rec, recommendationId: 'rec-late', dueBy: '2025-03-01T00:00:00Z' });
    expect(late.body.errors).toEqual([{ path: 'dueBy', message: 'must be later than issuedAt' }]);
    const { issuedAt: _issuedAt, ...undated } = rec;
    const overdue = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { ...undated, recommendationId: 'rec-overdue' });
    expect(overdue.body.errors).toEqual([{ path: 'dueBy', message: 'must be later than issuedAt (now, as issuedAt was not given)' }]);
    const stage = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { ...rec, recommendationId: 'rec-stage', stageId: 'shadw' });
    expect(stage.body.errors).toEqual([{ path: 'stageId', message: 'unknown stage "shadw" (did you mean "shadow"?)' }]);
    const confident = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { ...rec, recommendationId: 'rec-sure', confidence: 1.5 });
    expect(confident.body.errors.map((e: { path: string }) => e.path)).toEqual(['confidence']);
    expect(await count('recommendations')).toBe(before);
  });

  it('records one outcome per recommendation', async () => {
    const outcome = { occurred: true, observedAt: '2025-03-04T10:00:00Z', detail: 'outer race spalling found' };
    const created = await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/outcome`, outcome, await h.as('cmms', [], 'service'));
    expect(created.status).toBe(201);
    expect(created.body.outcome).toEqual({ recommendationId: 'rec-1', ...outcome, observedAt: '2025-03-04T10:00:00.000Z', reportedBy: 'cmms', recordedAt: expect.any(String) });
    expect((await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/outcome`, outcome)).status).toBe(200);
    const contradicting = await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/outcome`, { ...outcome, occurred: false });
    expect(contradicting.status).toBe(409);
    expect(contradicting.body.outcome.occurred).toBe(true);
    expect((await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-404/outcome`, outcome)).status).toBe(404);
    expect((await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/outcome`, { occurred: 'yes', observedAt: outcome.observedAt })).body.errors).toEqual([
      { path: 'occurred', message: 'Invalid input: expected boolean, received string' },
    ]);
    expect(await count('recommendation_outcomes')).toBe(1);
  });

  it('records feedback by the authenticated operator unless a service names them, overrides included', async () => {
    const ann = await h.as('ann', ['line-supervisor']);
    const deferred = await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/feedback`, { response: 'deferred', reason: 'line running a rush order', at: '2025-03-02T09:00:00Z' }, ann);
    expect(deferred.status).toBe(201);
    expect(deferred.body.feedback).toMatchObject({ recommendationId: 'rec-1', response: 'deferred', by: 'ann', reportedBy: 'ann', at: '2025-03-02T09:00:00.000Z' });
    const viaMes = await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/feedback`, { response: 'override', by: 'cid', at: '2025-03-02T10:00:00Z' }, await h.as('mes-line-7', [], 'service'));
    expect(viaMes.status).toBe(201);
    expect(viaMes.body.feedback).toMatchObject({ response: 'override', by: 'cid', reportedBy: 'mes-line-7' });
    const again = await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/feedback`, { response: 'deferred', reason: 'line running a rush order', at: '2025-03-02T09:00:00Z' }, ann);
    expect(again.status).toBe(200);
    expect(again.body.feedback.seq).toBe(deferred.body.feedback.seq);
    expect((await h.http('POST', `/v1/rollouts/${id}/recommendations/rec-1/feedback`, { response: 'ignored' }, ann)).body.errors).toEqual([
      { path: 'response', message: 'Invalid option: expected one of "acted"|"deferred"|"dismissed"|"override"' },
    ]);
    expect(await count('recommendation_feedback')).toBe(2);
  });

  it('records missed events once', async () => {
    const missed = { eventId: 'bd-991', observedAt: '2025-03-03T02:00:00Z', detail: 'gearbox seized on unit 3' };
    expect((await h.http('POST', `/v1/rollouts/${id}/missed-events`, missed)).status).toBe(201);
    expect((await h.http('POST', `/v1/rollouts/${id}/missed-events`, missed)).status).toBe(200);
    expect((await h.http('POST', `/v1/rollouts/${id}/missed-events`, { ...missed, detail: 'other' })).status).toBe(409);
    expect(await count('missed_events')).toBe(1);
  });
});

describe('routing and authentication', () => {
  it.each([
    ['POST', '/v1/rollouts/press-7/metrics'],
    ['GET', '/v1/rollouts/press-7/evidence'],
    ['GET', '/v1/rollouts/press-7/metrics/precision?from=2025-03-01T00:00:00Z'],
    ['POST', '/v1/rollouts/press-7/recommendations'],
    ['POST', '/v1/rollouts/press-7/recommendations/rec-1/outcome'],
    ['POST', '/v1/rollouts/press-7/recommendations/rec-1/feedback'],
    ['POST', '/v1/rollouts/press-7/missed-events'],
    ['GET', '/v1/rollouts/press-7/evaluations'],
  ])('%s %s answers 401 without a token', async (method, path) => {
    const before = await count('metric_samples');
    const missing = await h.http(method, path, method === 'POST' ? { samples: [sample('scrap-rate', 1)] } : undefined, { authorization: '' });
    expect(missing.status).toBe(401);
    expect(await count('metric_samples')).toBe(before);
  });

  it('leaves the rollout routes to the rollouts router', async () => {
    expect((await h.http('GET', `/v1/rollouts/${id}`)).body).toMatchObject({ rolloutId: id, plan: 'evidence' });
    expect((await h.http('GET', `/v1/rollouts/${id}/events`)).status).toBe(200);
    expect((await h.http('GET', `/v1/rollouts/${id}/nothing-here`)).status).toBe(404);
  });

  it('answers the aggregate of a metric over a window, and 404 for a metric the rollout does not record', async () => {
    const window = await h.http('GET', `/v1/rollouts/${id}/metrics/scrap-rate?from=2025-03-02T00:00:00Z&to=2025-03-03T00:00:00Z`);
    expect(window.body).toEqual({ rolloutId: id, metric: 'scrap-rate', from: '2025-03-02T00:00:00.000Z', to: '2025-03-03T00:00:00.000Z', value: 2.1333333333333333, samples: 3 });
    expect((await h.http('GET', `/v1/rollouts/${id}/metrics/oee?from=2025-03-02T00:00:00Z`)).status).toBe(404);
  });
});
