import { gzipSync } from 'node:zlib';
import { inAnHour, submitDecision, waitForActiveStages } from '../support/decisions';
import { eventually, startHarness, type Harness, type HttpResult } from '../support/harness';
import { auditTrail, planYaml, prerequisitePlanYaml, startRollout, uploadPlan } from '../support/rollouts';

/** Bad input of every class is a 4xx problem that says where, and writes nothing. */

let h: Harness;
let admin: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.as('admin', ['admin']);
});
afterAll(() => h?.close());

const TABLES = ['plans', 'plan_versions', 'rollouts', 'audit_events', 'decisions', 'decision_outcomes', 'metric_samples', 'idempotency_keys'];

/** rowCounts counts the rows of every table bad input could reach. */
const rowCounts = async () =>
  Object.fromEntries(await Promise.all(TABLES.map(async (table) => [table, Number((await h.pool.query(`SELECT count(*) FROM ${table}`)).rows[0].count)])));

/** raw sends body bytes exactly as given, with only the headers given (and the admin's token). */
async function raw(method: string, path: string, body: string | Uint8Array | undefined, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(`${h.url}${path}`, { method, headers: { ...admin, ...headers }, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const expectProblem = (response: HttpResult, status: number) => {
  expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
};

/** One supervised stage that runs for an hour and takes decisions. */
const DECISIONS_PLAN = `
name: input-decisions
owner: lena
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: deployment-lead
    minDuration: 1h
    approvals: [{ role: deployment-lead }]
    deferral: { confidenceThreshold: 0.8, safeDefault: hold, deferTo: deployment-lead }
`;

/** Every JSON endpoint that takes a POST body. */
const JSON_POSTS = [
  '/v1/rollouts',
  '/v1/rollouts/r/stages/s/approvals',
  '/v1/rollouts/r/stages/s/overrides',
  '/v1/rollouts/r/stages/s/resolution',
  '/v1/rollouts/r/prerequisites/p/sign-offs',
  '/v1/rollouts/r/pause',
  '/v1/rollouts/r/resume',
  '/v1/rollouts/r/abort',
  '/v1/rollouts/r/stages/s/reviews/1/sign',
  '/v1/rollouts/r/stages/s/model-versions',
  '/v1/rollouts/r/metrics',
  '/v1/rollouts/r/recommendations',
  '/v1/rollouts/r/recommendations/x/outcome',
  '/v1/rollouts/r/recommendations/x/feedback',
  '/v1/rollouts/r/missed-events',
  '/v1/rollouts/r/decisions',
  '/v1/decisions/d/resolution',
  '/v1/decisions/d/outcome',
  '/v1/rollouts/r/stages/s/calibrations',
  '/v1/rollouts/r/stages/s/calibrations/c/approvals',
];

describe('the URL', () => {
  it('answers a bad percent-encoding in a path parameter with 400', async () => {
    for (const path of ['/v1/rollouts/%ZZ', '/v1/plans/%E0%A4%A', '/v1/decisions/%ZZ']) {
      const response = await h.http('GET', path);
      expectProblem(response, 400);
      expect(response.body.errors).toEqual([{ path: '(path)', message: expect.stringContaining('percent-encoded') }]);
    }
  });

  it('refuses U+0000 in a path parameter, naming it', async () => {
    const plan = await h.http('GET', '/v1/plans/a%00b');
    expectProblem(plan, 400);
    expect(plan.body.errors).toEqual([{ path: '(path) name', message: expect.stringContaining('U+0000') }]);
    const rollout = await h.http('GET', '/v1/rollouts/a%00b/events');
    expect(rollout.body.errors[0].path).toBe('(path) id');
    const decision = await h.http('GET', '/v1/decisions/x%00');
    expect(decision.body.errors[0].path).toBe('(path) decisionId');
  });

  it('refuses U+0000 in a query value, naming the parameter', async () => {
    for (const path of ['/v1/rollouts?plan=%00', '/v1/decisions?rolloutId=a%00', '/v1/rollouts?state=x%00y']) {
      const response = await h.http('GET', path);
      expectProblem(response, 422);
      expect(response.body.errors).toEqual([{ path: expect.stringMatching(/^(plan|rolloutId|state)$/), message: expect.stringContaining('U+0000') }]);
    }
  });

  it('holds plan version numbers to the integer column', async () => {
    const { name } = await uploadPlan(h, planYaml('input-versions', { pilot: [] }));
    const version = await h.http('GET', `/v1/plans/${name}/versions/99999999999`);
    expectProblem(version, 404);
    const diff = await h.http('GET', `/v1/plans/${name}/diff?from=1&to=2147483648`);
    expectProblem(diff, 422);
    expect(diff.body.errors).toEqual([{ path: 'to', message: 'must be a version number, a positive integer such as 1; got "2147483648"' }]);
  });
});

describe('the body as a whole', () => {
  it('answers a body that does not match its Content-Encoding with 400 on every JSON endpoint', async () => {
    const before = await rowCounts();
    for (const path of JSON_POSTS) {
      const response = await raw('POST', path, '{"plan":"x"}', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      expect({ path, status: response.status, errors: response.body.errors }).toEqual({ path, status: 400, errors: [{ path: '(body)', message: expect.stringContaining('Content-Encoding') }] });
    }
    const plan = await raw('POST', '/v1/plans', 'name: x\n', { 'content-type': 'application/yaml', 'content-encoding': 'gzip' });
    expectProblem(plan, 400);
    const unknown = await raw('POST', '/v1/rollouts', '{}', { 'content-type': 'application/json', 'content-encoding': 'snappy' });
    expectProblem(unknown, 415);
    expect(await rowCounts()).toEqual(before);
  });

  it('still reads a body that really is gzip', async () => {
    const response = await raw('POST', '/v1/rollouts', gzipSync('{"plan":"no-such-plan"}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expectProblem(response, 404);
  });

  it('says the body must be a JSON object, or which number is out of range', async () => {
    for (const [text, message] of [
      ['null', 'the body must be a JSON object, not null'],
      ['"x"', 'the body must be a JSON object, not string'],
      ['7', 'the body must be a JSON object, not number'],
      ['1e309', 'the body is a number out of range; it must be a JSON object'],
    ] as const) {
      const response = await raw('POST', '/v1/rollouts', text, { 'content-type': 'application/json' });
      expectProblem(response, 400);
      expect({ text, title: response.body.title, errors: response.body.errors }).toEqual({ text, title: 'Invalid request body', errors: [{ path: '(body)', message }] });
    }
    const malformed = await raw('POST', '/v1/rollouts', '{"plan":', { 'content-type': 'application/json' });
    expect(malformed.body).toMatchObject({ status: 400, title: 'Malformed JSON', errors: [{ path: '(body)' }] });
  });

  it('needs Content-Type: application/json for a JSON body', async () => {
    const before = await rowCounts();
    const none = await raw('POST', '/v1/rollouts', new TextEncoder().encode('{"plan":"x"}'));
    expectProblem(none, 415);
    expect(none.body.errors).toEqual([{ path: '(header) Content-Type', message: 'send the body as JSON with Content-Type: application/json (got no Content-Type)' }]);
    const text = await raw('POST', '/v1/rollouts/r/decisions', '{}', { 'content-type': 'text/plain' });
    expectProblem(text, 415);
    expect(text.body.detail).toContain('got text/plain');
    expect(await rowCounts()).toEqual(before);
  });

  it('reads plans as UTF-8 YAML only', async () => {
    const latin1 = await raw('POST', '/v1/plans', planYaml('input-latin1', { pilot: [] }), { 'content-type': 'application/yaml; charset=iso-8859-1' });
    expectProblem(latin1, 415);
    expect(latin1.body.errors[0].path).toBe('(header) Content-Type');
    const none = await raw('POST', '/v1/plans', new TextEncoder().encode(planYaml('input-none', { pilot: [] })));
    expectProblem(none, 415);
    const surrogate = await h.http('POST', '/v1/plans', planYaml('input-surrogate', { pilot: [] }).replace('title: Stage pilot', 'title: "Stage \\ud800"'));
    expectProblem(surrogate, 422);
    expect(surrogate.body.errors).toEqual([expect.objectContaining({ path: 'stages[0].title', line: 5, message: expect.stringContaining('lone UTF-16 surrogate') })]);
    expect((await h.http('GET', '/v1/plans/input-surrogate')).status).toBe(404);
  });
});

describe('values the database cannot store', () => {
  let rolloutId: string;
  beforeAll(async () => {
    rolloutId = await startRollout(h, DECISIONS_PLAN, 'input-values');
    await waitForActiveStages(h, rolloutId, ['supervised']);
  });

  it('refuses a version beyond the integer column', async () => {
    const before = await rowCounts();
    const response = await h.http('POST', '/v1/rollouts', { plan: 'input-decisions', version: 2147483648 });
    expectProblem(response, 422);
    expect(response.body.errors).toEqual([{ path: 'version', message: expect.stringContaining('2147483647') }]);
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses timestamps outside the years 1 to 9999', async () => {
    const decided = await submitDecision(h, rolloutId, 'input-auto', { confidence: 0.9 });
    expect(decided.status).toBe(201);
    const before = await rowCounts();
    const sample = await h.http('POST', `/v1/rollouts/${rolloutId}/metrics`, { samples: [{ metric: 'scrap-rate', value: 1, observedAt: '0000-01-01T00:00:00Z' }] });
    expectProblem(sample, 422);
    expect(sample.body.errors).toEqual([{ path: 'samples[0].observedAt', message: 'must be in the years 1 to 9999' }]);
    const window = await h.http('GET', `/v1/rollouts/${rolloutId}/evidence?from=0000-06-01T00:00:00Z`);
    expectProblem(window, 422);
    expect(window.body.errors[0].path).toBe('from');
    const outcome = await h.http('POST', '/v1/decisions/input-auto/outcome', { correct: true, observedAt: '0000-01-01T00:00:00Z' });
    expectProblem(outcome, 422);
    expect(outcome.body.errors).toEqual([{ path: 'observedAt', message: 'must be in the years 1 to 9999' }]);
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a lone surrogate in a JSON payload and in text', async () => {
    const before = await rowCounts();
    const decision = await raw(
      'POST',
      `/v1/rollouts/${rolloutId}/decisions`,
      `{"decisionId":"input-surrogate","kind":"carrier-selection","confidence":0.9,"decideBy":"${inAnHour()}","recommendation":{"note":"\\ud800"}}`,
      { 'content-type': 'application/json' },
    );
    expectProblem(decision, 422);
    expect(decision.body.errors).toEqual([{ path: 'recommendation.note', message: expect.stringContaining('lone UTF-16 surrogate') }]);
    const feedback = await raw('POST', `/v1/rollouts/${rolloutId}/missed-events`, '{"eventId":"e1","observedAt":"2025-01-01T00:00:00Z","detail":"x\\udc00"}', {
      'content-type': 'application/json',
    });
    expectProblem(feedback, 422);
    expect(feedback.body.errors[0].path).toBe('detail');
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses payloads nested too deep, and survives 3,000 levels', async () => {
    const before = await rowCounts();
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const decision = await raw(
      'POST',
      `/v1/rollouts/${rolloutId}/decisions`,
      `{"decisionId":"input-deep","kind":"carrier-selection","confidence":0.9,"decideBy":"${inAnHour()}","recommendation":${deep}}`,
      { 'content-type': 'application/json' },
    );
    expectProblem(decision, 422);
    expect(decision.body.errors).toEqual([{ path: `recommendation${'[0]'.repeat(32)}`, message: 'nests deeper than 32 levels' }]);
    const wide = await submitDecision(h, rolloutId, 'input-wide', { confidence: 0.9, recommendation: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])) });
    expectProblem(wide, 422);
    expect(wide.body.errors).toEqual([{ path: 'recommendation', message: 'has 1001 keys; at most 1000 are allowed' }]);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('links', () => {
  const PREREQUISITE_PLAN = prerequisitePlanYaml('input-links');

  it('takes only https: and http: links as prerequisite evidence', async () => {
    const rolloutId = await startRollout(h, PREREQUISITE_PLAN, 'input-links');
    const dana = await h.as('dana');
    // The workflow writes rollout.started on its own time; count the rows once it has.
    await eventually(async () => ((await auditTrail(h, rolloutId)).some((e) => e.type === 'rollout.started') ? true : undefined), 'rollout.started in the trail');
    const before = await rowCounts();
    for (const evidence of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'ftp://files.example.com/contract']) {
      const response = await h.http('POST', `/v1/rollouts/${rolloutId}/prerequisites/data-contract/sign-offs`, { evidence }, dana);
      expectProblem(response, 422);
      expect({ evidence, errors: response.body.errors }).toEqual({ evidence, errors: [{ path: 'evidence', message: 'must be an https: or http: URL' }] });
    }
    expect(await rowCounts()).toEqual(before);
    const signed = await h.http('POST', `/v1/rollouts/${rolloutId}/prerequisites/data-contract/sign-offs`, { evidence: 'https://wiki.example.com/contract' }, dana);
    expect(signed.status).toBe(200);
  });

  it('refuses a javascript: link in a plan, at its line', async () => {
    const yaml = PREREQUISITE_PLAN.replace('signedBy: deployment-lead', 'signedBy: deployment-lead\n    evidence: "javascript:alert(1)"').replace('input-links', 'input-links-plan');
    const response = await h.http('POST', '/v1/plans', yaml);
    expectProblem(response, 422);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'prerequisites[0].evidence', line: 9 })]);
  });
});
