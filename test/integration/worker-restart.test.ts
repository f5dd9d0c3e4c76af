import { startHarness, type Harness } from '../support/harness';
import { approve, planYaml, startRollout, trailWritten, waitForRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

it('survives a worker restart in the middle of a stage timer', async () => {
  const id = await startRollout(h, planYaml('restart', { pilot: [] }, '4s'));
  const running = await waitForStage(h, id, 'pilot', 'running');
  // The snapshot is written with the trail, after the workflow has moved on.
  await trailWritten(h, id);
  await h.stopWorker();

  // With no worker, the API falls back to the last snapshot the workflow stored.
  const offline = await h.http('GET', `/v1/rollouts/${id}`);
  expect(offline.body).toMatchObject({ source: 'snapshot', state: 'running', stages: [{ id: 'pilot', state: 'running' }] });
  await new Promise((resolve) => setTimeout(resolve, 4_500)); // the timer fires while no worker runs
  await h.startWorker();

  const status = await waitForStage(h, id, 'pilot', 'awaiting-approval');
  expect(status.stages[0].startedAt).toBe(running.stages[0].startedAt);
  await approve(h, id, 'pilot');
  await waitForRollout(h, id, 'completed');
});

it('answers an action no worker takes with 503 and Retry-After; its retry under the same Idempotency-Key gets the answer once a worker runs', async () => {
  const id = await startRollout(h, planYaml('no-worker', { pilot: [] }, '1h'));
  await waitForStage(h, id, 'pilot', 'running');
  await h.stopWorker();

  const key = { 'idempotency-key': 'pause-during-deploy' };
  const refused = await h.http('POST', `/v1/rollouts/${id}/pause`, { reason: 'line stop' }, key);
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('5');
  expect(refused.body).toMatchObject({ title: 'Rollout not answering', dependency: 'Temporal' });

  // Temporal keeps the request: the worker that comes back applies it, and the retry learns so.
  await h.startWorker();
  const retried = await h.http('POST', `/v1/rollouts/${id}/pause`, { reason: 'line stop' }, key);
  expect(retried.status).toBe(200);
  expect(retried.body).toEqual({ rolloutId: id, state: 'paused' });
}, 150_000);
