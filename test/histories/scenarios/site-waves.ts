import { approveSite, startRollout, waitForRollout, waitForSite, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const PLAN = `
name: site-waves
owner: dana
roles:
  deployment-lead: { members: [dana] }
  plant-manager: { members: [pat] }
  plant-manager@plant-a: { members: [alice] }
  plant-manager@plant-b: { members: [bob] }
prerequisites:
  - { id: training, kind: operator-training, title: Operators trained on site, before: phased, signedBy: plant-manager, perSite: true }
stages:
  - id: phased
    title: Phased deployment
    mode: supervised
    overrideAuthority: plant-manager
    scope: { sites: [plant-a, plant-b, plant-c] }
    minDuration: 1s
    approvals: [{ role: plant-manager }]
    forEach: { over: sites, waves: [1, rest], feedbackCycle: 2s, waveApprovals: [{ role: deployment-lead }] }
`;

const scenario: Scenario = {
  description:
    'a per-site stage over three sites in two waves: a per-site training prerequisite, each site signed off by its own plant manager, a feedback cycle and a wave sign-off, to completion',
  async run(h) {
    const id = await startRollout(h, PLAN, 'site-waves');
    await waitForSite(h, id, 'phased', 'plant-a', 'waiting');
    const training = (site: string, signer: string) => h.as(signer).then((auth) => h.http('POST', `/v1/rollouts/${id}/prerequisites/training@${site}/sign-offs`, {}, auth));
    expectStatus(await training('plant-a', 'alice'), 200, 'training at plant-a');
    await waitForSite(h, id, 'phased', 'plant-a', 'awaiting-approval');
    expectStatus(await approveSite(h, id, 'phased', 'plant-a', 'alice'), 200, 'approve plant-a by alice');

    await waitForStage(h, id, 'phased', 'awaiting-approval');
    const wave = await h.http('POST', `/v1/rollouts/${id}/stages/phased/approvals`, { decision: 'approve' }, await h.as('dana'));
    expectStatus(wave, 200, 'wave 2 sign-off');

    for (const [site, signer] of [['plant-b', 'bob'], ['plant-c', 'pat']] as const) {
      await waitForSite(h, id, 'phased', site, 'waiting');
      expectStatus(await training(site, signer), 200, `training at ${site}`);
    }
    await waitForSite(h, id, 'phased', 'plant-b', 'awaiting-approval');
    await waitForSite(h, id, 'phased', 'plant-c', 'awaiting-approval');
    expectStatus(await approveSite(h, id, 'phased', 'plant-b', 'bob'), 200, 'approve plant-b by bob');
    expectStatus(await approveSite(h, id, 'phased', 'plant-c', 'pat'), 200, 'approve plant-c by pat');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
