import { eventually, startHarness, type Harness } from '../support/harness';
import { eventTypes, startRollout, waitForRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A rollout whose last stage is steady-state: reviews every 2 s, the lagging verdict after 6 s. */
const plan = (name: string) => `
name: ${name}
owner: maria
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pia] }
metrics:
  warranty-claims: { unit: ppm, direction: lower-is-better, kind: lagging }
stages:
  - id: rollout
    title: Full deployment
    mode: supervised
    overrideAuthority: plant-manager
    minDuration: 0s
    approvals: [{ role: deployment-lead }]
  - id: steady
    title: Steady-state operation
    dependsOn: [rollout]
    mode: autonomous
    minDuration: 0s
    criteria:
      - { metric: warranty-claims, threshold: 50, window: 400d }
    approvals: [{ role: plant-manager }]
    steadyState: { reviewEvery: 2s, horizon: 6s }
`;

const report = (id: string, value: number) =>
  h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [{ metric: 'warranty-claims', value, observedAt: new Date().toISOString() }] });

it.each([
  ['passes', 12, 'completed'],
  ['fails', 80, 'held'],
])('a steady-state stage runs its review calendar and %s on the lagging verdict at the horizon', async (_, claims, ending) => {
  const id = await startRollout(h, plan(`steady-${ending}`));
  await waitForStage(h, id, 'rollout', 'awaiting-approval');
  expect((await h.http('POST', `/v1/rollouts/${id}/stages/rollout/approvals`, { decision: 'approve' }, await h.as('dana'))).status).toBe(200);
  await waitForStage(h, id, 'steady', 'running');
  expect((await report(id, claims)).status).toBe(201);

  // The first review opens with the lagging KPI too early to judge, and is signed by the plant manager.
  const review = await eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}/stages/steady/steady-state`);
    return body.reviews?.[0];
  }, 'the first review');
  expect(review.verdicts).toEqual([expect.objectContaining({ metric: 'warranty-claims', verdict: 'too-early' })]);
  expect((await h.http('POST', `/v1/rollouts/${id}/stages/steady/reviews/1/sign`, {}, await h.as('dana', []))).status).toBe(403);
  expect((await h.http('POST', `/v1/rollouts/${id}/stages/steady/reviews/1/sign`, { comment: 'on track' }, await h.as('pia', []))).status).toBe(200);
  const midway = await eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    return body.stages[1].steadyState?.report?.laggingVerdict === 'too-early' ? body : undefined;
  }, 'the parent to show the steady-state report');
  expect(midway.stages[1].state).toBe('running');

  // A failing lagging verdict applies onFailure (hold by default): the stage is held, the rollout goes on running.
  const status = ending === 'completed' ? await waitForRollout(h, id, ending) : await waitForStage(h, id, 'steady', 'held', 30_000);
  if (ending === 'completed') {
    expect(status.stages[1]).toMatchObject({ state: 'passed', steadyState: { settled: 'passed' } });
  } else {
    expect(status.stages[1]).toMatchObject({ state: 'held', hold: { cause: 'criteria-failed' }, steadyState: { settled: 'failed' } });
    expect(status.stages[1].hold.reason).toContain('warranty-claims');
  }
  const types = await eventTypes(h, id);
  expect(types).toEqual(expect.arrayContaining(['steady-state.started', 'review.opened', 'review.signed', 'verdict.lagging']));
}, 60_000);

it('a rollback that returns a running steady-state stage to pending does not abort the rollout', async () => {
  const yaml = `
name: steady-rolled-back
owner: maria
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pia] }
metrics:
  scrap-rate: { unit: '%', direction: lower-is-better }
stages:
  - id: line
    title: One line
    mode: supervised
    overrideAuthority: plant-manager
    minDuration: 0s
    approvals: [{ role: deployment-lead }]
  - id: second-line
    title: A second line
    dependsOn: [line]
    mode: supervised
    overrideAuthority: plant-manager
    minDuration: 1h
    evaluationInterval: 1s
    criteria: [{ metric: scrap-rate, threshold: 2, window: 1d }]
    approvals: [{ role: deployment-lead }]
    onFailure: { rollback: line }
  - id: steady
    title: Steady state of the first line
    dependsOn: [line]
    mode: autonomous
    minDuration: 0s
    approvals: [{ role: plant-manager }]
    steadyState: { reviewEvery: 1h, horizon: 2h }
`;
  const id = await startRollout(h, yaml);
  const approveLine = async () => {
    await waitForStage(h, id, 'line', 'awaiting-approval');
    expect((await h.http('POST', `/v1/rollouts/${id}/stages/line/approvals`, { decision: 'approve' }, await h.as('dana'))).status).toBe(200);
  };
  await approveLine();
  const first = await eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    return body.stages[2].steadyState?.report ? body : undefined;
  }, 'the steady-state run to report');
  expect(first.stages[2].steadyState.workflowId).toBe(`${id}.steady.steady-state`);
  await waitForStage(h, id, 'second-line', 'running');
  expect((await report2(id, 'scrap-rate', 9)).status).toBe(201);

  // The rollback aborts the steady-state run and returns its stage to pending; the rollout goes on.
  await waitForStage(h, id, 'line', 'awaiting-approval');
  const afterRollback = (await h.http('GET', `/v1/rollouts/${id}`)).body;
  expect(afterRollback.state).toBe('running');
  expect(afterRollback.stages[2].state).toBe('pending');
  await approveLine();
  const second = await eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}/stages/steady/steady-state`);
    return body.workflowId === `${id}.steady.steady-state#2` ? body : undefined;
  }, 'the second steady-state run to answer');
  expect(second.state).toBe('running');
  const types = await eventTypes(h, id);
  expect(types).toContain('stage.rolled-back');
  expect(types).not.toContain('rollout.aborted');
  expect((await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'end of test' }, await h.as('dana'))).status).toBe(200);
}, 60_000);

const report2 = (id: string, metric: string, value: number) =>
  h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [{ metric, value, observedAt: new Date().toISOString() }] });

