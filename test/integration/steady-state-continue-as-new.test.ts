import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ChildProgress } from '../../workflows/rollout-types';
import type { SteadyStateStatus } from '../../policy/steady-state-types';
import { registerRollout, startRecorderWorker, startSteadyState, type Recorder } from '../fixtures/workflows/steady-state-setup';
import { eventually, startHarness, type Harness } from '../support/harness';
import { auditTrail } from '../support/rollouts';
import { startDevServer } from '../support/temporal';
import { installRuntimeLogger } from '../../workers/main';

/** A dev server of its own that suggests continue-as-new once a run's history has this many events. */
const SUGGEST_AFTER_EVENTS = 12;

let server: TestWorkflowEnvironment;
let h: Harness;
let recorder: Recorder;
beforeAll(async () => {
  installRuntimeLogger('WARN');
  server = await startDevServer({ suggestContinueAsNewAfter: SUGGEST_AFTER_EVENTS });
  h = await startHarness({ temporalAddress: server.address });
  recorder = await startRecorderWorker(server.address, `${h.taskQueue}-parents`);
});
afterAll(async () => {
  await recorder?.close();
  await h?.close();
  await server?.teardown();
});

const plan = `
name: steady-long-running
owner: maria
roles:
  plant-manager: { members: [pia] }
metrics:
  warranty-claims: { unit: ppm, direction: lower-is-better, kind: lagging }
stages:
  - id: steady
    title: Steady-state operation
    mode: autonomous
    minDuration: 1s
    criteria:
      - { metric: warranty-claims, threshold: 50, window: 400d }
    approvals: [{ role: plant-manager }]
    steadyState: { reviewEvery: 2s, retrainEvery: 3s, horizon: 8s }
`;

it('continues as new between reviews and carries reviews, sign-offs, reminders and sequence numbers', async () => {
  const registered = await registerRollout(h, plan, 'steady-can');
  const startedAt = new Date(Date.now() - 1_000).toISOString();
  const observedAt = new Date(Date.now() - 500).toISOString();
  await h.http('POST', '/v1/rollouts/steady-can/metrics', { samples: [{ metric: 'warranty-claims', value: 20, observedAt }] });
  const { parent, child } = await startSteadyState(h, recorder, registered, 'steady', startedAt);
  const firstRunId = child.firstExecutionRunId;

  const status = async (): Promise<SteadyStateStatus> => (await h.http('GET', '/v1/rollouts/steady-can/stages/steady/steady-state')).body;
  await eventually(async () => ((await status()).reviews?.length >= 1 ? true : undefined), 'review 1');
  expect((await h.http('POST', '/v1/rollouts/steady-can/stages/steady/reviews/1/sign', {}, await h.as('pia', []))).status).toBe(200);

  const progress: ChildProgress[] = await parent.result();
  expect(progress.at(-1)).toMatchObject({ settled: 'passed', detail: { laggingVerdict: 'pass', openReviews: 2 } });
  const runs: string[] = [];
  for await (const run of h.temporal.workflow.list({ query: `WorkflowId = '${child.workflowId}'` })) runs.push(run.status.name);
  expect(runs.filter((name) => name === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
  expect((await h.temporal.workflow.getHandle(child.workflowId, firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');

  const final = await status();
  expect(final.reviews.map((r) => [r.number, r.signedBy ?? null])).toEqual([
    [1, ['pia']],
    [2, null],
    [3, null],
  ]);
  expect(final.retraining.map((r) => r.number)).toEqual([1, 2]);
  const events = await auditTrail(h, 'steady-can');
  // The calendar's events in calendar order; the sign-off lands wherever the request did.
  const calendarTypes = new Set(['steady-state.started', 'review.opened', 'retraining.due', 'verdict.lagging', 'steady-state.settled']);
  expect(events.map((e) => e.type).filter((type) => calendarTypes.has(type))).toEqual([
    'steady-state.started',
    'review.opened',
    'retraining.due',
    'review.opened',
    'retraining.due',
    'review.opened',
    'verdict.lagging',
    'steady-state.settled',
  ]);
  expect(events.filter((e) => e.type === 'review.signed')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'review.opened').map((e) => e.detail.review)).toEqual([1, 2, 3]);
});
