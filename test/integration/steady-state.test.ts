import { abortSignal } from '../../workflows/steady-state-messages';
import type { ChildProgress } from '../../workflows/rollout-types';
import type { Review, SteadyStateStatus } from '../../policy/steady-state-types';
import { registerRollout, startRecorderWorker, startSteadyState, type Recorder } from '../fixtures/workflows/steady-state-setup';
import { eventually, startHarness, type Harness } from '../support/harness';
import { eventTypes } from '../support/rollouts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'cmms-shared-secret';
let h: Harness;
let recorder: Recorder;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
  h = await startHarness({ webhookSecrets: { ROLLGATE_WEBHOOK_SECRET_CMMS: SECRET }, webhookAllow: '127.0.0.1' });
  recorder = await startRecorderWorker(process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS!, `${h.taskQueue}-parents`);
});
afterAll(async () => {
  await recorder?.close();
  await h?.close();
  await receiver?.close();
});

/** A plan whose only stage is in steady state: scrap-rate leading, warranty-claims lagging. */
const plan = (name: string, horizon: string) => `
name: ${name}
owner: maria
roles:
  deployment-lead: { members: [maria, dana] }
  plant-manager: { members: [pia] }
  data-engineer: { members: [yui] }
metrics:
  scrap-rate: { unit: '%', direction: lower-is-better }
  warranty-claims: { unit: ppm, direction: lower-is-better, kind: lagging }
notifications:
  - url: ${receiver.url}/${name}
    secretEnv: ROLLGATE_WEBHOOK_SECRET_CMMS
    events: [review.due, retraining.due]
stages:
  - id: steady
    title: Steady-state operation
    mode: autonomous
    minDuration: 1s
    criteria:
      - { metric: scrap-rate, threshold: 2, window: 1d }
      - { metric: warranty-claims, threshold: 50, window: 400d }
    approvals: [{ role: deployment-lead }]
    steadyState:
      reviewEvery: 2s
      reviewBy: [{ role: plant-manager }]
      retrainEvery: 3s
      retrainingOwner: data-engineer
      horizon: ${horizon}
`;

/** begin registers the rollout, reports one sample of each metric, and starts the child with the stage just started. */
async function begin(name: string, horizon: string, warrantyClaims: number) {
  const registered = await registerRollout(h, plan(name, horizon), name);
  const startedAt = new Date(Date.now() - 1_000).toISOString();
  const observedAt = new Date(Date.now() - 500).toISOString();
  const samples = [
    { metric: 'scrap-rate', value: 1.5, observedAt },
    { metric: 'warranty-claims', value: warrantyClaims, observedAt },
  ];
  expect((await h.http('POST', `/v1/rollouts/${name}/metrics`, { samples })).status).toBe(201);
  const run = await startSteadyState(h, recorder, registered, 'steady', startedAt);
  return { ...run, startedAt: Date.parse(startedAt) };
}

const statusOf = async (id: string): Promise<SteadyStateStatus> => (await h.http('GET', `/v1/rollouts/${id}/stages/steady/steady-state`)).body;
const untilStatus = (id: string, what: string, ready: (status: SteadyStateStatus) => boolean) =>
  eventually(async () => {
    const status = await statusOf(id);
    return status?.reviews && ready(status) ? status : undefined;
  }, what);
const sign = async (id: string, number: number | string, who: string, headers: Record<string, string> = {}, body: unknown = {}) =>
  h.http('POST', `/v1/rollouts/${id}/stages/steady/reviews/${number}/sign`, body, { ...(await h.as(who, [])), ...headers });
const iso = (ms: number) => new Date(ms).toISOString();

