import { RolloutPlanKey, RolloutStageKey, RolloutStateKey } from '../../workflows/search-attributes';
import { startHarness, type Harness } from '../support/harness';
import { approve, planYaml, startRollout, trailWritten, waitForRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('a diamond-shaped plan run through the REST API only', () => {
  it('runs parallel stages side by side, joins them, and completes', async () => {
    const rolloutId = await startRollout(h, planYaml('diamond', { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }), 'diamond-1');

    let status = await waitForStage(h, rolloutId, 'a', 'awaiting-approval');
    expect(status.stages.map((s: { state: string }) => s.state)).toEqual(['awaiting-approval', 'pending', 'pending', 'pending']);
    expect((await approve(h, rolloutId, 'a')).body.stage.state).toBe('passed');

    await waitForStage(h, rolloutId, 'b', 'awaiting-approval');
    status = await waitForStage(h, rolloutId, 'c', 'awaiting-approval');
    expect(status.stages[3].state).toBe('pending');
    const handle = h.temporal.workflow.getHandle(`rollout-${rolloutId}`);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(RolloutPlanKey)).toBe('diamond');
    expect(described.typedSearchAttributes.get(RolloutStateKey)).toBe('running');
    expect(described.typedSearchAttributes.get(RolloutStageKey)).toBe('b,c');

    expect((await approve(h, rolloutId, 'b')).body.stage.state).toBe('passed');
    expect((await h.http('GET', `/v1/rollouts/${rolloutId}`)).body.stages[3].state).toBe('pending');
    await approve(h, rolloutId, 'c');
    status = await waitForStage(h, rolloutId, 'd', 'awaiting-approval');
    const [, b, c, d] = status.stages;
    expect(Date.parse(d.startedAt)).toBeGreaterThanOrEqual(Date.parse(b.passedAt));
    expect(Date.parse(d.startedAt)).toBeGreaterThanOrEqual(Date.parse(c.passedAt));
    expect(Date.parse(d.endsNoEarlierThan) - Date.parse(d.startedAt)).toBe(1000);

    await approve(h, rolloutId, 'd');
    status = await waitForRollout(h, rolloutId, 'completed');
    expect(status.stages.every((s: { state: string }) => s.state === 'passed')).toBe(true);
    expect((await handle.describe()).typedSearchAttributes.get(RolloutStateKey)).toBe('completed');

    await trailWritten(h, rolloutId);
    const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}/events?limit=500`);
    const trail = body.events.map((e: { type: string; stageId?: string }) => (e.stageId ? `${e.type}:${e.stageId}` : e.type));
    expect(trail[0]).toBe('rollout.started');
    expect(trail[trail.length - 1]).toBe('rollout.completed');
    expect(trail.indexOf('stage.started:d')).toBeGreaterThan(trail.indexOf('stage.passed:b'));
    expect(trail.indexOf('stage.started:d')).toBeGreaterThan(trail.indexOf('stage.passed:c'));
    expect(body.events.find((e: { type: string }) => e.type === 'stage.approved').actor).toBe('dana');

    const list = await h.http('GET', '/v1/rollouts');
    expect(list.body.rollouts).toEqual([expect.objectContaining({ rolloutId, plan: 'diamond', version: 1, state: 'completed', startedBy: 'admin' })]);
  });
});
