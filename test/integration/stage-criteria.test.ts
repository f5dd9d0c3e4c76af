import { eventually, startHarness, type Harness } from '../support/harness';
import { approve, auditTrail, startRollout, waitForRollout, waitForStage, type StatusBody } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** A plan whose stages are judged on reported evidence, evaluated every second. */
function plan(name: string, stages: string, extra = ''): string {
  return `
name: ${name}
owner: maria
roles:
  deployment-lead: { members: [maria] }
  line-supervisor: { members: [ann] }
  quality-engineer: { members: [quinn] }
metrics:
  weld-defect-rate: { unit: ppm, direction: lower-is-better }
  first-pass-yield: { unit: ratio, direction: higher-is-better }
  line-throughput: { unit: parts/h, direction: higher-is-better, guardrail: true }
${extra}
stages:
${stages}`;
}

const DEFECTS = `
    criteria:
      - { metric: weld-defect-rate, threshold: 50, window: 1h, minSamples: 3 }`;

const report = async (id: string, metric: string, values: number[], observedAt = new Date()) =>
  h.http('POST', `/v1/rollouts/${id}/metrics`, {
    samples: values.map((value, i) => ({ metric, value, observedAt: new Date(observedAt.getTime() + i).toISOString() })),
  }, await h.as('mes-bridge', [], 'service'));

const resolve = async (id: string, stageId: string, body: Record<string, unknown>) =>
  h.http('POST', `/v1/rollouts/${id}/stages/${stageId}/resolution`, body, await h.as('maria', []));

const eventTypes = async (id: string) => (await auditTrail(h, id)).map((e) => (e.stageId ? `${e.type}:${e.stageId}` : e.type));

function waitForHold(id: string, stageId: string, cause: string): Promise<StatusBody> {
  return eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    const stage = body.stages.find((s: { id: string }) => s.id === stageId);
    return stage?.state === 'held' && stage.hold?.cause === cause ? body : undefined;
  }, `${stageId} held (${cause})`);
}

