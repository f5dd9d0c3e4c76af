import { approve, planYaml, reject, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

const scenario: Scenario = {
  description: 'a stage rejected with a reason (held), then signed off, to completion',
  async run(h) {
    const id = await startRollout(h, planYaml('rejected-then-approved', { pilot: [] }), 'rejected-then-approved');
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expectStatus(await reject(h, id, 'pilot', 'sam', 'three false positives on the first shift'), 200, 'reject pilot');
    expectStatus(await approve(h, id, 'pilot', 'sam'), 200, 'approve pilot');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
