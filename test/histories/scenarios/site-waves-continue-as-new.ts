import { approve, startRollout, waitForRollout, waitForSite, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const PLAN = `
name: site-waves-continue-as-new
owner: dana
stages:
  - id: phased
    title: Phased deployment
    mode: supervised
    overrideAuthority: deployment-lead
    scope: { sites: [plant-a, plant-b, plant-c] }
    minDuration: 2s
    approvals: [{ role: deployment-lead }]
    forEach: { over: sites, waves: [1, rest], feedbackCycle: 1s }
`;

const scenario: Scenario = {
  description:
    'a per-site stage over three sites in two waves that continues as new while site children run (parent and child chains), each site and the second wave signed off, to completion',
  suggestContinueAsNewAfter: 12,
  async run(h) {
    const id = await startRollout(h, PLAN, 'site-waves-continue-as-new');
    await waitForSite(h, id, 'phased', 'plant-a', 'awaiting-approval');
    expectStatus(await approve(h, id, 'phased', 'dana', { site: 'plant-a' }), 200, 'approve plant-a');
    await waitForStage(h, id, 'phased', 'awaiting-approval');
    expectStatus(await approve(h, id, 'phased'), 200, 'wave 2 sign-off');
    for (const site of ['plant-b', 'plant-c']) {
      await waitForSite(h, id, 'phased', site, 'awaiting-approval');
      expectStatus(await approve(h, id, 'phased', 'dana', { site }), 200, `approve ${site}`);
    }
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