describe('stages advance only on measured results', () => {
  it('awaits sign-off only once the criteria pass, and shows approvers the evidence', async () => {
    const id = await startRollout(h, plan('criteria-pass', `
  - id: pilot
    title: Single-line pilot
    mode: pilot
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]${DEFECTS}
`));
    const early = await waitForStage(h, id, 'pilot', 'running');
    await eventually(async () => ((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].evaluation ? true : undefined), 'a first evaluation');
    expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0]).toMatchObject({ state: 'running', evaluation: { verdict: 'inconclusive' } });
    expect(early.stages[0].state).toBe('running');

    expect((await report(id, 'weld-defect-rate', [20, 30, 40])).status).toBe(201);
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expect(awaiting.stages[0].evaluation).toMatchObject({
      verdict: 'pass',
      criteria: [{ metric: 'weld-defect-rate', verdict: 'pass', value: 30, threshold: 50, op: '<=', samples: 3 }],
    });
    expect(awaiting.stages[0].evaluation.criteria[0].window).toEqual({ from: expect.any(String), to: expect.any(String) });
    expect((await approve(h, id, 'pilot', 'ann', {}, [])).body.stage.state).toBe('passed');
    await waitForRollout(h, id, 'completed');
    const stored = await h.pool.query('SELECT count(*)::int AS n FROM evaluations WHERE rollout_id = $1', [id]);
    expect(stored.rows[0].n).toBeGreaterThanOrEqual(2);
  });

  it('holds a failing stage for a person, who retries with a fresh window', async () => {
    const id = await startRollout(h, plan('criteria-fail', `
  - id: shadow
    title: Single-shift shadow
    mode: shadow
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]${DEFECTS}
`));
    await waitForStage(h, id, 'shadow', 'running');
    await report(id, 'weld-defect-rate', [80, 90, 100]);
    const held = await waitForHold(id, 'shadow', 'criteria-failed');
    expect(held.stages[0].hold.reason).toMatch(/^weld-defect-rate: /);
    const refused = await approve(h, id, 'shadow', 'ann', {}, []);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/resolve it first: retry-window, rollback or abort$/);
    expect((await resolve(id, 'shadow', { choice: 'retry-window', reason: 'sensor recalibrated on line 2' })).status).toBe(200);

    const retried = await waitForStage(h, id, 'shadow', 'running');
    expect(retried.stages[0].attempt).toBe(2);
    expect(Date.parse(retried.stages[0].windowStartedAt)).toBeGreaterThan(Date.parse(retried.stages[0].startedAt));
    await report(id, 'weld-defect-rate', [10, 10, 10]);
    await waitForStage(h, id, 'shadow', 'awaiting-approval');
    expect((await eventTypes(id))).toEqual(expect.arrayContaining(['stage.criteria-failed:shadow', 'stage.held:shadow', 'stage.resolved:shadow']));
  });

  it('holds a stage whose criteria stay inconclusive at maxDuration; it never silently passes', async () => {
    const id = await startRollout(h, plan('criteria-inconclusive', `
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 1s
    maxDuration: 3s
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]${DEFECTS}
`));
    const held = await waitForHold(id, 'pilot', 'inconclusive');
    expect(held.stages[0].hold.reason).toBe('criteria are still inconclusive after maxDuration 3s (weld-defect-rate: no data in the window)');
    const denied = await h.http('POST', `/v1/rollouts/${id}/stages/pilot/resolution`, { choice: 'abort', reason: 'no data' }, await h.as('ann', []));
    expect(denied.status).toBe(403);
    expect((await resolve(id, 'pilot', { choice: 'abort', reason: 'the historian export never arrived' })).status).toBe(200);
    await waitForRollout(h, id, 'aborted');
  });

  it('trips a guardrail while the primary metric improves, and aborts with compensation', async () => {
    const id = await startRollout(h, plan('guardrail', `
  - id: supervised
    title: Full-shift operation on line 7
    mode: supervised
    overrideAuthority: line-supervisor
    scope: { lines: [line-7] }
    minDuration: 1s
    evaluationInterval: 1s
    onFailure: abort
    approvals: [{ role: line-supervisor }]
    criteria:
      - { metric: first-pass-yield, threshold: 0.9, window: 1h, minSamples: 2 }
      - { metric: line-throughput, baseline: { window: 1h, maxRegression: 5% }, window: 1h, minSamples: 2 }
`));
    const running = await waitForStage(h, id, 'supervised', 'running');
    const before = new Date(Date.parse(running.stages[0].windowStartedAt) - 10 * 60_000);
    await report(id, 'line-throughput', [100, 100], before);
    await report(id, 'first-pass-yield', [0.97, 0.98]);
    await report(id, 'line-throughput', [90, 91]);
    const aborted = await waitForRollout(h, id, 'aborted');
    const [primary, guardrail] = aborted.stages[0].evaluation.criteria;
    expect(primary).toMatchObject({ verdict: 'pass', value: 0.975 });
    expect(guardrail).toMatchObject({ verdict: 'fail', value: 90.5, threshold: 95, baseline: { value: 100, samples: 2 } });
    await eventually(async () => ((await eventTypes(id)).includes('rollout.aborted') ? true : undefined), 'the abort to be recorded');
    const types = await eventTypes(id);
    expect(types.indexOf('stage.criteria-failed:supervised')).toBeLessThan(types.indexOf('stage.compensated:supervised'));
    expect(types.indexOf('stage.compensated:supervised')).toBeLessThan(types.indexOf('rollout.aborted'));
  });

  it('rolls back to an upstream stage: compensates in reverse order and re-enters it', async () => {
    const id = await startRollout(h, plan('rollback', `
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
    approvals: [{ role: line-supervisor }]${DEFECTS}
`));
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    await approve(h, id, 'pilot', 'ann', {}, []);
    await waitForStage(h, id, 'shadow', 'running');
    await report(id, 'weld-defect-rate', [500, 500, 500]);
    const reentered = await eventually(async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${id}`);
      return body.stages[0].attempt === 2 ? body : undefined;
    }, 'pilot re-entered');
    expect(reentered.stages[1].state).toBe('pending');
    const types = await eventTypes(id);
    const compensations = types.filter((t: string) => t.startsWith('stage.compensated'));
    expect(compensations).toEqual(['stage.compensated:shadow', 'stage.compensated:pilot']);
    expect(types).toEqual(expect.arrayContaining(['stage.rolled-back:pilot']));
  });

  it('starts a stage only once its readiness prerequisites are signed by the right role', async () => {
    const id = await startRollout(h, plan('prerequisites', `
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 1s
    approvals: [{ role: line-supervisor }]
`, `prerequisites:
  - { id: data-contract, kind: data-contract, title: Data contract with the historian, before: pilot, signedBy: quality-engineer }
  - { id: shift-briefing, kind: operator-training, title: Shift briefing on the pilot, signedBy: quality-engineer }`));
    const sign = async (who: string, prerequisite = 'data-contract') =>
      h.http('POST', `/v1/rollouts/${id}/prerequisites/${prerequisite}/sign-offs`, { evidence: 'https://wiki.example/contracts/historian' }, await h.as(who, []));
    // The briefing's sign-off is written after the rollout's start in the workflow's own trail:
    // once it is, the workflow has run the pilot's gate, which the unsigned contract still holds.
    expect((await sign('quinn', 'shift-briefing')).status).toBe(200);
    expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].state).toBe('pending');
    expect((await sign('ann')).status).toBe(403);
    const signed = await sign('quinn');
    expect(signed.body.prerequisite.signed).toMatchObject({ by: 'quinn', evidence: 'https://wiki.example/contracts/historian' });
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expect((await sign('quinn')).status).toBe(409);
  });
});
