import { planYaml, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const scenario: Scenario = {
  description: 'a rollout paused and resumed while its first stage awaits sign-off, then aborted with compensation',
  async run(h) {
    const id = await startRollout(h, planYaml('paused-resumed-aborted', { pilot: [], shadow: ['pilot'] }), 'paused-resumed-aborted');
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const lead = await h.as('lee');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/pause`, { reason: 'line maintenance' }, lead), 200, 'pause');
    await waitForRollout(h, id, 'paused');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/resume`, {}, lead), 200, 'resume');
    await waitForRollout(h, id, 'running');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'data contract broken' }, lead), 200, 'abort');
    await waitForRollout(h, id, 'aborted');
  },
};
export default scenario;
