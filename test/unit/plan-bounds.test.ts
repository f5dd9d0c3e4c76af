import { MAX_DURATION_MS, parseDuration } from '../../definitions/duration';
import { loadPlan } from '../../definitions/load';
import { earliestStarts } from '../../definitions/schedule';
import { MAX_SCHEDULE_MS } from '../../definitions/semantics';
import { iso } from '../../policy/clock';

/**
 * The bounds of the plan language keep every date the engine computes from a plan inside the
 * range of a Date; the fixtures in test/fixtures/plans/invalid show each bound's message.
 */

const plan = (stage: string, extra = '') => `name: bounds
owner: lead
${extra}stages:
  - id: a
    title: A
    mode: pilot
    approvals: [{ role: lead }]
${stage}`;

const errors = (text: string) => {
  const result = loadPlan(text);
  return result.ok ? [] : result.errors.map((error) => error.message);
};

describe('plan bounds', () => {
  it('accept the longest duration and refuse one millisecond more', () => {
    expect(MAX_DURATION_MS).toBe(3653 * 86_400_000);
    expect(parseDuration('3653d')).toBe(MAX_DURATION_MS);
    expect(errors(plan('    minDuration: 3653d\n'))).toEqual([]);
    expect(errors(plan('    minDuration: 3653d1ms\n'))).toEqual([
      'stages[0].minDuration: "3653d1ms" is longer than 10 years (3653d), the longest duration a plan may give',
    ]);
  });

  it('bound a threshold to a billion in magnitude', () => {
    const criterion = (threshold: string) => plan(`    minDuration: 1s\n    criteria: [{ metric: throughput, threshold: ${threshold}, window: 1d }]\n`, 'metrics:\n  throughput: { unit: parts/h, direction: higher-is-better }\n');
    expect(errors(criterion('1000000000'))).toEqual([]);
    expect(errors(criterion('-1000000000'))).toEqual([]);
    expect(errors(criterion('9223372036854775808'))).toHaveLength(1);
    expect(errors(criterion('2147483648'))[0]).toMatch(/^stages\[0\]\.criteria\[0\]\.threshold: /);
  });

  it('accept an 18-month lagging horizon with room', () => {
    expect(errors(plan('    minDuration: 1s\n    steadyState: { reviewEvery: 4w, horizon: 78w }\n'))).toEqual([]);
  });

  it('bound the sites of a scope to what a wave may hold', () => {
    const sites = Array.from({ length: 1001 }, (_, k) => `s${k}`).join(', ');
    expect(errors(plan(`    minDuration: 1s\n    scope: { sites: [${sites}] }\n`))).toEqual(['stages[0].scope.sites: needs at most 1000 entries']);
  });

  it('keep the furthest date of the longest allowed schedule inside the range of a Date', () => {
    // A stage planned at the end of the schedule may still wait a duration or two (maxDuration, escalation).
    expect(Number.isNaN(new Date(Date.now() + MAX_SCHEDULE_MS + 2 * MAX_DURATION_MS).getTime())).toBe(false);
    // 1000 waves of the longest stage, as far as the bound on durations alone would allow:
    const stage = { id: 'a', minDuration: '3653d', dependsOn: [], forEach: { over: 'sites', feedbackCycle: '3653d', waves: Array(1000).fill(1) }, scope: { sites: Array.from({ length: 1000 }, (_, k) => `s${k}`) } };
    const finish = earliestStarts([stage as never]).finish.get('a')!;
    expect(finish).toBeGreaterThan(MAX_SCHEDULE_MS); // so the schedule bound is what stops it
  });
});

describe('iso, the workflow clock', () => {
  it('renders a time', () => {
    expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it.each([8.64e15 + 1, Number.POSITIVE_INFINITY, Number.NaN])('fails the workflow task on %s with an error naming the time', (ms) => {
    expect(() => iso(ms)).toThrow(new RangeError(`Invalid time value: ${ms} ms after 1970 is outside the range of a date`));
  });
});