it('opens reviews on schedule, takes sign-off by reviewBy only, reminds about retraining, records model versions, and settles aborted', async () => {
  const { rolloutId: id, parent, child, startedAt } = await begin('steady-governance', '1h', 80);
  expect((await h.http('GET', `/v1/rollouts/${id}/stages/other/steady-state`)).status).toBe(404);

  const first = await untilStatus(id, 'review 1', (s) => s.reviews.length >= 1);
  expect(first).toMatchObject({ state: 'running', laggingVerdict: 'too-early', horizonAt: iso(startedAt + 3_600_000) });
  const review1 = first.reviews[0]!;
  expect(review1).toMatchObject({ number: 1, dueAt: iso(startedAt + 2_000), signBy: iso(startedAt + 4_000), overdue: false, signOffs: [] });
  expect(review1.verdicts.map((v) => [v.metric, v.kind, v.verdict])).toEqual([
    ['scrap-rate', 'leading', 'pass'],
    ['warranty-claims', 'lagging', 'too-early'],
  ]);

  const denied = await sign(id, 1, 'dana');
  expect(denied.status).toBe(403);
  expect(denied.body).toMatchObject({ reason: 'NotAuthorized' });
  expect(denied.headers.get('content-type')).toContain('application/problem+json');
  expect((await sign(id, 1, 'pia', {}, { bogus: true })).status).toBe(422);
  expect((await sign(id, 99, 'pia')).status).toBe(404);
  expect((await sign(id, 'first', 'pia')).status).toBe(404);

  const signed = await sign(id, 1, 'pia', { 'idempotency-key': 'pia-review-1' }, { comment: 'scrap stable' });
  expect(signed.status).toBe(200);
  expect(signed.body.review).toMatchObject({ number: 1, signedBy: ['pia'], signOffs: [{ approver: 'pia', role: 'plant-manager', comment: 'scrap stable' }] });
  const retried = await sign(id, 1, 'pia', { 'idempotency-key': 'pia-review-1' }, { comment: 'scrap stable' });
  expect(retried.body.review.signOffs).toHaveLength(1);
  expect((await sign(id, 1, 'pia', { 'idempotency-key': 'pia-review-1-again' })).status).toBe(409);

  const versions = (who: string, body: unknown) => h.as(who, []).then((auth) => h.http('POST', `/v1/rollouts/${id}/stages/steady/model-versions`, body, auth));
  expect((await versions('yui', { version: '', reason: 'x' })).status).toBe(422);
  expect((await versions('zed', { version: 'v2', reason: 'retrained on Q3 scrap data' })).status).toBe(403);
  const changed = await versions('yui', { version: 'v2', reason: 'retrained on Q3 scrap data' });
  expect(changed.status).toBe(201);
  expect(changed.body.modelVersion).toMatchObject({ version: 'v2', by: 'yui', role: 'data-engineer', reason: 'retrained on Q3 scrap data' });
  expect((await versions('yui', { version: 'v2', reason: 'again' })).status).toBe(409);

  // Review 2 stays unsigned: once review 3 opens on schedule, review 2 is overdue and still open.
  const later = await untilStatus(id, 'review 3', (s) => s.reviews.length >= 3);
  const [signedReview, overdueReview, thirdReview] = later.reviews as Review[];
  expect(signedReview).toMatchObject({ number: 1, signedBy: ['pia'] });
  expect(overdueReview).toMatchObject({ number: 2, dueAt: iso(startedAt + 4_000), overdue: true, signOffs: [] });
  expect(thirdReview).toMatchObject({ number: 3, dueAt: iso(startedAt + 6_000), signOffs: [] });
  expect(later.modelVersions.map((v) => v.version)).toEqual(['v2']);
  expect(later.retraining[0]).toMatchObject({ number: 1, dueAt: iso(startedAt + 3_000), retrainBy: iso(startedAt + 6_000), to: ['data-engineer'] });

  const reminder = await eventually(async () => receiver.received.find((r) => r.path === `/${id}` && r.body.type === 'retraining.due'), 'a retraining reminder');
  expect(reminder.check.valid).toBe(true);
  expect(reminder.body).toMatchObject({
    rolloutId: id,
    stageId: 'steady',
    dueBy: iso(startedAt + 6_000),
    action: `Retrain the model of stage "Steady-state operation" (data-engineer) by ${iso(startedAt + 6_000)} and record the new version (POST /v1/rollouts/${id}/stages/steady/model-versions)`,
  });
  const due = receiver.received.find((r) => r.path === `/${id}` && r.body.type === 'review.due' && r.body.detail.review === 1);
  expect(due?.body).toMatchObject({ dueBy: iso(startedAt + 4_000), detail: { review: 1 } });

  await child.signal(abortSignal, { by: 'maria', reason: 'line decommissioned' });
  const progress: ChildProgress[] = await parent.result();
  expect(progress.at(-1)).toMatchObject({ stageId: 'steady', state: 'aborted', settled: 'aborted', reason: 'line decommissioned' });
  expect(progress.filter((p) => p.settled)).toHaveLength(1);
  expect(progress[0]).toMatchObject({ state: 'running', detail: { openReviews: 0, laggingVerdict: 'too-early', horizonAt: iso(startedAt + 3_600_000) } });
  const final = await child.result();
  expect(final.state).toBe('aborted');
  // One report at the start, one per opened review, one for the sign-off, one when settled.
  expect(progress).toHaveLength(1 + final.reviews.length + 1 + 1);
  expect((await sign(id, 2, 'pia')).status).toBe(409);

  const types = await eventTypes(h, id);
  for (const type of ['steady-state.started', 'review.opened', 'review.sign.denied', 'review.signed', 'model.version-change.denied', 'model.version-changed', 'retraining.due', 'review.overdue', 'steady-state.settled']) {
    expect(types).toContain(type);
  }
  expect(types.filter((type) => type === 'review.signed')).toHaveLength(1);
});

