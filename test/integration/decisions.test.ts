import { decisionMetrics } from '../../db/decision-metrics';
import { inAnHour, submitDecision, waitForActiveStages } from '../support/decisions';
import { eventually, startHarness, type Harness } from '../support/harness';
import { auditTrail, startRollout } from '../support/rollouts';

let h: Harness;
let service: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  service = await h.as('tms', [], 'service');
});
afterAll(() => h?.close());

/** One supervised stage that runs for an hour: decisions below 0.8 go to a transport planner. */
const PLAN = `
name: carrier-decisions
owner: lena
roles:
  deployment-lead: { members: [lena] }
  transport-planner: { members: [pat, quinn] }
  transport-team-lead: { members: [tess] }
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, safeDefault: hold, deferTo: transport-planner }
`;

const RECOMMENDATION = { carrier: 'nordfracht', route: ['DC-1', 'HUB-4'], rate: { eur: 812.5 } };

const submit = (rolloutId: string, decisionId: string, fields: Record<string, unknown> = {}) =>
  submitDecision(h, rolloutId, decisionId, { confidence: 0.9, recommendation: RECOMMENDATION, ...fields }, service);

/** started starts a rollout and waits until the registry (what the decision path reads) shows its active stages. */
async function started(yaml: string, rolloutId: string, stages: string[]): Promise<string> {
  const id = await startRollout(h, yaml, rolloutId);
  await waitForActiveStages(h, id, stages);
  return id;
}

const storedCount = async (pattern: string) =>
  Number((await h.pool.query<{ n: string }>('SELECT count(*) AS n FROM decisions WHERE decision_id LIKE $1', [pattern])).rows[0]!.n);

const auditOf = async (rolloutId: string, type: string) => (await auditTrail(h, rolloutId)).filter((e) => e.type === type);

