import { submitDecision, waitForActiveStages, waitForDecision } from '../../support/decisions';
import type { Harness } from '../../support/harness';
import { startRollout, waitForRollout, waitForStage } from '../../support/rollouts';
import { expectStatus, type Scenario } from '../scenario';

/** Decisions below 0.8 confidence are deferred to a transport planner; unattended ones execute. */
const PLAN = `
name: deferred-decisions
owner: lena
roles:
  deployment-lead: { members: [lena] }
  transport-planner: { members: [pat] }
  transport-team-lead: { members: [tess] }
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, safeDefault: execute, deferTo: transport-planner }
`;

const scenario: Scenario = {
  description: 'two deferred decisions: one resolved by a planner (signal), one timing out to the safe default (timer); then the rollout is aborted',
  async run(h) {
    const id = await startRollout(h, PLAN, 'deferred-decisions');
    await waitForStage(h, id, 'supervised', 'running');
    await waitForActiveStages(h, id, ['supervised']);
    await defer(h, id, 'answered', new Date(Date.now() + 3_600_000));
    await defer(h, id, 'unattended', new Date(Date.now() + 2_000));
    const accept = { resolution: 'accept', reason: 'lane checked' };
    expectStatus(await h.http('POST', '/v1/decisions/answered/resolution', accept, await h.as('pat', [])), 200, 'resolve decision');
    await waitForDecision(h, 'answered', 'resolved');
    await waitForDecision(h, 'unattended', 'timed-out');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'end of the recording' }, await h.as('lena', [])), 200, 'abort');
    await waitForRollout(h, id, 'aborted');
  },
};
export default scenario;

async function defer(h: Harness, rolloutId: string, decisionId: string, decideBy: Date): Promise<void> {
  const answer = expectStatus(await submitDecision(h, rolloutId, decisionId, { confidence: 0.3, decideBy: decideBy.toISOString() }), 201, `defer ${decisionId}`);
  if (answer.body.disposition !== 'deferred') throw new Error(`decision ${decisionId} was not deferred: ${JSON.stringify(answer.body)}`);
}
