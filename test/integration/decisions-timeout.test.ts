import { decisionMetrics } from '../../db/decision-metrics';
import { submitDecision, waitForActiveStages, waitForDecision } from '../support/decisions';
import { eventually, startHarness, type Harness } from '../support/harness';
import { auditTrail, startRollout } from '../support/rollouts';

let h: Harness;
let service: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  service = await h.as('tms', [], 'service');
});
afterAll(() => h?.close());

/** Unattended decisions execute by default, except irreversible ones (the request says so), which hold. */
const PLAN = `
name: deadline-decisions
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

const RECOMMENDATION = { carrier: 'nordfracht' };

async function defer(rolloutId: string, decisionId: string, decideBy: string, irreversible: boolean) {
  const answer = await submitDecision(h, rolloutId, decisionId, { confidence: 0.3, irreversible, decideBy, recommendation: RECOMMENDATION }, service);
  expect(answer.body).toMatchObject({ disposition: 'deferred', decideBy });
}

const eventsOf = async (rolloutId: string, type: string) => (await auditTrail(h, rolloutId)).filter((e) => e.type === type);

/** waitForTimers waits until each decision's workflow has announced it (its decision.deferred event). */
const waitForTimers = (rolloutId: string, count: number) =>
  eventually(async () => ((await eventsOf(rolloutId, 'decision.deferred')).length === count ? true : undefined), `${count} decision timers`);

const sleepUntil = (iso: string) => new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(iso) - Date.now()) + 500));

async function startedRollout(rolloutId: string): Promise<string> {
  const id = await startRollout(h, PLAN.replace('name: deadline-decisions', `name: ${rolloutId}`), rolloutId);
  await waitForActiveStages(h, id, ['supervised']);
  return id;
}

it('applies the safe default when nobody decides in time, across a worker restart', async () => {
  const id = await startedRollout('unattended');
  const from = new Date(Date.now() - 60_000);
  const decideBy = new Date(Date.now() + 4_000).toISOString();
  await defer(id, 'reversible', decideBy, false);
  await defer(id, 'truck-leaves', decideBy, true);
  await waitForTimers(id, 2);
  const firstRun = (await h.temporal.workflow.getHandle(`decision-${id}-reversible`).describe()).runId;

  await h.stopWorker();
  await sleepUntil(decideBy); // the deadline passes while no worker runs
  const moot = await h.http('POST', '/v1/decisions/reversible/resolution', { resolution: 'accept' }, await h.as('pat', []));
  expect(moot.status).toBe(409);
  expect(moot.body.reason).toBe('DecisionMoot');
  expect((await h.http('GET', '/v1/decisions/reversible')).body.state).toBe('pending');
  await h.startWorker();

  const executed = await waitForDecision(h, 'reversible', 'timed-out');
  expect(executed).toMatchObject({ timeout: { action: 'execute' }, effect: { execute: true, payload: RECOMMENDATION, basis: 'timeout:execute' } });
  const held = await waitForDecision(h, 'truck-leaves', 'timed-out');
  expect(held).toMatchObject({ irreversible: true, safeDefault: 'hold', timeout: { action: 'hold' }, effect: { execute: false, basis: 'timeout:hold' } });

  // The timer that started before the restart is the one that fired.
  const handle = h.temporal.workflow.getHandle(`decision-${id}-reversible`, firstRun);
  expect(await handle.result()).toEqual({ state: 'timed-out', timeoutAction: 'execute' });
  const timedOut = await eventually(async () => {
    const events = await eventsOf(id, 'decision.timed-out');
    return events.length === 2 ? events : undefined;
  }, 'two decision.timed-out events');
  expect(timedOut.map((e) => [e.actor, e.detail.decisionId, e.detail.action]).sort()).toEqual([
    ['rollgate', 'reversible', 'execute'],
    ['rollgate', 'truck-leaves', 'hold'],
  ]);

  const metrics = await decisionMetrics(h.pool, id, 'supervised', from, new Date(Date.now() + 60_000));
  expect(metrics['decision-timeout-count']).toEqual({ value: 2, samples: 2 });
});

it('starts a lost timer again when the decision is read', async () => {
  const id = await startedRollout('lost-timer');
  const decideBy = new Date(Date.now() + 3_000).toISOString();
  await defer(id, 'orphan', decideBy, false);
  await waitForTimers(id, 1);
  const handle = h.temporal.workflow.getHandle(`decision-${id}-orphan`);
  const lostRun = (await handle.describe()).runId;
  await handle.terminate('simulating a timer that was never started');

  await sleepUntil(decideBy);
  const settled = await waitForDecision(h, 'orphan', 'timed-out');
  expect(settled.timeout.action).toBe('execute');
  // The new run stores the timeout, then completes: wait for its result rather than its state at one instant.
  const rerunHandle = h.temporal.workflow.getHandle(`decision-${id}-orphan`);
  expect(await rerunHandle.result()).toMatchObject({ state: 'timed-out' });
  const rerun = await rerunHandle.describe();
  expect(rerun.runId).not.toBe(lostRun);
  expect(rerun.status.name).toBe('COMPLETED');
});
