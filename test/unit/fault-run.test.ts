import type { Attempt } from '../../chaos/api-client';
import { compare, type Findings } from '../../chaos/checks';
import { emptyDriverFindings } from '../../chaos/driver';
import { faultSchedule, FaultInjector } from '../../chaos/faults';
import { figures, OUTAGE_GRACE_MS } from '../../chaos/report';
import type { RollgateProcesses } from '../../chaos/rollgate-processes';

const noFindings = (): Findings => ({ rollouts: 2, completed: 2, stuck: [], lost: [], duplicated: [], disagreements: [] });

describe('compare', () => {
  it('finds acknowledged writes recorded less or more often than acknowledged', () => {
    const findings = noFindings();
    compare(
      'sign-off',
      new Map([
        ['r1|a|ann', 1],
        ['r1|b|ann', 1],
        ['r2|a|bob', 2],
      ]),
      new Map([
        ['r1|a|ann', 1],
        ['r2|a|bob', 3],
        ['r2|c|bob', 1],
        ['r2|d|bob', 2],
      ]),
      findings,
    );
    expect(findings.lost).toEqual(['sign-off r1|b|ann: acknowledged 1, recorded 0']);
    // An unacknowledged write recorded once is an answer lost on the way back; twice is a duplicate.
    expect(findings.duplicated).toEqual(['sign-off r2|a|bob: acknowledged 2, recorded 3', 'sign-off r2|d|bob: never acknowledged, recorded 2']);
  });
});

describe('faultSchedule', () => {
  it('spreads the one-off faults among the worker kills, each once', () => {
    const schedule = faultSchedule(10);
    expect(schedule).toHaveLength(13);
    expect(schedule.filter((kind) => kind === 'worker-kill')).toHaveLength(10);
    for (const kind of ['api-kill', 'postgres-restart', 'temporal-restart'] as const) expect(schedule.filter((k) => k === kind)).toHaveLength(1);
    expect(schedule[0]).toBe('worker-kill');
    expect(schedule.at(-1)).toBe('worker-kill');
  });
});

describe('figures', () => {
  const faults = () => {
    const injector = new FaultInjector({ processes: {} as RollgateProcesses });
    injector.outages.push({ kind: 'postgres-restart', from: 1_000, to: 5_000 });
    return injector;
  };
  const attempt = (status: number, at: number, retryAfter = true): Attempt => ({ kind: 'approval', status, at, api: 'a', ...(status === 503 ? { retryAfter } : {}) });

  it('passes a run whose only 5xx are 503s with Retry-After during outages', () => {
    const result = figures({ findings: noFindings(), driver: emptyDriverFindings(), attempts: [attempt(200, 0), attempt(503, 2_000), attempt(503, 5_000 + OUTAGE_GRACE_MS)], faults: faults(), crashes: [] });
    expect(result.failed).toEqual([]);
    expect(result.unavailable).toBe(2);
  });

  it('fails on a 500, a 503 outside outages or without Retry-After, a crash and a stuck rollout', () => {
    const findings = { ...noFindings(), completed: 1, stuck: ['r2: API running'] };
    const attempts = [attempt(500, 2_000), attempt(503, 5_001 + OUTAGE_GRACE_MS), attempt(503, 3_000, false)];
    const result = figures({ findings, driver: emptyDriverFindings(), attempts, faults: faults(), crashes: ['worker-1 (exit code 1)'] });
    expect(result.serverErrors).toEqual({ 500: 1, 503: 2 });
    expect(result.failed).toEqual([
      '1 rollouts did not complete',
      '1 processes died on their own',
      '5xx other than 503: 1× 500',
      '1 503s outside any outage',
      '1 503s without Retry-After',
    ]);
  });
});
