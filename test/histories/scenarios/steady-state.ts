import { eventually } from '../../support/harness';
import { approve, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, reportMetric, type Scenario } from '../scenario';

/** The last stage is steady-state: a review every 2 s, a retraining reminder every 3 s, the lagging verdict at 6 s. */
const PLAN = `
name: steady-state
owner: maria
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pia] }
  data-engineer: { members: [yui] }
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
    steadyState: { reviewEvery: 2s, retrainEvery: 3s, retrainingOwner: data-engineer, horizon: 6s }
`;

const scenario: Scenario = {
  description:
    'a rollout whose last stage is steady state (a child workflow): a model-version change, a signed periodic review, a retraining reminder, and a passing lagging verdict at the horizon, to completion',
  async run(h) {
    const id = await startRollout(h, PLAN, 'steady-state');
    await waitForStage(h, id, 'rollout', 'awaiting-approval');
    expectStatus(await approve(h, id, 'rollout', 'dana', {}, []), 200, 'approve rollout');
    await waitForStage(h, id, 'steady', 'running');
    await reportMetric(h, id, 'warranty-claims', [12]);

    const change = { version: 'v2', reason: 'retrained on the first weeks of scrap data' };
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/stages/steady/model-versions`, change, await h.as('yui', [])), 201, 'model-version change');
    await eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}/stages/steady/steady-state`)).body.reviews?.length >= 1 ? true : undefined), 'review 1');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/stages/steady/reviews/1/sign`, { comment: 'on track' }, await h.as('pia', [])), 200, 'sign review 1');
    await eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}/stages/steady/steady-state`)).body.retraining?.length >= 1 ? true : undefined), 'a retraining reminder');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