describe('submitting decisions', () => {
  let id: string;
  beforeAll(async () => {
    id = await started(PLAN, 'threshold', ['supervised']);
  });

  it('decides automatically at and above the threshold, and defers below it', async () => {
    const decideBy = inAnHour();
    const at = await submit(id, 'at-threshold', { confidence: 0.8, decideBy });
    expect(at.status).toBe(201);
    expect(at.headers.get('location')).toBe('/v1/decisions/at-threshold');
    expect(at.body).toEqual({ decisionId: 'at-threshold', rolloutId: id, stageId: 'supervised', disposition: 'auto', threshold: 0.8, decideBy });
    expect((await submit(id, 'just-above', { confidence: 0.8000001 })).body.disposition).toBe('auto');
    expect((await submit(id, 'certain', { confidence: 1 })).body.disposition).toBe('auto');

    const below = await submit(id, 'just-below', { confidence: 0.7999999, decideBy });
    expect(below.status).toBe(201);
    expect(below.body).toEqual({
      decisionId: 'just-below',
      rolloutId: id,
      stageId: 'supervised',
      disposition: 'deferred',
      threshold: 0.8,
      decideBy,
      deferTo: 'transport-planner',
      taskUrl: '/v1/decisions/just-below',
    });
    expect((await submit(id, 'clueless', { confidence: 0 })).body.disposition).toBe('deferred');

    const auto = await h.http('GET', '/v1/decisions/at-threshold', undefined, service);
    expect(auto.body).toMatchObject({
      state: 'auto',
      stageMode: 'supervised',
      planVersion: 1,
      thresholdSource: 'plan',
      recommendation: RECOMMENDATION,
      effect: { execute: true, payload: RECOMMENDATION, basis: 'automatic' },
      requestedBy: 'tms',
      outcome: null,
    });
    const pending = await h.http('GET', '/v1/decisions/just-below', undefined, service);
    expect(pending.body).toMatchObject({ state: 'pending', effect: null, deferTo: 'transport-planner', safeDefault: 'hold', taskUrl: '/v1/decisions/just-below' });
  });

  it('answers a repeat with the stored answer, and a conflicting repeat with 409', async () => {
    const decideBy = inAnHour();
    const first = await submit(id, 'repeat-me', { confidence: 0.5, decideBy, recommendation: { a: 1, b: [1, 2] } });
    expect(first.status).toBe(201);
    const again = await submit(id, 'repeat-me', { confidence: 0.5, decideBy, recommendation: { b: [1, 2], a: 1 } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const otherZone = await submit(id, 'repeat-me', { confidence: 0.5, decideBy: decideBy.replace('Z', '+00:00'), recommendation: { a: 1, b: [1, 2] } });
    expect(otherZone.status).toBe(200);

    const changed = await submit(id, 'repeat-me', { confidence: 0.55, decideBy, recommendation: { a: 1, b: [1, 2] } });
    expect(changed.status).toBe(409);
    expect(changed.body.reason).toBe('DecisionConflict');
    const otherPayload = await submit(id, 'repeat-me', { confidence: 0.5, decideBy, recommendation: { a: 2, b: [1, 2] } });
    expect(otherPayload.status).toBe(409);
    expect(await storedCount('repeat-me')).toBe(1);
  });

  it('routes a decision to the active stage with a deferral policy, or to the stage it names', async () => {
    const parallel = `
name: parallel-desks
owner: lena
stages:
  - id: ftl
    title: Full truckloads
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
  - id: ltl
    title: Less than truckload
    mode: supervised
    overrideAuthority: ltl-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.6 }
`;
    const desks = await started(parallel, 'desks', ['ftl', 'ltl']);
    const byPolicy = await submit(desks, 'desk-1', { confidence: 0.5 });
    expect(byPolicy.body).toMatchObject({ stageId: 'ltl', disposition: 'deferred', threshold: 0.6, deferTo: 'ltl-planner' });
    const named = await submit(desks, 'desk-2', { confidence: 0.5, stageId: 'ftl' });
    expect(named.body).toMatchObject({ stageId: 'ftl', disposition: 'auto', threshold: null });
    const unknown = await submit(desks, 'desk-3', { stageId: 'nope' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ path: 'stageId', message: 'the plan has no stage nope' }]);
  });

  it('fills decideBy from the stage decisionDeadline when the request has none', async () => {
    const deadline = PLAN.replace('name: carrier-decisions', 'name: deadline-decisions').replace('safeDefault: hold,', 'safeDefault: hold, decisionDeadline: 2h,');
    const withDeadline = await started(deadline, 'deadline', ['supervised']);
    const before = Date.now();
    const answer = await submit(withDeadline, 'no-deadline-given', { decideBy: undefined, confidence: 0.95 });
    const after = Date.now();
    expect(answer.status).toBe(201);
    const decideBy = Date.parse(answer.body.decideBy);
    expect(decideBy).toBeGreaterThanOrEqual(before + 7_200_000);
    expect(decideBy).toBeLessThanOrEqual(after + 7_200_000);
  });

  it('answers 409 when no stage accepts decisions, and 404 for an unknown rollout', async () => {
    const ended = await started(PLAN.replace('name: carrier-decisions', 'name: aborted-decisions'), 'aborted', ['supervised']);
    expect((await h.http('POST', `/v1/rollouts/${ended}/abort`, { reason: 'contract cancelled' })).status).toBe(200);
    await waitForActiveStages(h, ended, []);
    const refused = await submit(ended, 'too-late');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ reason: 'NoActiveStage', detail: 'no stage is accepting decisions: rollout aborted has no stage under way' });
    expect((await submit('no-such-rollout', 'nowhere')).status).toBe(404);
    expect(await storedCount('too-late')).toBe(0);
    expect(await storedCount('nowhere')).toBe(0);
  });

  it('refuses bad payloads with 422 and stores nothing', async () => {
    const bad = async (fields: Record<string, unknown>) => {
      const answer = await submit(id, 'bad-payload', fields);
      expect(answer.status).toBe(422);
      return answer.body.errors as Array<{ path: string; message: string }>;
    };
    expect(await bad({ confidence: 1.5 })).toEqual([{ path: 'confidence', message: 'must be between 0 and 1' }]);
    expect(await bad({ confidence: -0.01 })).toEqual([{ path: 'confidence', message: 'must be between 0 and 1' }]);
    expect((await bad({ confidence: 'NaN' }))[0]!.path).toBe('confidence');
    expect((await bad({ confidence: null }))[0]!.path).toBe('confidence');
    expect((await bad({ decideBy: undefined }))).toEqual([{ path: 'decideBy', message: 'is required: stage supervised sets no deferral.decisionDeadline' }]);
    expect(await bad({ decideBy: new Date(Date.now() - 1_000).toISOString() })).toEqual([
      { path: 'decideBy', message: 'is not in the future: the decision would be moot already' },
    ]);
    expect((await bad({ decideBy: '2031-01-01T00:00:00' }))[0]!.path).toBe('decideBy');
    expect((await bad({ decideBy: 'tomorrow' }))[0]!.path).toBe('decideBy');
    expect((await bad({ recommendation: undefined }))[0]!.path).toBe('recommendation');
    expect((await bad({ recommendation: null }))[0]!.path).toBe('recommendation');
    expect(await bad({ recommendation: { note: 'a\u0000b' } })).toEqual([{ path: 'recommendation.note', message: 'must not contain the character U+0000' }]);
    expect((await bad({ kind: 'Carrier Selection' }))[0]!.path).toBe('kind');
    expect((await bad({ irreversible: 'yes' }))[0]!.path).toBe('irreversible');
    expect((await bad({ extra: 1 }))[0]!.path).toBe('(body)');
    const badId = await submit(id, 'no spaces allowed');
    expect(badId.status).toBe(422);
    expect(badId.body.errors[0].path).toBe('decisionId');

    // 1e999 is valid JSON that parses to Infinity; it must not pass as a confidence.
    const infinite = await h.http(
      'POST',
      `/v1/rollouts/${id}/decisions`,
      `{"decisionId":"bad-payload","kind":"carrier-selection","confidence":1e999,"decideBy":"${inAnHour()}","recommendation":{}}`,
      { ...service, 'content-type': 'application/json' },
    );
    expect(infinite.status).toBe(422);
    expect(infinite.body.errors[0].path).toBe('confidence');
    expect(await storedCount('bad-payload')).toBe(0);
    expect(await storedCount('no spaces allowed')).toBe(0);
  });
});

