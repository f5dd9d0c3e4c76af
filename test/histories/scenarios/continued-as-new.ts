import { approve, planYaml, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const scenario: Scenario = {
  description: 'a two-stage rollout that continues as new mid-stage (carried state), approved to completion over several runs',
  suggestContinueAsNewAfter: 12,
  async run(h) {
    const id = await startRollout(h, planYaml('continued-as-new', { pilot: [], shadow: ['pilot'] }, '3s'), 'continued-as-new');
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expectStatus(await approve(h, id, 'pilot'), 200, 'approve pilot');
    await waitForStage(h, id, 'shadow', 'awaiting-approval');
    expectStatus(await approve(h, id, 'shadow'), 200, 'approve shadow');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
