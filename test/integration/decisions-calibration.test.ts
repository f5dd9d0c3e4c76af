import { submitDecision, waitForActiveStages } from '../support/decisions';
import { startHarness, type Harness } from '../support/harness';
import { approve, auditTrail, startRollout, waitForStage } from '../support/rollouts';

let h: Harness;
let service: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  service = await h.as('tms', [], 'service');
});
afterAll(() => h?.close());

/** Pilot, then shadow, then supervised operation; team leads sign each stage off. */
const PLAN = `
name: calibrated-tendering
owner: lena
roles:
  deployment-lead: { members: [lena] }
  transport-planner: { members: [pat] }
  transport-team-lead: { members: [tess, toni] }
stages:
  - id: pilot
    title: One-lane pilot
    mode: pilot
    minDuration: 1s
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.5, deferTo: transport-planner }
  - id: shadow
    title: Regional shadow operation
    dependsOn: [pilot]
    mode: shadow
    minDuration: 1s
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, deferTo: transport-planner }
  - id: supervised
    title: Supervised tendering
    dependsOn: [shadow]
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, deferTo: transport-planner }
`;

async function decide(rolloutId: string, decisionId: string, confidence: number) {
  const answer = await submitDecision(h, rolloutId, decisionId, { confidence }, service);
  expect(answer.status).toBe(201);
  return answer.body;
}

async function decideWithOutcome(rolloutId: string, decisionId: string, confidence: number, correct: boolean) {
  await decide(rolloutId, decisionId, confidence);
  const outcome = await h.http('POST', `/v1/decisions/${decisionId}/outcome`, { correct, observedAt: new Date().toISOString() }, service);
  expect(outcome.status).toBe(201);
}

async function passStage(rolloutId: string, stageId: string, next: string) {
  await waitForStage(h, rolloutId, stageId, 'awaiting-approval');
  expect((await approve(h, rolloutId, stageId, 'tess', {}, [])).status).toBe(200);
  await waitForActiveStages(h, rolloutId, [next]);
}

const calibrate = async (rolloutId: string, body: Record<string, unknown>, who = 'tess') =>
  h.http('POST', `/v1/rollouts/${rolloutId}/stages/supervised/calibrations`, body, await h.as(who, []));

/**
 * Shadow data: confidences 0.40 … 0.99. At 0.70 and above all are right but 0.81 and 0.93;
 * below, every third is right (0.40, 0.43, …, 0.67). Precision at 0.69 is 28/31 ≈ 0.903, and
 * below it never reaches 0.9 again, so a 0.9 target calibrates to 0.69.
 */
const SHADOW = Array.from({ length: 60 }, (_, i) => {
  const confidence = (40 + i) / 100;
  const correct = confidence >= 0.7 ? confidence !== 0.81 && confidence !== 0.93 : i % 3 === 0;
  return { decisionId: `shadow-${i}`, confidence, correct };
});

