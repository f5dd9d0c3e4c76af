import { ApplicationFailure } from '@temporalio/common';
import { createEvaluationActivities, INVALID_EVALUATION_INPUT, latestEvaluations, type EvaluateStageInput } from '../../activities/evaluation';
import { windowObservations } from '../../db/derived-metrics';
import type { Plan } from '../../definitions/schema';
import { startHarness, type Harness } from '../support/harness';
import { startRollout } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const PLAN = `
name: evaluation
owner: maria
metrics:
  first-pass-yield: { unit: '%', direction: higher-is-better }
  scrap-rate: { unit: '%', direction: lower-is-better, guardrail: true }
stages:
  - id: shadow
    title: Single-shift shadow operation
    mode: shadow
    minDuration: 1h
    approvals: [{ role: deployment-lead }]
`;

const CATALOG: Plan['metrics'] = {
  'first-pass-yield': { unit: '%', direction: 'higher-is-better', kind: 'leading', guardrail: false },
  'scrap-rate': { unit: '%', direction: 'lower-is-better', kind: 'leading', guardrail: true },
};

const T0 = Date.parse('2025-03-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(T0 + ms).toISOString();

async function recommend(id: string, recId: string, issuedAt: number, outcome?: { occurred: boolean; at: number }, feedback: Array<[string, number]> = []) {
  const posted = await h.http('POST', `/v1/rollouts/${id}/recommendations`, {
    recommendationId: recId,
    action: `Inspect unit ${recId} before the next scheduled downtime`,
    issuedAt: at(issuedAt),
    dueBy: at(issuedAt + 3 * DAY),
  });
  expect(posted.status).toBe(201);
  if (outcome) {
    expect((await h.http('POST', `/v1/rollouts/${id}/recommendations/${recId}/outcome`, { occurred: outcome.occurred, observedAt: at(outcome.at) })).status).toBe(201);
  }
  for (const [response, when] of feedback) {
    expect((await h.http('POST', `/v1/rollouts/${id}/recommendations/${recId}/feedback`, { response, at: at(when) })).status).toBe(201);
  }
}

describe('metrics derived from recommendations, outcomes and feedback', () => {
  let id: string;
  beforeAll(async () => {
    id = await startRollout(h, PLAN, 'derived');
    await recommend(id, 'r1', 1 * HOUR, { occurred: true, at: 5 * HOUR }, [['acted', 1.5 * HOUR]]);
    await recommend(id, 'r2', 2 * HOUR, { occurred: true, at: 1 * DAY }, [['deferred', 3 * HOUR], ['acted', 4 * HOUR]]);
    await recommend(id, 'r3', 3 * HOUR, { occurred: false, at: 2 * DAY }, [['dismissed', 3 * HOUR + 10 * 60_000]]);
    // r4's outcome comes after the week, so a week's window does not know it yet.
    await recommend(id, 'r4', 4 * HOUR, { occurred: true, at: 8 * DAY }, [['override', 5 * HOUR]]);
    await recommend(id, 'r5', 5 * HOUR);
    // r6 was issued before the window: it counts for nothing that goes by issue time.
    await recommend(id, 'r6', -1 * DAY, { occurred: true, at: 1 * HOUR }, [['acted', 1 * HOUR]]);
    await recommend(id, 'r7', 6 * HOUR, { occurred: true, at: 6 * DAY }, [['acted', 6 * HOUR + 10 * 60_000]]);
    for (const [eventId, when] of [['m1', 2 * DAY], ['m2', 3 * DAY], ['m3', 10 * DAY]] as const) {
      expect((await h.http('POST', `/v1/rollouts/${id}/missed-events`, { eventId, observedAt: at(when) })).status).toBe(201);
    }
  });

  const week = () => [new Date(T0), new Date(T0 + 7 * DAY)] as const;
  const observe = (metric: string, from: Date, to: Date) => windowObservations(h.pool, id, metric, from, to, CATALOG);

  it('precision and false-positive-rate: judged recommendations issued in the window', async () => {
    // r1, r2, r7 occurred; r3 did not; r4's outcome is after the window; r5 has none; r6 is before it.
    expect(await observe('precision', ...week())).toEqual({ value: 0.75, samples: 4 });
    expect(await observe('false-positive-rate', ...week())).toEqual({ value: 0.25, samples: 4 });
  });

  it('recall: real problems in the window that a recommendation had flagged', async () => {
    // Caught: r6 (1h), r1 (5h), r2 (1d), r7 (6d); missed: m1, m2 (m3 is after the week).
    expect(await observe('recall', ...week())).toEqual({ value: 4 / 6, samples: 6 });
  });

  it('acceptance-rate and override-rate: the latest response of each answered recommendation', async () => {
    // r1 acted, r2 deferred then acted, r3 dismissed, r4 override, r7 acted.
    expect(await observe('acceptance-rate', ...week())).toEqual({ value: 0.6, samples: 5 });
    expect(await observe('override-rate', ...week())).toEqual({ value: 0.2, samples: 5 });
  });

  it('time-to-action: median seconds from issue to the first `acted`', async () => {
    // r1 1800 s, r2 7200 s, r7 600 s.
    expect(await observe('time-to-action', ...week())).toEqual({ value: 1800, samples: 3 });
  });

  it('counts only what was known at the end of the window', async () => {
    const to = new Date(T0 + 3.5 * HOUR);
    // r2's latest response before 3:30 is deferred; r3 was dismissed at 3:10.
    expect(await observe('acceptance-rate', new Date(T0), to)).toEqual({ value: 1 / 3, samples: 3 });
    expect(await observe('time-to-action', new Date(T0), to)).toEqual({ value: 1800, samples: 1 });
    expect(await observe('precision', new Date(T0), to)).toEqual({ value: null, samples: 0 });
  });

  it('is empty, not zero, where there is no evidence', async () => {
    const later = [new Date(T0 + 20 * DAY), new Date(T0 + 21 * DAY)] as const;
    for (const metric of ['precision', 'recall', 'false-positive-rate', 'acceptance-rate', 'override-rate', 'time-to-action', 'scrap-rate']) {
      expect(await observe(metric, ...later)).toEqual({ value: null, samples: 0 });
    }
  });

  it('reads a catalog metric of a built-in name from samples instead', async () => {
    const catalog: Plan['metrics'] = { precision: { unit: 'ratio', direction: 'higher-is-better', kind: 'leading', guardrail: false } };
    expect(await windowObservations(h.pool, id, 'precision', ...week(), catalog)).toEqual({ value: null, samples: 0 });
  });
});

describe('evaluateStage', () => {
  const activities = () => createEvaluationActivities(h.pool);
  const now = T0 + 10 * DAY;
  let id: string;

  const input = (fields: Partial<EvaluateStageInput> = {}): EvaluateStageInput => ({
    evaluationId: 'eval-1',
    rolloutId: id,
    stageId: 'shadow',
    planVersion: 1,
    catalog: CATALOG,
    stageStartedAt: at(0),
    now: new Date(now).toISOString(),
    criteria: [
      { metric: 'first-pass-yield', baseline: { window: '4w', maxRegression: '5%' }, window: '7d', minSamples: 2, consecutive: 1 },
      { metric: 'scrap-rate', baseline: { window: '4w', maxRegression: '5%' }, window: '7d', minSamples: 2, consecutive: 1 },
      { metric: 'precision', threshold: 0.5, window: '14d', minSamples: 2, consecutive: 2 },
    ],
    ...fields,
  });

  beforeAll(async () => {
    id = await startRollout(h, PLAN, 'evaluated');
    const samples: Array<[string, number, number]> = [
      // Baseline period, [start - 28d, start).
      ['first-pass-yield', 90, -20 * DAY],
      ['first-pass-yield', 92, -2 * DAY],
      ['scrap-rate', 2.0, -20 * DAY],
      ['scrap-rate', 2.0, -2 * DAY],
      // Before the baseline period: never counted.
      ['first-pass-yield', 50, -40 * DAY],
      ['scrap-rate', 9, -40 * DAY],
      // In the stage but before the 7d window, [start + 3d, start + 10d).
      ['first-pass-yield', 10, 1 * DAY],
      ['scrap-rate', 0.1, 1 * DAY],
      // In the window: yield improves while scrap regresses 15%.
      ['first-pass-yield', 96, 4 * DAY],
      ['first-pass-yield', 98, 9 * DAY],
      ['scrap-rate', 2.4, 4 * DAY],
      ['scrap-rate', 2.2, 9 * DAY],
      // At and after now: not yet.
      ['first-pass-yield', 0, 10 * DAY],
      ['scrap-rate', 99, 11 * DAY],
    ];
    const posted = await h.http('POST', `/v1/rollouts/${id}/metrics`, {
      samples: samples.map(([metric, value, when]) => ({ metric, value, observedAt: at(when) })),
    });
    expect(posted.body.accepted).toBe(samples.length);
    await recommend(id, 'p1', 1 * DAY, { occurred: true, at: 2 * DAY });
    await recommend(id, 'p2', 2 * DAY, { occurred: true, at: 3 * DAY });
    await recommend(id, 'p3', 3 * DAY, { occurred: false, at: 4 * DAY });
  });

  it('fails the stage when the guardrail regresses while the primary metric improves, and stores every result', async () => {
    const evaluation = await activities().evaluateStage(input());
    const window7d = { from: at(3 * DAY), to: at(10 * DAY) };
    const baseline = { from: at(-28 * DAY), to: at(0) };
    expect(evaluation).toEqual({
      evaluationId: 'eval-1',
      rolloutId: id,
      stageId: 'shadow',
      planVersion: 1,
      evaluatedAt: at(10 * DAY),
      verdict: 'fail',
      criteria: [
        {
          index: 0,
          metric: 'first-pass-yield',
          verdict: 'pass',
          reason: '97 >= 86.45 (baseline 91, at most 5% worse) over 2 samples',
          value: 97,
          op: '>=',
          threshold: 86.45,
          samples: 2,
          baseline: { value: 91, samples: 2 },
          consecutivePasses: 1,
          window: window7d,
          baselineWindow: baseline,
        },
        {
          index: 1,
          metric: 'scrap-rate',
          verdict: 'fail',
          reason: 'not 2.3 <= 2.1 (baseline 2, at most 5% worse) over 2 samples',
          value: 2.3,
          op: '<=',
          threshold: 2.1,
          samples: 2,
          baseline: { value: 2, samples: 2 },
          consecutivePasses: 0,
          window: window7d,
          baselineWindow: baseline,
        },
        {
          index: 2,
          metric: 'precision',
          verdict: 'inconclusive',
          reason: '0.6666666666666666 >= 0.5 over 3 samples; 1 of 2 consecutive passing evaluations',
          value: 2 / 3,
          op: '>=',
          threshold: 0.5,
          samples: 3,
          consecutivePasses: 1,
          window: { from: at(0), to: at(10 * DAY) },
        },
      ],
    });
    const { rows } = await h.pool.query(
      `SELECT criterion_index, metric, verdict, stage_verdict, value, threshold, samples, window_from, baseline_to, evaluated_at
         FROM evaluations WHERE rollout_id = $1 ORDER BY criterion_index`,
      [id],
    );
    expect(rows.map((r) => [r.criterion_index, r.metric, r.verdict, r.stage_verdict, r.value, r.threshold, r.samples])).toEqual([
      [0, 'first-pass-yield', 'pass', 'fail', 97, 86.45, 2],
      [1, 'scrap-rate', 'fail', 'fail', 2.3, 2.1, 2],
      [2, 'precision', 'inconclusive', 'fail', 2 / 3, 0.5, 3],
    ]);
    expect(rows[0].window_from.toISOString()).toBe(at(3 * DAY));
    expect(rows[0].baseline_to.toISOString()).toBe(at(0));
    expect(rows[2].baseline_to).toBeNull();
  });

  it('answers a retry with the stored evaluation, even after new evidence', async () => {
    const first = await activities().evaluateStage(input());
    await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples: [{ metric: 'scrap-rate', value: 0, observedAt: at(5 * DAY) }] });
    const retry = await activities().evaluateStage(input());
    expect(retry).toEqual(first);
    expect(Number((await h.pool.query('SELECT count(*) AS n FROM evaluations WHERE rollout_id = $1', [id])).rows[0].n)).toBe(3);
  });

  it('carries the run of passes, and the status endpoint shows the latest evaluation per stage', async () => {
    const next = await activities().evaluateStage(input({ evaluationId: 'eval-2', previousConsecutive: [1, 0, 1] }));
    expect(next.criteria.map((c) => [c.verdict, c.consecutivePasses])).toEqual([
      ['pass', 2],
      // The late sample of 0 pulls scrap to (2.4 + 2.2 + 0) / 3.
      ['pass', 1],
      ['pass', 2],
    ]);
    expect(next.verdict).toBe('pass');
    expect(await latestEvaluations(h.pool, id)).toEqual([next]);
    const shown = await h.http('GET', `/v1/rollouts/${id}/evaluations`);
    expect(shown.body).toEqual({ rolloutId: id, evaluations: [next] });
  });

  it.each([
    ['an unknown metric', { criteria: [{ metric: 'oee', threshold: 1, window: '7d', minSamples: 1, consecutive: 1 }] }, 'criteria[0].metric: unknown metric oee'],
    ['a bad window', { criteria: [{ metric: 'scrap-rate', threshold: 1, window: 'a week', minSamples: 1, consecutive: 1 }] }, 'criteria[0]: a window does not parse as a duration'],
    ['a bad time', { now: 'tomorrow' }, 'now is not an ISO 8601 time: tomorrow'],
    ['now before the stage', { now: at(-DAY) }, `now (${at(-DAY)}) is before stageStartedAt (${at(0)})`],
    ['no evaluation id', { evaluationId: '' }, 'evaluationId is empty'],
  ] as Array<[string, Partial<EvaluateStageInput>, string]>)('refuses %s as a non-retryable failure, storing nothing', async (_what, fields, message) => {
    const failure = await activities()
      .evaluateStage(input({ evaluationId: 'eval-bad', ...fields }))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: INVALID_EVALUATION_INPUT, nonRetryable: true, message });
    expect(Number((await h.pool.query(`SELECT count(*) AS n FROM evaluations WHERE evaluation_id = 'eval-bad'`)).rows[0].n)).toBe(0);
  });
});