it('judges the lagging KPIs at the horizon: passing settles the stage passed and tells the parent', async () => {
  const { rolloutId: id, parent, startedAt } = await begin('steady-passing', '8s', 20);
  const progress: ChildProgress[] = await parent.result();
  const settled = progress.at(-1)!;
  expect(settled).toMatchObject({ settled: 'passed', state: 'passed', detail: { laggingVerdict: 'pass', openReviews: 3, nextReviewAt: null } });
  expect(settled.reason).toContain('warranty-claims: 20 <= 50');

  const status = await statusOf(id);
  expect(status).toMatchObject({ state: 'passed', laggingVerdict: 'pass', settled: { outcome: 'passed' } });
  expect(status.reviews.map((r) => r.dueAt)).toEqual([2_000, 4_000, 6_000].map((ms) => iso(startedAt + ms)));
  expect(status.reviews.every((r) => r.verdicts.find((v) => v.metric === 'warranty-claims')?.verdict === 'too-early')).toBe(true);
  expect(await eventTypes(h, id)).toContain('verdict.lagging');
});

it('settles failed with the failing criterion when a lagging KPI fails at the horizon', async () => {
  const { rolloutId: id, parent } = await begin('steady-failing', '8s', 80);
  const settled = (await parent.result()).at(-1)!;
  expect(settled).toMatchObject({ settled: 'failed', detail: { laggingVerdict: 'fail' } });
  expect(settled.reason).toBe('warranty-claims: not 80 <= 50 over 1 samples');
  expect((await statusOf(id)).settled).toMatchObject({ outcome: 'failed', reason: 'warranty-claims: not 80 <= 50 over 1 samples' });
});

it("offers an open review in the reviewer's inbox until it is signed, and none once the stage settles", async () => {
  const { rolloutId: id, child } = await begin('steady-inbox', '1h', 80);
  const reviewsIn = async (who: string) => {
    const answer = await h.http('GET', `/v1/inbox?kind=steady-state-review&rolloutId=${id}`, undefined, await h.as(who, []));
    expect(answer.status).toBe(200);
    return answer.body.items as Array<{ kind: string; review: number; stageId: string; roles: string[]; deadline?: string; action: { path: string } }>;
  };

  const offered = await eventually(async () => (await reviewsIn('pia')).find((item) => item.review === 1), "review 1 in pia's inbox");
  expect(offered).toMatchObject({ kind: 'steady-state-review', stageId: 'steady', roles: ['plant-manager'], action: { path: `/v1/rollouts/${id}/stages/steady/reviews/1/sign` } });
  expect(offered.deadline).toBeDefined();
  // dana leads deployments but the reviews are the plant manager's: nothing offered that would answer 403.
  expect(await reviewsIn('dana')).toEqual([]);

  expect((await h.http('POST', offered.action.path, { comment: 'scrap stable' }, await h.as('pia', []))).status).toBe(200);
  await eventually(async () => ((await reviewsIn('pia')).some((item) => item.review === 1) ? undefined : true), 'review 1 gone from the inbox once signed');

  await child.signal(abortSignal, { by: 'maria', reason: 'line decommissioned' });
  await child.result();
  await eventually(async () => ((await reviewsIn('pia')).length === 0 ? true : undefined), 'no review offered once the stage settled');
});
