import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** The example factory plan as written, with its weeks shrunk to seconds and its sample counts to a few. */
function shrunkFactoryPlan(): string {
  const plan = parse(fs.readFileSync(path.join(__dirname, '../../definitions/examples/factory-line.yaml'), 'utf8'));
  plan.name = 'factory-example-shrunk';
  for (const stage of plan.stages) {
    stage.minDuration = '1s';
    if (stage.maxDuration) stage.maxDuration = '1h';
    stage.evaluationInterval = '1s';
    for (const criterion of stage.criteria ?? []) if (criterion.minSamples) criterion.minSamples = 3;
  }
  return stringify(plan);
}

it('advances the example factory plan only once its criteria pass on reported evidence', async () => {
  const id = await startRollout(h, shrunkFactoryPlan());
  const as = (name: string) => h.as(name, []);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].state).toBe('pending');
  const contract = await h.http('POST', `/v1/rollouts/${id}/prerequisites/image-data-contract/sign-offs`, {}, await as('y.tanaka'));
  expect(contract.status).toBe(200);

  await waitForStage(h, id, 'single-line-pilot', 'running');
  await eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].evaluation ? true : undefined), 'a first evaluation');
  await new Promise((resolve) => setTimeout(resolve, 1500)); // minDuration is over, yet no evidence: the pilot keeps running
  expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0]).toMatchObject({ state: 'running', evaluation: { verdict: 'inconclusive' } });

  const samples = [99.9, 99.8, 99.7].map((value, i) => ({ metric: 'image-capture-completeness', value, observedAt: new Date(Date.now() + i).toISOString() }));
  expect((await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples }, await h.as('line-camera-gateway', [], 'service'))).status).toBe(201);
  const awaiting = await waitForStage(h, id, 'single-line-pilot', 'awaiting-approval');
  expect(awaiting.stages[0].evaluation.criteria[0]).toMatchObject({ metric: 'image-capture-completeness', verdict: 'pass', value: 99.8, threshold: 99.5, samples: 3 });

  const sign = async (who: string) => h.http('POST', `/v1/rollouts/${id}/stages/single-line-pilot/approvals`, { decision: 'approve' }, await as(who));
  expect((await sign('c.weber')).status).toBe(403);
  expect((await sign('m.okafor')).body.stage.state).toBe('awaiting-approval');
  expect((await sign('j.brandt')).body.stage.state).toBe('passed');
  await waitForStage(h, id, 'single-shift-shadow', 'running');
});
