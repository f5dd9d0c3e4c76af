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
  // The sign-off of a prerequisite of a later stage is written after the rollout's start in the
  // workflow's own trail: once it is, the workflow has run the pilot's gate, which holds it.
  const later = await h.http('POST', `/v1/rollouts/${id}/prerequisites/ot-integration-assessment/sign-offs`, {}, await as('g.petrov'));
  expect(later.status).toBe(200);
  expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].state).toBe('pending');
  const contract = await h.http('POST', `/v1/rollouts/${id}/prerequisites/image-data-contract/sign-offs`, {}, await as('y.tanaka'));
  expect(contract.status).toBe(200);

  await waitForStage(h, id, 'single-line-pilot', 'running');
  // An evaluation after minDuration is over, yet without evidence: the pilot keeps running.
  const evaluatedLate = await eventually(async () => {
    const pilot = (await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0];
    return pilot.evaluation && Date.parse(pilot.evaluation.evaluatedAt) >= Date.parse(pilot.endsNoEarlierThan) ? pilot : undefined;
  }, 'an evaluation after minDuration');
  expect(evaluatedLate).toMatchObject({ state: 'running', evaluation: { verdict: 'inconclusive' } });

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

/**
 * The example's per-site stage alone, as written but for its durations (seconds), its execution
 * windows (dropped: they would open days apart), its criteria (per-site evidence is covered
 * by site-waves.test.ts) and its rollback target (an earlier stage): the plants go live wave by wave, each trained and signed off by its
 * own people.
 */
function exampleSiteStage(): string {
  const plan = parse(fs.readFileSync(path.join(__dirname, '../../definitions/examples/factory-line.yaml'), 'utf8'));
  const stage = plan.stages.find((s: { id: string }) => s.id === 'site-by-site-deployment');
  Object.assign(stage, { dependsOn: [], minDuration: '1s', maxDuration: '1h', criteria: [], escalation: [], onFailure: 'hold' });
  stage.forEach.feedbackCycle = '1s';
  for (const site of Object.values(plan.sites) as Array<{ executionWindows?: unknown }>) delete site.executionWindows;
  plan.name = 'factory-example-sites';
  plan.prerequisites = plan.prerequisites.filter((p: { perSite?: boolean }) => p.perSite);
  plan.stages = [stage];
  return stringify(plan);
}

it('runs the example factory plan\'s last stage site by site, with feedback cycles and per-site authority', async () => {
  const id = await startRollout(h, exampleSiteStage());
  const as = (name: string) => h.as(name, []);
  const status = async () => (await h.http('GET', `/v1/rollouts/${id}`)).body;
  const siteState = async (site: string) => (await status()).stages[0].sites.find((s: { site: string }) => s.site === site).state;
  const signSite = async (site: string, who: string) =>
    h.http('POST', `/v1/rollouts/${id}/stages/site-by-site-deployment/approvals`, { decision: 'approve', site }, await as(who));
  const train = async (site: string, who: string) => h.http('POST', `/v1/rollouts/${id}/prerequisites/plant-operator-training@${site}/sign-offs`, {}, await as(who));
  const goLive = async (site: string, people: { trainer: string; manager: string; safety: string }) => {
    await eventually(async () => ((await siteState(site)) === 'waiting' ? true : undefined), `${site} to wait for its training`);
    expect((await train(site, people.trainer)).status).toBe(200);
    await eventually(async () => ((await siteState(site)) === 'awaiting-approval' ? true : undefined), `${site} to await its sign-off`);
    for (const who of [people.manager, people.safety, 'm.okafor']) expect((await signSite(site, who)).status).toBe(200);
  };
  const openWave = async () => {
    await waitForStage(h, id, 'site-by-site-deployment', 'awaiting-approval');
    for (const who of ['m.okafor', 'd.vogel']) {
      expect((await h.http('POST', `/v1/rollouts/${id}/stages/site-by-site-deployment/approvals`, { decision: 'approve' }, await as(who))).status).toBe(200);
    }
  };

  const first = await status();
  expect(first.stages[0].waves.map((w: { sites: string[] }) => w.sites)).toEqual([['plant-a'], ['plant-b', 'plant-c'], ['plant-d']]);
  // Plant B's training coordinator and manager have no say at plant A.
  await eventually(async () => ((await siteState('plant-a')) === 'waiting' ? true : undefined), 'plant-a to wait for its training');
  expect((await train('plant-a', 'z.nagy')).status).toBe(403);
  await goLive('plant-a', { trainer: 'e.fischer', manager: 'c.weber', safety: 'h.wagner' });
  await openWave();
  expect((await signSite('plant-b', 'c.weber')).status).toBe(409); // not trained yet, so not started
  await goLive('plant-b', { trainer: 'z.nagy', manager: 'n.jansen', safety: 'i.horvath' });
  await goLive('plant-c', { trainer: 'm.rivera', manager: 'f.moreau', safety: 'k.brooks' });
  await openWave();
  await eventually(async () => ((await siteState('plant-d')) === 'waiting' ? true : undefined), 'plant-d to wait for its training');
  expect((await train('plant-d', 'p.deshpande')).status).toBe(200);
  await eventually(async () => ((await siteState('plant-d')) === 'awaiting-approval' ? true : undefined), 'plant-d to await its sign-off');
  expect((await signSite('plant-d', 'n.jansen')).status).toBe(403);
  for (const who of ['b.schmidt', 'a.kulkarni', 'm.okafor']) expect((await signSite('plant-d', who)).status).toBe(200);

  const done = await eventually(async () => ((await status()).state === 'completed' ? status() : undefined), 'the rollout to complete');
  expect(done.stages[0].waves.map((w: { state: string }) => w.state)).toEqual(['passed', 'passed', 'passed']);
  const waves = done.stages[0].waves;
  for (const k of [1, 2]) expect(Date.parse(waves[k].opensAt) - Date.parse(waves[k - 1].passedAt)).toBe(1000);
}, 120_000);
