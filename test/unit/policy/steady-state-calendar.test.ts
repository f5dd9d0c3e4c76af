import { MIN_STEP_MS, nextCheckpoint, reviewDueAt, reviewSchedule, type SteadyStateCalendar } from '../../../policy/steady-state-calendar';

const START = Date.parse('2026-01-05T06:00:00.000Z');
const WEEK = 7 * 86_400_000;

describe('reviewSchedule', () => {
  it('lists the reviews every reviewEvery from the start, those before the horizon only', () => {
    expect(reviewSchedule(START, 4 * WEEK, 18 * WEEK)).toEqual([4, 8, 12, 16].map((weeks) => START + weeks * WEEK));
    expect(reviewSchedule(0, 2_000, 8_000)).toEqual([2_000, 4_000, 6_000]);
  });

  it('has no review when the first is due at or after the horizon', () => {
    expect(reviewSchedule(START, 52 * WEEK, 52 * WEEK)).toEqual([]);
    expect(reviewSchedule(START, 60 * WEEK, 52 * WEEK)).toEqual([]);
  });

  it('never spins on a zero step', () => {
    expect(reviewSchedule(0, 0, 3_500)).toEqual([MIN_STEP_MS, 2 * MIN_STEP_MS, 3 * MIN_STEP_MS]);
    expect(reviewDueAt(0, 0, 1)).toBe(MIN_STEP_MS);
  });
});

describe('nextCheckpoint', () => {
  const calendar: SteadyStateCalendar = { startedAtMs: 0, reviewEveryMs: 2_000, horizonMs: 8_000, retrainEveryMs: 3_000 };
  const progress = { reviewsOpened: 0, remindersSent: 0, judgedAtHorizon: false };

  it('walks reviews and reminders in date order, both at once when they coincide', () => {
    expect(nextCheckpoint(calendar, progress)).toEqual({ at: 2_000, review: true, retraining: false, judge: false });
    expect(nextCheckpoint(calendar, { ...progress, reviewsOpened: 1 })).toEqual({ at: 3_000, review: false, retraining: true, judge: false });
    expect(nextCheckpoint(calendar, { ...progress, reviewsOpened: 2, remindersSent: 1 })).toEqual({ at: 6_000, review: true, retraining: true, judge: false });
  });

  it('judges at the horizon, together with a review due then', () => {
    expect(nextCheckpoint(calendar, { reviewsOpened: 3, remindersSent: 2, judgedAtHorizon: false })).toEqual({ at: 8_000, review: true, retraining: false, judge: true });
  });

  it('judges at a horizon between reviews on its own, then again only at later reviews', () => {
    const odd = { startedAtMs: 0, reviewEveryMs: 2_000, horizonMs: 7_000 };
    expect(nextCheckpoint(odd, { reviewsOpened: 3, remindersSent: 0, judgedAtHorizon: false })).toEqual({ at: 7_000, review: false, retraining: false, judge: true });
    expect(nextCheckpoint(odd, { reviewsOpened: 3, remindersSent: 0, judgedAtHorizon: true })).toEqual({ at: 8_000, review: true, retraining: false, judge: true });
    expect(nextCheckpoint(calendar, { reviewsOpened: 4, remindersSent: 2, judgedAtHorizon: true })).toEqual({ at: 9_000, review: false, retraining: true, judge: false });
  });

  it('sends no reminders without retrainEvery', () => {
    const quiet = { startedAtMs: START, reviewEveryMs: 4 * WEEK, horizonMs: 52 * WEEK };
    expect(nextCheckpoint(quiet, progress)).toEqual({ at: START + 4 * WEEK, review: true, retraining: false, judge: false });
  });
});