describe('shadow stages', () => {
  it('records every decision as shadow and never executes or defers one', async () => {
    const shadow = PLAN.replace('name: carrier-decisions', 'name: shadow-decisions')
      .replace('mode: supervised', 'mode: shadow')
      .replace('    overrideAuthority: transport-planner\n', '');
    const id = await started(shadow, 'shadowing', ['supervised']);
    const confident = await submit(id, 'shadow-high', { confidence: 0.95 });
    expect(confident.body).toMatchObject({ disposition: 'shadow', threshold: 0.8 });
    expect(confident.body.taskUrl).toBeUndefined();
    const unsure = await submit(id, 'shadow-low', { confidence: 0.2 });
    expect(unsure.body).toMatchObject({ disposition: 'shadow', threshold: 0.8 });
    expect((await h.http('GET', '/v1/decisions/shadow-low')).body).toMatchObject({ state: 'shadow', effect: { execute: false, basis: 'shadow' } });
    await expect(h.temporal.workflow.getHandle(`decision-${id}-shadow-low`).describe()).rejects.toThrow(/not found/i);
    const pending = await h.http('GET', `/v1/decisions?state=pending&rolloutId=${id}`);
    expect(pending.body.decisions).toEqual([]);
  });
});

describe('human resolution', () => {
  let id: string;
  beforeAll(async () => {
    id = await started(PLAN.replace('name: carrier-decisions', 'name: resolved-decisions'), 'resolution', ['supervised']);
  });
  const resolve = async (decisionId: string, who: string, body: Record<string, unknown>) =>
    h.http('POST', `/v1/decisions/${decisionId}/resolution`, body, await h.as(who, []));

  it('lists deferred decisions as tasks of the deferTo role until someone resolves them', async () => {
    for (const decisionId of ['task-accept', 'task-modify', 'task-reject']) expect((await submit(id, decisionId, { confidence: 0.4 })).status).toBe(201);
    const tasks = await h.http('GET', `/v1/decisions?state=pending&role=transport-planner&rolloutId=${id}`, undefined, await h.as('pat', []));
    expect(tasks.body.decisions.map((d: { decisionId: string }) => d.decisionId)).toEqual(['task-accept', 'task-modify', 'task-reject']);
    expect((await h.http('GET', `/v1/decisions?state=pending&role=safety-officer&rolloutId=${id}`)).body.decisions).toEqual([]);

    const accepted = await resolve('task-accept', 'pat', { resolution: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      state: 'resolved',
      resolution: { resolution: 'accept', by: 'pat', role: 'transport-planner' },
      effect: { execute: true, payload: RECOMMENDATION, basis: 'accepted' },
    });
    const changed = { carrier: 'baltic-haul', route: ['DC-1', 'HUB-2'] };
    const modified = await resolve('task-modify', 'quinn', { resolution: 'modify', payload: changed, reason: 'nordfracht has no capacity on Friday' });
    expect(modified.body).toMatchObject({
      state: 'resolved',
      resolution: { resolution: 'modify', payload: changed, reason: 'nordfracht has no capacity on Friday', by: 'quinn' },
      effect: { execute: true, payload: changed, basis: 'modified' },
    });
    const rejected = await resolve('task-reject', 'pat', { resolution: 'reject', reason: 'the load is cancelled' });
    expect(rejected.body).toMatchObject({ state: 'resolved', effect: { execute: false, basis: 'rejected' } });
    expect((await h.http('GET', `/v1/decisions?state=pending&role=transport-planner&rolloutId=${id}`)).body.decisions).toEqual([]);

    // The service polls the decision for the result.
    expect((await h.http('GET', '/v1/decisions/task-modify', undefined, service)).body.effect).toEqual({ execute: true, payload: changed, basis: 'modified' });
    // Each timer ends as soon as the resolution is in.
    const settlement = await h.temporal.workflow.getHandle(`decision-${id}-task-reject`).result();
    expect(settlement).toEqual({ state: 'resolved' });

    const resolvedEvents = await eventually(async () => {
      const events = await auditOf(id, 'decision.resolved');
      return events.length === 3 ? events : undefined;
    }, 'three decision.resolved events');
    expect(resolvedEvents.find((e) => e.detail.decisionId === 'task-modify')).toMatchObject({
      actor: 'quinn',
      role: 'transport-planner',
      reason: 'nordfracht has no capacity on Friday',
      stageId: 'supervised',
      detail: { decisionId: 'task-modify', resolution: 'modify', payload: changed },
    });
    const deferred = await eventually(async () => {
      const events = await auditOf(id, 'decision.deferred');
      return events.length === 3 ? events : undefined;
    }, 'three decision.deferred events');
    // Each decision's own timer records its decision.deferred, so the three come in any order.
    expect(deferred.find((e) => e.detail.decisionId === 'task-accept')).toMatchObject({
      actor: 'tms',
      role: 'transport-planner',
      detail: { decisionId: 'task-accept', taskUrl: '/v1/decisions/task-accept', threshold: 0.8 },
    });
  });

  it('lets only holders of the deferTo role resolve, and audits refusals', async () => {
    await submit(id, 'task-guarded', { confidence: 0.3 });
    const outsider = await resolve('task-guarded', 'tess', { resolution: 'accept' });
    expect(outsider.status).toBe(403);
    expect(outsider.body).toMatchObject({ reason: 'NotAuthorized', detail: 'tess does not hold transport-planner, the role decision task-guarded is deferred to' });
    const serviceAttempt = await h.http('POST', '/v1/decisions/task-guarded/resolution', { resolution: 'accept' }, service);
    expect(serviceAttempt.status).toBe(403);
    const denied = await auditOf(id, 'decision.resolution.denied');
    expect(denied).toEqual([
      expect.objectContaining({ actor: 'tess', requestId: outsider.headers.get('x-request-id'), reason: outsider.body.detail }),
      expect.objectContaining({ actor: 'tms' }),
    ]);
    expect((await h.http('GET', '/v1/decisions/task-guarded')).body.state).toBe('pending');
  });

  it('refuses resolutions that do not apply', async () => {
    await submit(id, 'task-once', { confidence: 0.3 });
    expect((await resolve('task-once', 'pat', { resolution: 'modify', reason: 'x' })).body.errors).toEqual([
      { path: 'payload', message: 'modify needs the changed decision in payload' },
    ]);
    expect((await resolve('task-once', 'pat', { resolution: 'reject' })).body.errors).toEqual([{ path: 'reason', message: 'reject needs a reason' }]);
    expect((await resolve('task-once', 'pat', { resolution: 'accept', payload: {} })).status).toBe(422);
    expect((await h.http('GET', '/v1/decisions/task-once')).body.state).toBe('pending');

    const first = await resolve('task-once', 'pat', { resolution: 'reject', reason: 'duplicate load' });
    expect(first.status).toBe(200);
    const retried = await resolve('task-once', 'pat', { resolution: 'reject', reason: 'duplicate load' });
    expect(retried.status).toBe(200);
    expect(retried.body.resolution).toEqual(first.body.resolution);
    const late = await resolve('task-once', 'quinn', { resolution: 'accept' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ reason: 'DecisionSettled', state: 'resolved' });

    await submit(id, 'auto-one', { confidence: 0.99 });
    const notDeferred = await resolve('auto-one', 'pat', { resolution: 'accept' });
    expect(notDeferred.status).toBe(409);
    expect(notDeferred.body.reason).toBe('NotDeferred');
    expect((await resolve('no-such-decision', 'pat', { resolution: 'accept' })).status).toBe(404);
  });
});

