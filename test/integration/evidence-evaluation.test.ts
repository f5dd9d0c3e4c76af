import { temporal } from '@temporalio/proto';
import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollout, waitForStage } from '../support/rollouts';
import { EVIDENCE_DEBOUNCE_MS } from '../../policy/stage-machine';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A pilot evaluated hourly: only fresh evidence can move it within a test. */
const plan = (name: string, minSamples: number) => `
name: ${name}
owner: maria
roles:
  deployment-lead: { members: [maria] }
  line-supervisor: { members: [ann] }
metrics:
  weld-defect-rate: { unit: ppm, direction: lower-is-better }
stages:
  - id: pilot
    title: Single-line pilot
    mode: pilot
    minDuration: 1s
    evaluationInterval: 1h
    approvals: [{ role: line-supervisor }]
    criteria:
      - { metric: weld-defect-rate, threshold: 50, window: 1h, minSamples: ${minSamples} }
`;

const report = async (id: string, values: number[]) =>
  h.http('POST', `/v1/rollouts/${id}/metrics`, {
    samples: values.map((value, i) => ({ metric: 'weld-defect-rate', value, observedAt: new Date(Date.now() + i).toISOString() })),
  }, await h.as('mes-bridge', [], 'service'));

const firstEvaluation = (id: string) =>
  eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].evaluation ? true : undefined), 'a first evaluation');

async function historyOf(id: string) {
  const events = (await h.temporal.workflow.getHandle(id).fetchHistory()).events ?? [];
  const evaluations = events.filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateStage');
  return { length: events.length, evaluations: evaluations.length };
}

describe('fresh evidence is evaluated soon', () => {
  it('passes an hourly-evaluated stage shortly after its samples are posted', async () => {
    const id = await startRollout(h, plan('fresh-evidence', 3));
    await waitForStage(h, id, 'pilot', 'running');
    await firstEvaluation(id);
    expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].evaluation.verdict).toBe('inconclusive');
    expect((await report(id, [20, 30, 40])).status).toBe(201);
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expect(awaiting.stages[0].evaluation).toMatchObject({ verdict: 'pass', criteria: [{ samples: 3, value: 30 }] });
  });

  it('adds a bounded number of evaluations and history events for many batches', async () => {
    const id = await startRollout(h, plan('evidence-flood', 100_000));
    await waitForStage(h, id, 'pilot', 'running');
    await firstEvaluation(id);
    const { workflowId } = (await h.pool.query('SELECT workflow_id AS "workflowId" FROM rollouts WHERE rollout_id = $1', [id])).rows[0];
    const before = await historyOf(workflowId);
    const started = Date.now();
    const batches = 200;
    for (let i = 0; i < batches; i += 1) expect((await report(id, [10])).status).toBe(201);
    // The last batches' trailing signal and evaluation come within two debounce intervals.
    await new Promise((resolve) => setTimeout(resolve, 2 * EVIDENCE_DEBOUNCE_MS + 1000));
    const elapsed = Date.now() - started;
    const after = await historyOf(workflowId);
    const allowed = 2 + Math.ceil(elapsed / EVIDENCE_DEBOUNCE_MS);
    expect(after.evaluations - before.evaluations).toBeGreaterThan(0);
    expect(after.evaluations - before.evaluations).toBeLessThanOrEqual(allowed);
    expect(after.length - before.length).toBeLessThan(batches);
    const stored = await h.pool.query('SELECT count(*)::int AS n FROM metric_samples WHERE rollout_id = $1', [id]);
    expect(stored.rows[0].n).toBe(batches);
  });
});
