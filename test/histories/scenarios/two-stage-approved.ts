import { approve, planYaml, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const scenario: Scenario = {
  description: 'a two-stage rollout, each stage signed off once its minimum duration is over, to completion',
  async run(h) {
    const id = await startRollout(h, planYaml('two-stage-approved', { pilot: [], shadow: ['pilot'] }), 'two-stage-approved');
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expectStatus(await approve(h, id, 'pilot'), 200, 'approve pilot');
    await waitForStage(h, id, 'shadow', 'awaiting-approval');
    expectStatus(await approve(h, id, 'shadow'), 200, 'approve shadow');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
