import {
  expectedWaveDates,
  isTimeZone,
  nextWindowStart,
  planWaves,
  siteRole,
  stageWaves,
  windowOpen,
  type SiteWindows,
} from '../../definitions/sites';
import type { ExecutionWindow } from '../../definitions/schema';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const site = (timeZone: string, ...executionWindows: ExecutionWindow[]): SiteWindows => ({ timeZone, executionWindows });
const WEEKDAYS: ExecutionWindow['days'] = ['mon', 'tue', 'wed', 'thu', 'fri'];

describe('planWaves', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];

  it('takes one, then two, then the rest', () => {
    expect(planWaves(five, [1, 2, 'rest'])).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('lets a wave larger than what remains take what remains', () => {
    expect(planWaves(five, [1, 10])).toEqual([['a'], ['b', 'c', 'd', 'e']]);
  });

  it('puts sites left over without rest into further waves of the last size', () => {
    expect(planWaves(five, [1, 2])).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(planWaves([...five, 'f'], [1, 2])).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f']]);
    expect(planWaves(five, [2])).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('drops empty waves', () => {
    expect(planWaves(['a'], [1, 2, 'rest'])).toEqual([['a']]);
    expect(planWaves(['a', 'b'], ['rest', 1])).toEqual([['a', 'b']]);
    expect(planWaves([], [1, 'rest'])).toEqual([]);
  });

  it('puts everything in one wave when there are no waves', () => {
    expect(planWaves(five, [])).toEqual([five]);
  });

  it('reads a forEach stage from its scope', () => {
    const forEach = { over: 'lines' as const, waves: [1, 'rest' as const], onSiteFailure: 'halt' as const };
    expect(stageWaves({ scope: { lines: ['l1', 'l2', 'l3'] }, forEach })).toEqual([['l1'], ['l2', 'l3']]);
    expect(stageWaves({ scope: { lines: ['l1'] } })).toBeUndefined();
  });
});

describe('siteRole', () => {
  it('scopes a role to a site unless it is scoped already', () => {
    expect(siteRole('plant-manager', 'plant-b')).toBe('plant-manager@plant-b');
    expect(siteRole('plant-manager@plant-a', 'plant-b')).toBe('plant-manager@plant-a');
  });
});

describe('expectedWaveDates', () => {
  it('starts each wave a minimum duration and a feedback cycle after the one before', () => {
    const WEEK = 7 * 24 * 3_600_000;
    const dates = expectedWaveDates({ waves: [['a'], ['b', 'c']], startMs: at('2026-12-01T00:00:00Z'), minDurationMs: 2 * WEEK, feedbackCycleMs: WEEK });
    expect(dates.map(({ sites, startMs, finishMs }) => [sites, iso(startMs), iso(finishMs)])).toEqual([
      [['a'], '2026-12-01T00:00:00.000Z', '2026-12-15T00:00:00.000Z'],
      [['b', 'c'], '2026-12-22T00:00:00.000Z', '2027-01-05T00:00:00.000Z'],
    ]);
  });

  it('runs waves back to back without a feedback cycle', () => {
    const dates = expectedWaveDates({ waves: [['a'], ['b']], startMs: 0, minDurationMs: 10 });
    expect(dates.map((wave) => [wave.startMs, wave.finishMs])).toEqual([
      [0, 10],
      [10, 20],
    ]);
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('Europe/Berlinn')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('execution windows', () => {
  it('treats a site without windows, or no site, as open at any time', () => {
    const now = at('2026-06-06T03:17:00Z');
    expect(windowOpen(undefined, now)).toBe(true);
    expect(windowOpen(site('Europe/Berlin'), now)).toBe(true);
    expect(nextWindowStart(undefined, now)).toBe(now);
    expect(nextWindowStart(site('Europe/Berlin'), now)).toBe(now);
  });

  it('answers fromMs itself while a window is open', () => {
    const berlin = site('Europe/Berlin', { days: WEEKDAYS, from: '06:00', to: '14:00' });
    const now = at('2026-06-08T05:00:00Z'); // Monday 07:00 CEST
    expect(nextWindowStart(berlin, now)).toBe(now);
  });

  describe('Europe/Berlin on the last Sunday of March (02:00 CET becomes 03:00 CEST)', () => {
    const earlyShift = site('Europe/Berlin', { days: ['sun'], from: '06:00', to: '14:00' });

    it('opens at 06:00 local time, after the clocks went forward', () => {
      expect(nextWindowStart(earlyShift, at('2026-03-28T23:00:00Z'))).toBe(at('2026-03-29T04:00:00Z'));
      expect(windowOpen(earlyShift, at('2026-03-29T03:59:00Z'))).toBe(false);
      expect(windowOpen(earlyShift, at('2026-03-29T11:59:00Z'))).toBe(true);
      expect(windowOpen(earlyShift, at('2026-03-29T12:00:00Z'))).toBe(false);
    });

    it('opens a window that starts in the skipped hour when the clocks jump', () => {
      const inGap = site('Europe/Berlin', { days: ['sun'], from: '02:30', to: '05:00' });
      expect(nextWindowStart(inGap, at('2026-03-28T23:00:00Z'))).toBe(at('2026-03-29T01:00:00Z'));
    });

    it('finds a window lying wholly in the skipped hour a week later', () => {
      const skipped = site('Europe/Berlin', { days: ['sun'], from: '02:00', to: '02:45' });
      expect(nextWindowStart(skipped, at('2026-03-28T12:00:00Z'))).toBe(at('2026-04-05T00:00:00Z'));
    });
  });

  describe('Europe/Berlin on the last Sunday of October (03:00 CEST becomes 02:00 CET)', () => {
    it('opens at 06:00 local time, after the clocks went back', () => {
      const earlyShift = site('Europe/Berlin', { days: ['sun'], from: '06:00', to: '14:00' });
      expect(nextWindowStart(earlyShift, at('2026-10-24T22:00:00Z'))).toBe(at('2026-10-25T05:00:00Z'));
    });

    it('opens a window in the repeated hour the first time, and again when the hour repeats', () => {
      const repeated = site('Europe/Berlin', { days: ['sun'], from: '02:00', to: '02:45' });
      expect(nextWindowStart(repeated, at('2026-10-24T22:00:00Z'))).toBe(at('2026-10-25T00:00:00Z'));
      expect(nextWindowStart(repeated, at('2026-10-25T00:50:00Z'))).toBe(at('2026-10-25T01:00:00Z'));
    });
  });

  it('skips the weekend and the spring change in America/Chicago', () => {
    const dayShift = site('America/Chicago', { days: WEEKDAYS, from: '07:00', to: '15:30' });
    // Friday 16:00 CST; the clocks go forward on Sunday 8 March; Monday 07:00 CDT is 12:00Z.
    expect(nextWindowStart(dayShift, at('2026-03-06T22:00:00Z'))).toBe(at('2026-03-09T12:00:00Z'));
    expect(windowOpen(dayShift, at('2026-03-09T20:29:00Z'))).toBe(true);
    expect(windowOpen(dayShift, at('2026-03-09T20:30:00Z'))).toBe(false);
  });

  describe('a night shift from 22:00 to 06:00 opening on Fridays', () => {
    const nightShift = site('Europe/Berlin', { days: ['fri'], from: '22:00', to: '06:00' });

    it('is open from Friday night until Saturday 06:00', () => {
      expect(windowOpen(nightShift, at('2026-06-05T19:59:00Z'))).toBe(false); // Fri 21:59
      expect(windowOpen(nightShift, at('2026-06-05T20:30:00Z'))).toBe(true); // Fri 22:30
      expect(windowOpen(nightShift, at('2026-06-06T03:00:00Z'))).toBe(true); // Sat 05:00
      expect(windowOpen(nightShift, at('2026-06-06T04:00:00Z'))).toBe(false); // Sat 06:00
      expect(windowOpen(nightShift, at('2026-06-06T20:30:00Z'))).toBe(false); // Sat 22:30
      expect(windowOpen(nightShift, at('2026-06-04T23:00:00Z'))).toBe(false); // Fri 01:00, Thursday's night
    });

    it('starts next on Friday 22:00', () => {
      expect(nextWindowStart(nightShift, at('2026-06-04T10:00:00Z'))).toBe(at('2026-06-05T20:00:00Z'));
      expect(nextWindowStart(nightShift, at('2026-06-06T03:00:00Z'))).toBe(at('2026-06-06T03:00:00Z'));
      expect(nextWindowStart(nightShift, at('2026-06-06T04:00:00Z'))).toBe(at('2026-06-12T20:00:00Z'));
    });
  });

  it('honours half-hour offsets in Asia/Kolkata', () => {
    const office = site('Asia/Kolkata', { days: WEEKDAYS, from: '09:30', to: '18:00' });
    // Monday 09:30 IST (UTC+05:30) is 04:00Z.
    expect(windowOpen(office, at('2026-06-08T03:59:00Z'))).toBe(false);
    expect(windowOpen(office, at('2026-06-08T04:00:00Z'))).toBe(true);
    expect(nextWindowStart(office, at('2026-06-08T00:00:00Z'))).toBe(at('2026-06-08T04:00:00Z'));
    expect(nextWindowStart(office, at('2026-06-08T12:30:00Z'))).toBe(at('2026-06-09T04:00:00Z'));
  });

  it('gives up with a clear error when no window opens within eight days', () => {
    const never = site('Europe/Berlin', { days: [], from: '06:00', to: '14:00' });
    expect(windowOpen(never, at('2026-06-08T05:00:00Z'))).toBe(false);
    expect(() => nextWindowStart(never, at('2026-06-08T05:00:00Z'))).toThrow(
      'no execution window opens within 8 days of 2026-06-08T05:00:00.000Z in Europe/Berlin',
    );
  });
});
