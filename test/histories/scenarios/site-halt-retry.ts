import { approveSite, reportSiteMetric, startRollout, waitForRollout, waitForSite, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const PLAN = `
name: site-halt-retry
owner: dana
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pat] }
  plant-manager@plant-a: { members: [alice] }
  plant-manager@plant-b: { members: [bob] }
metrics:
  defect-escape-rate: { unit: ppm, direction: lower-is-better }
stages:
  - id: phased
    title: Phased deployment
    mode: supervised
    overrideAuthority: plant-manager
    scope: { sites: [plant-a, plant-b, plant-c] }
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: plant-manager }]
    criteria: [{ metric: defect-escape-rate, op: "<=", threshold: 1, window: 10m }]
    forEach: { over: sites, waves: [2, rest], onSiteFailure: halt }
`;

const METRIC = 'defect-escape-rate';

const scenario: Scenario = {
  description:
    'a per-site stage under onSiteFailure halt: a site fails its criteria and holds the stage while the other site passes; a retry-window reruns the failed site as a second child, then the last wave, to completion',
  async run(h) {
    const id = await startRollout(h, PLAN, 'site-halt-retry');
    await waitForSite(h, id, 'phased', 'plant-a', 'running');
    await waitForSite(h, id, 'phased', 'plant-b', 'running');
    expectStatus(await reportSiteMetric(h, id, METRIC, 'plant-a', 0.2), 201, `report ${METRIC} at plant-a`);
    expectStatus(await reportSiteMetric(h, id, METRIC, 'plant-b', 7), 201, `report ${METRIC} at plant-b`);
    await waitForSite(h, id, 'phased', 'plant-b', 'failed');
    await waitForStage(h, id, 'phased', 'held');
    await waitForSite(h, id, 'phased', 'plant-a', 'awaiting-approval');
    expectStatus(await approveSite(h, id, 'phased', 'plant-a', 'alice'), 200, 'approve plant-a by alice');
    await waitForSite(h, id, 'phased', 'plant-a', 'passed');

    const retry = { choice: 'retry-window', reason: 'sensor recalibrated at plant-b' };
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/stages/phased/resolution`, retry, await h.as('dana')), 200, 'retry-window');
    await waitForSite(h, id, 'phased', 'plant-b', 'running');
    expectStatus(await reportSiteMetric(h, id, METRIC, 'plant-b', 0.1), 201, `report ${METRIC} at plant-b`);
    await waitForSite(h, id, 'phased', 'plant-b', 'awaiting-approval');
    expectStatus(await approveSite(h, id, 'phased', 'plant-b', 'bob'), 200, 'approve plant-b by bob');

    await waitForStage(h, id, 'phased', 'awaiting-approval');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/stages/phased/approvals`, { decision: 'approve' }, await h.as('pat')), 200, 'wave 2 sign-off');
    await waitForSite(h, id, 'phased', 'plant-c', 'running');
    expectStatus(await reportSiteMetric(h, id, METRIC, 'plant-c', 0.3), 201, `report ${METRIC} at plant-c`);
    await waitForSite(h, id, 'phased', 'plant-c', 'awaiting-approval');
    expectStatus(await approveSite(h, id, 'phased', 'plant-c', 'pat'), 200, 'approve plant-c by pat');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
