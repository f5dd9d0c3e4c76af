import { startHarness, type Harness } from '../support/harness';
import { approve, planYaml, startRollout, waitForRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

it('survives a worker restart in the middle of a stage timer', async () => {
  const id = await startRollout(h, planYaml('restart', { pilot: [] }, '4s'));
  const running = await waitForStage(h, id, 'pilot', 'running');
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
