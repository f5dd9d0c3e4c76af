import { submitDecision } from '../support/decisions';
import { startHarness, type Harness } from '../support/harness';
import { startRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A supervised stage that may pass only while at most half of its decisions go to a person. */
const PLAN = `
name: deferral-gated
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
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, irreversible: true, safeDefault: hold, deferTo: transport-planner }
    criteria:
      - { metric: deferral-rate, threshold: 0.5, window: 1h, minSamples: 4 }
`;

it("judges a stage's deferral-rate criterion on the stage's own decisions", async () => {
  const id = await startRollout(h, PLAN);
  await waitForStage(h, id, 'supervised', 'running');
  const service = await h.as('tms', [], 'service');
  const decideBy = new Date(Date.now() + 3_600_000).toISOString();
  for (const [i, confidence] of [0.95, 0.9, 0.85, 0.5].entries()) {
    const answer = await submitDecision(h, id, `${id}-d${i}`, { confidence, irreversible: true, decideBy }, service);
    expect(answer.body.disposition).toBe(confidence >= 0.8 ? 'auto' : 'deferred');
  }
  const awaiting = await waitForStage(h, id, 'supervised', 'awaiting-approval');
  expect(awaiting.stages[0].evaluation.criteria[0]).toMatchObject({ metric: 'deferral-rate', verdict: 'pass', value: 0.25, samples: 4, threshold: 0.5 });
});
