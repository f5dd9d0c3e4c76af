import { startApiServer } from '../../api/server';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startHarness, type Harness } from '../support/harness';

/** Small budgets, so that a test can spend one: requests per minute. */
const LIMITS = { principal: 5, ingest: 20, unauthenticated: 3 };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ api: { rateLimits: LIMITS } });
});
afterAll(() => h?.close());

describe('security headers', () => {
  it('answers /v1 with nosniff, a CSP that forbids framing, and no-store; errors too', async () => {
    const reader = await h.as('header-reader', []);
    const answers = [await h.http('GET', '/v1/plans', undefined, reader), await h.http('GET', '/v1/plans/none', undefined, reader)];
    expect(answers.map((answer) => answer.status)).toEqual([200, 404]);
    for (const { headers } of answers) expectSecurityHeaders(headers);
    const health = await h.http('GET', '/healthz');
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('rate limits', () => {
  it('answers a principal over its budget 429 with Retry-After, and no one else', async () => {
    const reader = await h.as('eager-reader', []);
    const statuses: number[] = [];
    for (let i = 0; i <= LIMITS.principal; i += 1) statuses.push((await h.http('GET', '/v1/plans', undefined, reader)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const refused = await h.http('GET', '/v1/rollouts', undefined, reader);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:rollgate:problem:too-many-requests', status: 429 });
    expect(refused.body.detail).toMatch(/more than 5 requests a minute from this principal/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(refused.body.retryAfter).toBe(retryAfter);

    expect((await h.http('GET', '/v1/plans', undefined, await h.as('patient-reader', []))).status).toBe(200);
  });

  it('gives evidence and decisions a budget of their own, larger than the rest', async () => {
    const mes = await h.as('line-mes', [], 'service');
    const ingest: number[] = [];
    for (let i = 0; i <= LIMITS.ingest; i += 1) {
      const path = i % 2 === 0 ? '/v1/rollouts/no-such-rollout/metrics' : '/v1/rollouts/no-such-rollout/decisions';
      ingest.push((await h.http('POST', path, {}, mes)).status);
    }
    // Each is refused for its body or rollout, but counted: the 21st is over the ingest budget.
    expect(ingest.slice(0, LIMITS.ingest).every((status) => status !== 429)).toBe(true);
    expect(ingest[LIMITS.ingest]).toBe(429);
    // The other budget is untouched by all that.
    expect((await h.http('GET', '/v1/plans', undefined, mes)).status).toBe(200);
  });

  // Last: once this address is over its budget of unauthenticated requests, it gets 429 for a minute.
  it('limits requests without a valid token per address, before authentication', async () => {
    const bad = { authorization: 'Bearer not-a-token' };
    const statuses: number[] = [];
    for (let i = 0; i <= LIMITS.unauthenticated; i += 1) statuses.push((await h.http('GET', '/v1/plans', undefined, bad)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const refused = await h.http('GET', '/v1/plans', undefined, bad);
    expect(refused.body.detail).toMatch(/without a valid token from this address/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expectSecurityHeaders(refused.headers);
  });
});

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(headers.get('cache-control')).toBe('no-store');
  expect(headers.get('x-powered-by')).toBeNull();
}

describe('HOST', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('listens on the address it names, and only there', async () => {
    const api = await startApiServer({
      temporalAddress: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS!,
      namespace: 'default',
      taskQueue: 'unused',
      databaseUrl: database.url,
      port: 0,
      host: '127.0.0.2',
    });
    try {
      const url = new URL(api.url);
      expect(url.hostname).toBe('127.0.0.2');
      expect((await fetch(`${api.url}/v1/plans`)).status).toBe(401);
      await expect(fetch(`http://127.0.0.1:${url.port}/v1/plans`)).rejects.toThrow();
    } finally {
      await api.stop();
    }
  });
});