it('proposes a threshold from production outcomes that applies, once signed off, to later decisions only', async () => {
  const id = await startRollout(h, PLAN, 'calibrated');
  await waitForActiveStages(h, id, ['pilot']);
  for (let i = 0; i < 6; i += 1) await decideWithOutcome(id, `pilot-${i}`, 0.9, true);
  await passStage(id, 'pilot', 'shadow');

  for (const sample of SHADOW.slice(0, 10)) await decideWithOutcome(id, sample.decisionId, sample.confidence, sample.correct);
  const tooFew = await calibrate(id, { targetPrecision: 0.9, dataFrom: 'shadow' });
  expect(tooFew.status).toBe(422);
  expect(tooFew.body).toMatchObject({
    reason: 'InsufficientOutcomes',
    outcomes: 10,
    detail: 'stage shadow has 10 decisions with outcomes; calibration needs at least 50',
  });
  for (const sample of SHADOW.slice(10)) await decideWithOutcome(id, sample.decisionId, sample.confidence, sample.correct);
  await passStage(id, 'shadow', 'supervised');

  const before = await decide(id, 'before-approval', 0.75);
  expect(before).toMatchObject({ disposition: 'deferred', threshold: 0.8 });

  // Pilot outcomes do not calibrate a production stage unless that is asked for explicitly.
  const fromPilot = await calibrate(id, { targetPrecision: 0.9, dataFrom: 'pilot', minOutcomes: 5 });
  expect(fromPilot.status).toBe(409);
  expect(fromPilot.body.reason).toBe('PilotData');
  const pilotProposal = await calibrate(id, { targetPrecision: 0.9, dataFrom: 'pilot', minOutcomes: 5, allowPilotData: true });
  expect(pilotProposal.status).toBe(201);
  expect(pilotProposal.body).toMatchObject({ source: 'pilot', allowPilotData: true, threshold: 0.9, outcomes: 6, state: 'proposed' });

  const proposed = await calibrate(id, { targetPrecision: 0.9, dataFrom: 'shadow' });
  expect(proposed.status).toBe(201);
  const proposalId = proposed.body.proposalId as string;
  expect(proposed.headers.get('location')).toBe(`/v1/rollouts/calibrated/stages/supervised/calibrations/${proposalId}`);
  expect(proposed.body).toEqual({
    proposalId,
    kind: 'confidence-threshold',
    rolloutId: id,
    stageId: 'supervised',
    dataFrom: 'shadow',
    source: 'production',
    allowPilotData: false,
    threshold: 0.69,
    previousThreshold: 0.8,
    targetPrecision: 0.9,
    minOutcomes: 50,
    precision: 28 / 31,
    interval: { low: expect.closeTo(0.751, 3), high: expect.closeTo(0.9665, 4) },
    samples: 31,
    correct: 28,
    outcomes: 60,
    coverage: 31 / 60,
    state: 'proposed',
    proposedBy: 'tess',
    proposedAt: expect.any(String),
  });

  // A proposal changes nothing until it is signed off.
  expect(await decide(id, 'while-proposed', 0.75)).toMatchObject({ disposition: 'deferred', threshold: 0.8 });

  const approvals = `/v1/rollouts/${id}/stages/supervised/calibrations/${proposalId}/approvals`;
  const planner = await h.http('POST', approvals, {}, await h.as('pat', []));
  expect(planner.status).toBe(403);
  expect(planner.body).toMatchObject({ reason: 'NotAuthorized', detail: 'pat holds none of the roles that sign off stage supervised: transport-team-lead' });
  const self = await h.http('POST', approvals, {}, await h.as('tess', []));
  expect(self.status).toBe(403);
  expect(self.body.reason).toBe('SelfApprovalDenied');
  const approved = await h.http('POST', approvals, { comment: 'shadow precision holds up' }, await h.as('toni', []));
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ state: 'approved', decidedBy: 'toni', decidedRole: 'transport-team-lead', comment: 'shadow precision holds up' });
  const effectiveFrom = Date.parse(approved.body.effectiveFrom);
  expect(effectiveFrom).toBe(Date.parse(approved.body.decidedAt));
  const again = await h.http('POST', approvals, {}, await h.as('toni', []));
  expect(again.status).toBe(200);
  const reject = await h.http('POST', approvals, { decision: 'reject', comment: 'too late' }, await h.as('toni', []));
  expect(reject.status).toBe(409);
  expect(reject.body.reason).toBe('ProposalDecided');

  const after = await decide(id, 'after-approval', 0.75);
  expect(after).toMatchObject({ disposition: 'auto', threshold: 0.69 });
  expect((await h.http('GET', '/v1/decisions/after-approval')).body.thresholdSource).toEqual({ calibration: proposalId });
  expect(await decide(id, 'still-unsure', 0.6)).toMatchObject({ disposition: 'deferred', threshold: 0.69 });
  // Earlier decisions keep the threshold they were made under.
  for (const earlier of ['before-approval', 'while-proposed']) {
    expect((await h.http('GET', `/v1/decisions/${earlier}`)).body).toMatchObject({ disposition: 'deferred', state: 'pending', threshold: 0.8, thresholdSource: 'plan' });
  }

  const listed = await h.http('GET', `/v1/rollouts/${id}/stages/supervised/calibrations`);
  expect(listed.body.proposals.map((p: { source: string; state: string }) => `${p.source}:${p.state}`)).toEqual(['pilot:proposed', 'production:approved']);
  const events = await auditTrail(h, id);
  expect(events.filter((e) => e.type.startsWith('calibration.')).map((e) => `${e.type}:${e.actor}`)).toEqual([
    'calibration.proposed:tess',
    'calibration.proposed:tess',
    'calibration.approval.denied:pat',
    'calibration.approval.denied:tess',
    'calibration.approved:toni',
  ]);
  expect(events.find((e) => e.type === 'calibration.approved')!.detail).toEqual({
    proposalId,
    threshold: 0.69,
    previousThreshold: 0.8,
    source: 'production',
    effectiveFrom: approved.body.effectiveFrom,
  });
});

it('refuses invalid calibration requests with 422 and unknown stages with 404', async () => {
  const bad = await h.http('POST', '/v1/rollouts/calibrated/stages/supervised/calibrations', { targetPrecision: 1.2 });
  expect(bad.status).toBe(422);
  expect(bad.body.errors).toEqual([{ path: 'targetPrecision', message: 'must be at most 1' }]);
  expect((await h.http('POST', '/v1/rollouts/calibrated/stages/supervised/calibrations', { targetPrecision: 0 })).status).toBe(422);
  expect((await h.http('POST', '/v1/rollouts/calibrated/stages/nope/calibrations', { targetPrecision: 0.9 })).status).toBe(404);
  expect((await h.http('POST', '/v1/rollouts/calibrated/stages/supervised/calibrations', { targetPrecision: 0.9, dataFrom: 'nope' })).body.errors).toEqual([
    { path: 'dataFrom', message: 'the plan has no stage nope' },
  ]);
  const { rows } = await h.pool.query<{ n: string }>("SELECT count(*) AS n FROM proposals WHERE rollout_id = 'calibrated'");
  expect(Number(rows[0]!.n)).toBe(2);
});