describe('outcomes and metrics', () => {
  it('records each outcome once and computes the stage metrics from them', async () => {
    const id = await started(PLAN.replace('name: carrier-decisions', 'name: measured-decisions'), 'measured', ['supervised']);
    const from = new Date(Date.now() - 60_000);
    for (const [decisionId, confidence] of [['m-auto-1', 0.9], ['m-auto-2', 0.85], ['m-auto-3', 0.95], ['m-auto-4', 0.8], ['m-def-1', 0.5], ['m-def-2', 0.6], ['m-def-3', 0.7]] as const) {
      expect((await submit(id, decisionId, { confidence })).status).toBe(201);
    }
    // The instant after the decisions and before anything became known about them.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
    await pause();
    const decidedBy = new Date();
    await pause();
    const planner = await h.as('pat', []);
    await h.http('POST', '/v1/decisions/m-def-1/resolution', { resolution: 'accept' }, planner);
    await h.http('POST', '/v1/decisions/m-def-2/resolution', { resolution: 'modify', payload: { carrier: 'x' }, reason: 'cheaper' }, planner);
    await h.http('POST', '/v1/decisions/m-def-3/resolution', { resolution: 'reject', reason: 'wrong lane' }, planner);

    const observedAt = new Date().toISOString();
    const outcome = await h.http('POST', '/v1/decisions/m-auto-1/outcome', { correct: true, observedAt, detail: { deliveredOnTime: true } }, service);
    expect(outcome.status).toBe(201);
    expect(outcome.body).toEqual({
      decisionId: 'm-auto-1',
      outcome: { correct: true, observedAt, detail: { deliveredOnTime: true }, recordedBy: 'tms', recordedAt: expect.any(String) },
    });
    const same = await h.http('POST', '/v1/decisions/m-auto-1/outcome', { correct: true, observedAt, detail: { deliveredOnTime: true } }, service);
    expect(same.status).toBe(200);
    const different = await h.http('POST', '/v1/decisions/m-auto-1/outcome', { correct: false, observedAt }, service);
    expect(different.status).toBe(409);
    expect(different.body.reason).toBe('OutcomeConflict');
    expect((await h.http('POST', '/v1/decisions/m-auto-2/outcome', { correct: false, observedAt }, service)).status).toBe(201);
    expect((await h.http('POST', '/v1/decisions/m-auto-3/outcome', { correct: true, observedAt: 'yesterday' }, service)).status).toBe(422);

    await submit(id, 'm-pending', { confidence: 0.1 });
    const pending = await h.http('POST', '/v1/decisions/m-pending/outcome', { correct: true, observedAt }, service);
    expect(pending.status).toBe(409);
    expect(pending.body.reason).toBe('DecisionPending');
    expect((await h.http('GET', '/v1/decisions/m-auto-1')).body.outcome).toEqual(outcome.body.outcome);

    const metrics = await decisionMetrics(h.pool, id, 'supervised', from, new Date(Date.now() + 60_000));
    expect(metrics).toEqual({
      'deferral-rate': { value: 4 / 8, samples: 8 },
      'human-override-rate': { value: 2 / 3, samples: 3 },
      'auto-decision-accuracy': { value: 0.5, samples: 2 },
      'decision-timeout-count': { value: 0, samples: 4 },
    });
    // A window is judged on what was known at its end: no resolution or outcome yet.
    expect(await decisionMetrics(h.pool, id, 'supervised', from, decidedBy)).toEqual({
      'deferral-rate': { value: 3 / 7, samples: 7 },
      'human-override-rate': { value: null, samples: 0 },
      'auto-decision-accuracy': { value: null, samples: 0 },
      'decision-timeout-count': { value: 0, samples: 3 },
    });
    const empty = await decisionMetrics(h.pool, id, 'supervised', new Date(0), from);
    expect(empty).toEqual({
      'deferral-rate': { value: null, samples: 0 },
      'human-override-rate': { value: null, samples: 0 },
      'auto-decision-accuracy': { value: null, samples: 0 },
      'decision-timeout-count': { value: 0, samples: 0 },
    });
  });
});

