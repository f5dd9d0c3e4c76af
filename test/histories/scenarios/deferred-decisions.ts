import { eventually, type Harness } from '../../support/harness';
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
    await eventually(async () => {
      const { rows } = await h.pool.query<{ active: string[] }>('SELECT active_stages AS active FROM rollouts WHERE rollout_id = $1', [id]);
      return rows[0]?.active.includes('supervised') ? true : undefined;
    }, 'the supervised stage to take decisions');
    await defer(h, id, 'answered', new Date(Date.now() + 3_600_000));
    await defer(h, id, 'unattended', new Date(Date.now() + 2_000));
    const accept = { resolution: 'accept', reason: 'lane checked' };
    expectStatus(await h.http('POST', '/v1/decisions/answered/resolution', accept, await h.as('pat', [])), 200, 'resolve decision');
    await waitForDecision(h, 'answered', 'resolved');
    await waitForDecision(h, 'unattended', 'timed-out');
    expectStatus(await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'end of the recording' }, await h.as('lena', [])), 202, 'abort');
    await waitForRollout(h, id, 'aborted');
  },
};
export default scenario;

async function defer(h: Harness, rolloutId: string, decisionId: string, decideBy: Date): Promise<void> {
  const decision = { decisionId, kind: 'carrier-selection', confidence: 0.3, decideBy: decideBy.toISOString(), recommendation: { carrier: 'nordfracht' } };
  const answer = expectStatus(await h.http('POST', `/v1/rollouts/${rolloutId}/decisions`, decision, await h.as('tms', [], 'service')), 201, `defer ${decisionId}`);
  if (answer.body.disposition !== 'deferred') throw new Error(`decision ${decisionId} was not deferred: ${JSON.stringify(answer.body)}`);
}

function waitForDecision(h: Harness, decisionId: string, state: string): Promise<true> {
  return eventually(async () => ((await h.http('GET', `/v1/decisions/${decisionId}`)).body.state === state ? true : undefined), `decision ${decisionId} to be ${state}`);
}
