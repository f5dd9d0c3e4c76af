import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollout, waitForStage, type StatusBody } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A one-stage plan judging line throughput on the lines that run the model against line-2, which does not. */
const plan = (name: string) => `
name: ${name}
owner: maria
roles:
  deployment-lead: { members: [maria] }
  line-supervisor: { members: [ann] }
metrics:
  line-throughput: { unit: parts/h, direction: higher-is-better, guardrail: true }
stages:
  - id: pilot
    title: Pilot on line 1, line 2 as the control
    mode: pilot
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]
    criteria:
      - metric: line-throughput
        compare: { against: control, control: { scope: { line: line-2 } }, test: sequential, alpha: 0.05, minEffect: 5%, direction: must-not-degrade }
        window: 1h
        minSamples: 20
`;

const report = async (id: string, line: string, values: number[]) =>
  h.http(
    'POST',
    `/v1/rollouts/${id}/metrics`,
    { samples: values.map((value, i) => ({ metric: 'line-throughput', value, scope: { line }, observedAt: new Date(Date.now() + i).toISOString() })) },
    await h.as('mes-bridge', [], 'service'),
  );

/** Forty readings around `level`, spread evenly over ±2. */
const readings = (level: number) => Array.from({ length: 40 }, (_, i) => level - 2 + (i % 5));

function waitForHold(id: string): Promise<StatusBody> {
  return eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    return body.stages[0]?.state === 'held' && body.stages[0].hold?.cause === 'criteria-failed' ? body : undefined;
  }, 'pilot held (criteria-failed)');
}

describe('a comparison criterion on the real servers', () => {
  it('passes a line that runs as its control does, and shows the test in the status and the stored evaluation', async () => {
    const id = await startRollout(h, plan('compare-pass'));
    await waitForStage(h, id, 'pilot', 'running');
    expect((await report(id, 'line-1', readings(100))).status).toBe(201);
    expect((await report(id, 'line-2', readings(100.5))).status).toBe(201);
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const criterion = awaiting.stages[0].evaluation.criteria[0];
    expect(criterion).toMatchObject({ metric: 'line-throughput', verdict: 'pass', samples: 40, threshold: null });
    expect(criterion.reason).toMatch(/^no material change against the control/);
    expect(criterion.comparison).toMatchObject({ test: 'sequential', against: 'control', alpha: 0.05, family: 1, samples: { treatment: 40, reference: 40 } });
    expect(criterion.comparison.estimate).toBeCloseTo(-0.5, 9);
    expect(criterion.comparison.lower).toBeGreaterThan(-criterion.comparison.margin);
    expect(criterion.comparison.look).toBeGreaterThanOrEqual(1);
    expect(criterion.referenceWindow).toEqual(criterion.window);
    const stored = await h.pool.query(`SELECT comparison FROM evaluations WHERE rollout_id = $1 AND verdict = 'pass'`, [id]);
    expect(stored.rows[0].comparison).toMatchObject({ test: 'sequential', samples: { treatment: 40, reference: 40 } });
  });

  it('fails a line whose throughput falls well below its control, and holds the stage', async () => {
    const id = await startRollout(h, plan('compare-fail'));
    await waitForStage(h, id, 'pilot', 'running');
    await report(id, 'line-1', readings(80));
    await report(id, 'line-2', readings(100));
    const held = await waitForHold(id);
    expect(held.stages[0].hold.reason).toMatch(/^line-throughput: significantly worse than the control: difference -20 in \[/);
    expect(held.stages[0].evaluation.criteria[0]).toMatchObject({ verdict: 'fail', comparison: { samples: { treatment: 40, reference: 40 }, estimate: -20 } });
    expect(held.stages[0].evaluation.criteria[0].comparison.upper).toBeLessThan(0);
  });
});
