import { eventually, startHarness, type Harness } from '../support/harness';
import { approve, auditTrail, eventTypes, planYaml, reject, startRollout, uploadPlan, waitForRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const twoStages = planYaml('controls', { pilot: [], shadow: ['pilot'] });

describe('human control of a rollout', () => {
  it('holds a rejected stage until it is approved', async () => {
    const id = await startRollout(h, twoStages);
    const early = await approve(h, id, 'pilot');
    expect(early.status).toBe(409);
    expect(early.body.reason).toBe('StageNotAwaitingSignOff');

    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const noReason = await reject(h, id, 'pilot', 'sam');
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors).toEqual([{ path: 'comment', message: 'a rejection needs a reason in comment' }]);

    const rejected = await reject(h, id, 'pilot', 'sam', 'three false positives on the first shift');
    expect(rejected.status).toBe(200);
    expect(rejected.body.stage.state).toBe('held');
    expect((await h.http('GET', `/v1/rollouts/${id}`)).body.stages[1].state).toBe('pending');

    const approved = await approve(h, id, 'pilot', 'sam');
    expect(approved.body.stage).toMatchObject({ state: 'passed', approvals: [{ approver: 'sam', decision: 'approve' }] });
    expect(approved.body.stage.history.map((d: { decision: string }) => d.decision)).toEqual(['reject', 'approve']);
    await waitForStage(h, id, 'shadow', 'awaiting-approval');

    const events = await auditTrail(h, id);
    expect(events.find((e: { type: string }) => e.type === 'stage.rejected')).toMatchObject({
      stageId: 'pilot',
      actor: 'sam',
      role: 'deployment-lead',
      reason: 'three false positives on the first shift',
      requestId: rejected.headers.get('x-request-id'),
      detail: { stageState: 'held' },
    });
  });

  it('refuses sign-off while paused and continues after resume', async () => {
    const id = await startRollout(h, twoStages);
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const lee = await h.as('lee');
    const paused = await h.http('POST', `/v1/rollouts/${id}/pause`, { reason: 'line maintenance' }, lee);
    expect(paused).toMatchObject({ status: 200, body: { rolloutId: id, state: 'paused' } });
    await waitForRollout(h, id, 'paused');
    const again = await h.http('POST', `/v1/rollouts/${id}/pause`, {}, lee);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'ActionNotApplicable', detail: `rollout ${id} is paused; pause applies to a running rollout` });
    const refused = await approve(h, id, 'pilot');
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toBe('RolloutNotRunning');

    const outsider = await h.http('POST', `/v1/rollouts/${id}/resume`, {}, await h.as('zed', []));
    expect(outsider.status).toBe(403);
    expect(outsider.body).toMatchObject({ reason: 'NotAuthorized', detail: 'zed does not hold deployment-lead for this plan, which may resume rollouts' });
    const resumed = await h.http('POST', `/v1/rollouts/${id}/resume`, {}, lee);
    expect(resumed).toMatchObject({ status: 200, body: { rolloutId: id, state: 'running' } });
    await waitForRollout(h, id, 'running');
    expect((await approve(h, id, 'pilot')).body.stage.state).toBe('passed');
    await waitForStage(h, id, 'shadow', 'awaiting-approval');
    const types = await eventTypes(h, id);
    expect(types).toEqual(expect.arrayContaining(['rollout.paused', 'rollout.resumed', 'rollout.resume.denied']));
    expect(types.filter((type: string) => type === 'rollout.paused')).toHaveLength(1);
  });

  it('aborts: unfinished stages end aborted and the rollout takes no more decisions', async () => {
    const id = await startRollout(h, twoStages);
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const aborted = await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'data contract broken' }, await h.as('lee'));
    expect(aborted).toMatchObject({ status: 200, body: { rolloutId: id, state: 'aborted' } });
    const status = await waitForRollout(h, id, 'aborted');
    expect(status.stages.map((s: { state: string }) => s.state)).toEqual(['aborted', 'aborted']);
    expect(status.endedAt).toEqual(expect.any(String));

    expect((await approve(h, id, 'pilot')).status).toBe(409);
    const resume = await h.http('POST', `/v1/rollouts/${id}/resume`, {});
    expect(resume.status).toBe(409);
    expect(resume.body.detail).toBe(`rollout ${id} is aborted; resume applies to a paused or held rollout`);
    // The live status turns aborted before the workflow has written its last events (compensation, then the abort).
    const events = await eventually(async () => {
      const trail = await auditTrail(h, id);
      return trail[trail.length - 1]?.type === 'rollout.aborted' ? trail : undefined;
    }, 'rollout.aborted to end the trail');
    expect(events[events.length - 1]).toMatchObject({ type: 'rollout.aborted', actor: 'lee', reason: 'data contract broken' });
  });

  it('answers the approval from the update, and the snapshot as of the last event once the trail is written', async () => {
    const id = await startRollout(h, twoStages);
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const approved = await approve(h, id, 'pilot', 'sam');
    expect(approved.body.stage.state).toBe('passed');
    await waitForStage(h, id, 'shadow', 'awaiting-approval');
    const events = await auditTrail(h, id);
    const snapshot = await h.http('GET', `/v1/rollouts/${id}?consistency=snapshot`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.body).toMatchObject({ source: 'snapshot', asOf: events.at(-1)!.seq, stages: [{ id: 'pilot', state: 'passed' }, { id: 'shadow', state: 'awaiting-approval' }] });
    expect(events.filter((e: { type: string }) => ['stage.approved', 'stage.passed'].includes(e.type)).map((e: { type: string }) => e.type)).toEqual(['stage.approved', 'stage.passed']);
    const live = await h.http('GET', `/v1/rollouts/${id}?consistency=live`);
    expect(live.body.source).toBe('live');
    expect(live.body.asOf).toBeUndefined();
    const bogus = await h.http('GET', `/v1/rollouts/${id}?consistency=eventual`);
    expect(bogus.status).toBe(422);
    await h.http('POST', `/v1/rollouts/${id}/abort`, { reason: 'test over' }, await h.as('dana'));
  });

  it('refuses a body holding U+0000 with 422 and its path, and records nothing', async () => {
    const id = await startRollout(h, twoStages);
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const before = (await auditTrail(h, id)).length;
    const signOff = await h.http('POST', `/v1/rollouts/${id}/stages/pilot/approvals`, { decision: 'reject', comment: 'bad\u0000data' }, await h.as('dana'));
    expect(signOff.status).toBe(422);
    expect(signOff.body.errors).toEqual([{ path: 'comment', message: 'must not contain the character U+0000' }]);
    const sample = { metric: 'defects', value: 1, observedAt: new Date().toISOString(), scope: { site: 'a\u0000' } };
    const evidence = await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [sample] });
    expect(evidence.status).toBe(422);
    expect(evidence.body.errors[0].path).toBe('samples.0.scope.site');
    // An escaped backslash before "u0000" is ordinary text.
    expect((await h.http('POST', `/v1/rollouts/${id}/stages/pilot/approvals`, { decision: 'approve', comment: 'path C:\\u0000' }, await h.as('dana'))).status).toBe(200);
    const events = await auditTrail(h, id);
    expect(events.slice(before).map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['stage.approved']));
    expect(events.some((e: { type: string }) => e.type === 'stage.rejected')).toBe(false);
  });

  it('answers clearly for unknown rollouts, stages, plans and taken ids', async () => {
    const id = await startRollout(h, twoStages, 'named-once');
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const unknownStage = await approve(h, id, 'nope');
    expect(unknownStage.status).toBe(404);
    expect(unknownStage.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknownStage.body.detail).toBe('the plan has no stage nope; its stages are pilot, shadow');
    const misspelt = await approve(h, id, 'pilto');
    expect(misspelt.status).toBe(404);
    expect(misspelt.body.detail).toBe('the plan has no stage pilto (did you mean "pilot"?)');
    expect((await h.http('GET', '/v1/rollouts/missing')).status).toBe(404);
    // A taken id answers the rollout to a retry of its start, and 409 to the start of another plan.
    expect((await h.http('POST', '/v1/rollouts', { plan: 'controls', rolloutId: 'named-once' })).status).toBe(200);
    const other = await uploadPlan(h, planYaml('controls-other', { a: [] }));
    expect((await h.http('POST', '/v1/rollouts', { plan: other.name, rolloutId: 'named-once' })).status).toBe(409);
    expect((await h.http('POST', '/v1/rollouts', { plan: 'no-such-plan' })).status).toBe(404);
    expect((await h.http('POST', '/v1/rollouts', { plan: 'controls', version: 9 })).status).toBe(404);
    const bad = await h.http('POST', '/v1/rollouts', { plan: 'controls', rolloutId: 'has spaces' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe('rolloutId');
  });
});