describe('decision metrics over REST', () => {
  it('answers a stage\'s decision metrics over a window, and refuses bad windows with 422', async () => {
    const id = await started(PLAN.replace('name: carrier-decisions', 'name: metered-decisions'), 'metered', ['supervised']);
    const from = new Date(Date.now() - 60_000).toISOString();
    for (const [decisionId, confidence] of [['r-auto-1', 0.9], ['r-auto-2', 0.95], ['r-def-1', 0.5]] as const) {
      expect((await submit(id, decisionId, { confidence })).status).toBe(201);
    }
    const to = new Date(Date.now() + 60_000).toISOString();
    const path = `/v1/rollouts/${id}/stages/supervised/decision-metrics`;
    const answer = await h.http('GET', `${path}?from=${from}&to=${to}`, undefined, service);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      rolloutId: id,
      stageId: 'supervised',
      from,
      to,
      metrics: {
        'deferral-rate': { value: 1 / 3, samples: 3 },
        'human-override-rate': { value: null, samples: 0 },
        'auto-decision-accuracy': { value: null, samples: 0 },
        'decision-timeout-count': { value: 0, samples: 1 },
      },
    });
    const untilNow = await h.http('GET', `${path}?from=${encodeURIComponent(from.replace('Z', '+00:00'))}`);
    expect(untilNow.status).toBe(200);
    expect(untilNow.body.from).toBe(from);
    expect(untilNow.body.metrics['deferral-rate'].samples).toBe(3);

    const refused = async (query: string) => {
      const response = await h.http('GET', `${path}${query}`);
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return response.body.errors as Array<{ path: string }>;
    };
    expect((await refused('?from=yesterday'))[0]!.path).toBe('from');
    expect((await refused(`?from=${from}&to=2031-13-45T00:00:00Z`))[0]!.path).toBe('to');
    expect((await refused(''))[0]!.path).toBe('from');
    expect((await refused(`?from=${to}&to=${from}`))).toEqual([{ path: 'from', message: 'must not be later than to' }]);
    expect((await refused(`?from=${from}&window=7d`))[0]!.path).toBe('(query)');
    expect((await h.http('GET', `/v1/rollouts/${id}/stages/nope/decision-metrics?from=${from}`)).status).toBe(404);
    expect((await h.http('GET', `/v1/rollouts/no-such-rollout/stages/supervised/decision-metrics?from=${from}`)).status).toBe(404);
  });
});
