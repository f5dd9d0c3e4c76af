import { eventually } from '../../support/harness';
import { approve, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, reportMetric, type Scenario } from '../scenario';

const PLAN = `
name: criteria-held-then-retried
owner: maria
roles:
  deployment-lead: { members: [maria] }
  line-supervisor: { members: [ann] }
metrics:
  weld-defect-rate: { unit: ppm, direction: lower-is-better }
stages:
  - id: shadow
    title: Single-shift shadow
    mode: shadow
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]
    criteria:
      - { metric: weld-defect-rate, threshold: 50, window: 1h, minSamples: 3 }
`;

const scenario: Scenario = {
  description: 'failing criteria hold a stage; a retry-window starts a fresh evidence window, which passes and is signed off',
  async run(h) {
    const id = await startRollout(h, PLAN, 'criteria-held-then-retried');
    await waitForStage(h, id, 'shadow', 'running');
    await reportMetric(h, id, 'weld-defect-rate', [80, 90, 100]);
    await waitForStage(h, id, 'shadow', 'held');
    const retry = { choice: 'retry-window', reason: 'sensor recalibrated on line 2' };
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/stages/shadow/resolution`, retry, await h.as('maria', [])), 200, 'retry-window');
    await eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].attempt === 2 ? true : undefined), 'a second attempt');
    await reportMetric(h, id, 'weld-defect-rate', [10, 10, 10]);
    await waitForStage(h, id, 'shadow', 'awaiting-approval');
    expectStatus(await approve(h, id, 'shadow', 'ann', {}, []), 200, 'approve shadow');
    await waitForRollout(h, id, 'completed');
  },
};
export default scenario;
