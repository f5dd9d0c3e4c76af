import fs from 'node:fs';
import path from 'node:path';
import { MAX_REPORTED_ISSUES, PlanLoader } from '../../api/plan-loader';
import { anchoredPlan, manyKeysPlan } from '../support/costly-plans';
import { startHarness, type Harness } from '../support/harness';

/**
 * Plan uploads are checked in worker threads: a costly plan neither stalls the API nor runs
 * past its CPU-time budget.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const FACTORY_LINE = fs.readFileSync(path.join(__dirname, '../../definitions/examples/factory-line.yaml'), 'utf8');

it('stores a plan checked in a worker thread as before', async () => {
  const upload = await h.http('POST', '/v1/plans', FACTORY_LINE);
  expect(upload.status).toBe(201);
  expect(upload.body).toMatchObject({ name: 'body-shop-defect-detection', version: 1 });
  const invalid = await h.http('POST', '/v1/plans', 'name: broken\nowner: x\nstages: []\n');
  expect(invalid.status).toBe(422);
  expect(invalid.body.errors[0]).toMatchObject({ path: 'stages', line: 3 });
});

it('answers other requests while a costly upload is being checked', async () => {
  const started = Date.now();
  let uploadTook: number | undefined;
  const upload = h.http('POST', '/v1/plans', anchoredPlan()).finally(() => {
    uploadTook = Date.now() - started;
  });
  // Health checks one after another for as long as the upload runs. Were the plan loaded on
  // the event loop, one of them would wait about as long as the upload itself.
  let slowestHealth = 0;
  let answeredMeanwhile = 0;
  while (uploadTook === undefined) {
    const sent = Date.now();
    const health = await h.http('GET', '/healthz');
    expect(health.status).toBe(200);
    slowestHealth = Math.max(slowestHealth, Date.now() - sent);
    if (uploadTook === undefined) answeredMeanwhile += 1;
  }
  const refused = await upload;
  expect(refused.status).toBe(422);
  expect(refused.body.errors).toHaveLength(MAX_REPORTED_ISSUES);
  expect(refused.body.detail).toMatch(/^the plan has \d{5,} errors, the first 100 listed; nothing was stored$/);
  expect(answeredMeanwhile).toBeGreaterThan(1);
  expect(slowestHealth / uploadTook!).toBeLessThan(0.5);
}, 60_000);

it('refuses a plan over the CPU-time budget with 422 at no position, and stays usable', async () => {
  const upload = await h.http('POST', '/v1/plans', manyKeysPlan());
  expect(upload.status).toBe(422);
  expect(upload.body.detail).toBe('the plan took too long to parse; nothing was stored');
  expect(upload.body.errors).toEqual([{ path: '', message: expect.stringMatching(/^the plan took too long to parse: more than 2000 ms of CPU/) }]);
  expect((await h.http('GET', '/v1/plans/many-keys')).status).toBe(404);
  // The thread that ran over was replaced.
  expect((await h.http('POST', '/v1/plans', FACTORY_LINE)).status).toBe(200);
}, 60_000);

describe('PlanLoader', () => {
  it('ends a load over its budget', async () => {
    const loader = new PlanLoader(100);
    try {
      expect(await loader.load(Buffer.from(anchoredPlan()), {})).toEqual({ ok: false, overBudget: true, budgetMs: 100 });
      expect(await loader.load(Buffer.from(FACTORY_LINE), {})).toMatchObject({ ok: true });
    } finally {
      await loader.close();
    }
  }, 60_000);
});
