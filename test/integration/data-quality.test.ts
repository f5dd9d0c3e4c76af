import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollout, waitForStage, type StatusBody } from '../support/rollouts';

/**
 * Data-quality criteria on reported samples: a feed that stops is inconclusive and holds the
 * stage at maxDuration naming freshness; samples whose clocks disagree with the server's fail
 * the skew criterion; samples from the future are refused.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

function plan(name: string, criteria: string, stage = ''): string {
  return `
name: ${name}
owner: maria
roles:
  line-supervisor: { members: [ann] }
metrics:
  line-rate: { unit: parts/h, direction: higher-is-better, cadence: 1s }
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]${stage}
    criteria:
${criteria}
`;
}

const report = async (id: string, observedAt: number[]) =>
  h.http(
    'POST',
    `/v1/rollouts/${id}/metrics`,
    { samples: observedAt.map((at, i) => ({ metric: 'line-rate', value: 100 + i, observedAt: new Date(at).toISOString() })) },
    await h.as('mes-bridge', [], 'service'),
  );

const stageOf = async (id: string): Promise<StatusBody> => (await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0];

describe('data quality', () => {
  it('holds a stage whose feed stopped at maxDuration, naming freshness; it never passes on the old samples', async () => {
    const id = await startRollout(
      h,
      plan(
        'feed-stops',
        `      - { metric: line-rate, threshold: 50, window: 1h }
      - { metric: line-rate, freshness: 2s, window: 1h }`,
        '\n    minDuration: 3s\n    maxDuration: 6s',
      ),
    );
    await waitForStage(h, id, 'pilot', 'running');
    expect((await report(id, [Date.now() - 5, Date.now() - 1])).status).toBe(201);
    const stale = await eventually(async () => {
      const stage = await stageOf(id);
      return stage.evaluation?.criteria[1].reason.includes('older than 2s') ? stage : undefined;
    }, 'freshness inconclusive');
    expect(stale.state).toBe('running');
    expect(stale.evaluation.criteria).toMatchObject([{ verdict: 'pass' }, { verdict: 'inconclusive', op: '<=', threshold: 2 }]);
    const held = await eventually(async () => {
      const stage = await stageOf(id);
      return stage.state === 'held' ? stage : undefined;
    }, 'the stage held');
    expect(held.hold.cause).toBe('inconclusive');
    expect(held.hold.reason).toMatch(/^criteria are still inconclusive after maxDuration 6s \(line-rate: freshness: the newest sample of line-rate is [\d.]+s old, older than 2s; the feed may have stopped\)$/);
  });

  it('passes freshness and completeness while the feed keeps its cadence', async () => {
    const id = await startRollout(
      h,
      plan(
        'feed-steady',
        `      - { metric: line-rate, freshness: 5s, window: 1h }
      - { metric: line-rate, completeness: { min: 50% }, window: 1h }`,
        '\n    minDuration: 3s',
      ),
    );
    const running = await waitForStage(h, id, 'pilot', 'running');
    const started = Date.parse(running.stages[0].windowStartedAt);
    const feed = setInterval(() => void report(id, [Date.now() - 1]), 250);
    try {
      const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
      expect(awaiting.stages[0].evaluation.criteria).toMatchObject([{ verdict: 'pass' }, { verdict: 'pass', op: '>=', threshold: 0.5 }]);
      expect(Date.parse(awaiting.stages[0].evaluation.evaluatedAt)).toBeGreaterThan(started);
    } finally {
      clearInterval(feed);
    }
  });

  it('fails the skew criterion on samples that reach the server long after they were observed', async () => {
    const id = await startRollout(h, plan('skewed', '      - { metric: line-rate, skew: { max: 1s, maxSpread: 1s }, window: 1h }', '\n    minDuration: 1s'));
    const running = await waitForStage(h, id, 'pilot', 'running');
    const started = Date.parse(running.stages[0].windowStartedAt);
    // Observed just after the stage started, received some seconds later: the reporter's clock (or its buffer) lags.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await report(id, [started + 10, Date.now() - 1])).status).toBe(201);
    const held = await eventually(async () => {
      const stage = await stageOf(id);
      return stage.state === 'held' ? stage : undefined;
    }, 'the stage held');
    expect(held.hold.cause).toBe('criteria-failed');
    expect(held.evaluation.criteria[0]).toMatchObject({ verdict: 'fail', op: '<=', threshold: 1, samples: 2 });
    expect(held.evaluation.criteria[0].reason).toMatch(/^skew: received − observedAt of 2 samples of line-rate is at most [\d.]+s in magnitude, spread [\d.]+s; more than 1s$/);
  });

  it('fails labelDrift when too many outcomes are labelled under another definition than the model learnt from', async () => {
    const id = await startRollout(h, plan('label-drift', '      - { metric: precision, labelDrift: { trainedOn: defects-v2, maxShare: 25% }, window: 1h }', '\n    minDuration: 1s'));
    await waitForStage(h, id, 'pilot', 'running');
    const versions = ['defects-v2', 'defects-v3', 'defects-v3', undefined];
    for (const [i, labelVersion] of versions.entries()) {
      const issuedAt = new Date(Date.now() - 5).toISOString();
      const recommendationId = `r${i}`;
      const posted = await h.http('POST', `/v1/rollouts/${id}/recommendations`, { recommendationId, action: 'Inspect the seam', issuedAt, dueBy: new Date(Date.now() + 3_600_000).toISOString(), labelVersion: 'defects-v2' });
      expect(posted.status).toBe(201);
      const outcome = await h.http('POST', `/v1/rollouts/${id}/recommendations/${recommendationId}/outcome`, { occurred: true, observedAt: new Date(Date.now() - 1).toISOString(), ...(labelVersion ? { labelVersion } : {}) });
      expect(outcome.status).toBe(201);
      if (labelVersion) expect(outcome.body.outcome.labelVersion).toBe(labelVersion);
    }
    const held = await eventually(async () => {
      const stage = await stageOf(id);
      return stage.state === 'held' ? stage : undefined;
    }, 'the stage held');
    expect(held.evaluation.criteria[0]).toMatchObject({ verdict: 'fail', samples: 3, threshold: 0.25 });
    expect(held.evaluation.criteria[0].reason).toBe('labelDrift: 2 of 3 outcomes are labelled under another version than defects-v2 (66.7%), more than 25%');
  });

  it('refuses samples from the future beyond the tolerance with 422 naming them, and stores none', async () => {
    const id = await startRollout(h, plan('future', '      - { metric: line-rate, threshold: 50, window: 1h }', '\n    minDuration: 1h'));
    const { status, body } = await report(id, [Date.now() - 1, Date.now() + 10 * 60_000, Date.now() + 5_000]);
    expect(status).toBe(422);
    expect(body.detail).toBe('1 of 3 samples are observed in the future; nothing was stored.');
    expect(body.errors).toEqual([{ path: 'samples[1].observedAt', message: expect.stringMatching(/is more than 60s ahead of the server's clock/) }]);
    const stored = await h.pool.query('SELECT count(*)::int AS n FROM metric_samples WHERE rollout_id = $1', [id]);
    expect(stored.rows[0].n).toBe(0);
  });
});
