import { eventually } from '../../support/harness';
import { approve, startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, reportMetric, type Scenario } from '../scenario';

const PLAN = `
name: prerequisite-rolled-back
owner: maria
roles:
  deployment-lead: { members: [maria] }
  line-supervisor: { members: [ann] }
  quality-engineer: { members: [quinn] }
metrics:
  weld-defect-rate: { unit: ppm, direction: lower-is-better }
prerequisites:
  - { id: data-contract, kind: data-contract, title: Data contract with the historian, before: pilot, signedBy: quality-engineer }
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 1s
    approvals: [{ role: line-supervisor }]
  - id: shadow
    title: Shadow
    mode: shadow
    dependsOn: [pilot]
    minDuration: 1s
    evaluationInterval: 1s
    onFailure: { rollback: pilot }
    approvals: [{ role: line-supervisor }]
    criteria:
      - { metric: weld-defect-rate, threshold: 50, window: 1h, minSamples: 3 }
`;

const scenario: Scenario = {
  description: 'a readiness prerequisite signed before the pilot; failing shadow criteria roll back to the pilot with compensation; then aborted',
  async run(h) {
    const id = await startRollout(h, PLAN, 'prerequisite-rolled-back');
    const signOff = { evidence: 'https://wiki.example/contracts/historian' };
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/prerequisites/data-contract/sign-offs`, signOff, await h.as('quinn', [])), 200, 'sign prerequisite');
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expectStatus(await approve(h, id, 'pilot', 'ann', {}, []), 200, 'approve pilot');
    await waitForStage(h, id, 'shadow', 'running');
    await reportMetric(h, id, 'weld-defect-rate', [500, 500, 500]);
    await eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].attempt === 2 ? true : undefined), 'the pilot re-entered');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'defects on every shift' }, await h.as('maria', [])), 200, 'abort');
    await waitForRollout(h, id, 'aborted');
  },
};
export default scenario;
