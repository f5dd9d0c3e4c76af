/**
 * The steady-state calendar, pure: the steady-state workflow and offline tools such as the
 * simulator compute the same dates. Every date counts from the stage's start:
 * - review n (from 1) is due at start + n × reviewEvery;
 * - retraining reminder n (from 1) is sent at start + n × retrainEvery;
 * - the lagging KPIs are first judged at start + horizon. A review due at the same moment is
 *   opened only if that verdict is inconclusive; while it stays inconclusive, it is judged
 *   again at every later review.
 * A step shorter than MIN_STEP_MS counts as MIN_STEP_MS, so a zero duration cannot spin.
 */

export const MIN_STEP_MS = 1_000;

export interface SteadyStateCalendar {
  startedAtMs: number;
  reviewEveryMs: number;
  horizonMs: number;
  /** retrainEveryMs is absent when the stage sends no retraining reminders. */
  retrainEveryMs?: number;
}

/** CalendarProgress is how far a run has come: what it has already done. */
export interface CalendarProgress {
  reviewsOpened: number;
  remindersSent: number;
  /** judgedAtHorizon is true once the lagging KPIs were judged at the horizon (the verdict was inconclusive). */
  judgedAtHorizon: boolean;
}

/** Checkpoint is the next moment something is due, and everything due then. */
export interface Checkpoint {
  at: number;
  /** review: review number reviewsOpened + 1 is due. */
  review: boolean;
  /** retraining: reminder number remindersSent + 1 is due. */
  retraining: boolean;
  /** judge: the lagging KPIs are judged: at the horizon, then at every later review. */
  judge: boolean;
}

const step = (ms: number): number => Math.max(MIN_STEP_MS, ms);

/** reviewDueAt is when review `number` (from 1) is due. */
export function reviewDueAt(startedAtMs: number, reviewEveryMs: number, number: number): number {
  return startedAtMs + number * step(reviewEveryMs);
}

/** retrainingDueAt is when retraining reminder `number` (from 1) is sent; Infinity for a stage that sends none. */
export function retrainingDueAt(calendar: Pick<SteadyStateCalendar, 'startedAtMs' | 'retrainEveryMs'>, number: number): number {
  return calendar.retrainEveryMs === undefined ? Infinity : calendar.startedAtMs + number * step(calendar.retrainEveryMs);
}

/** horizonAt is when the lagging KPIs are first judged. */
export function horizonAt(calendar: Pick<SteadyStateCalendar, 'startedAtMs' | 'horizonMs'>): number {
  return calendar.startedAtMs + Math.max(0, calendar.horizonMs);
}

/**
 * reviewSchedule lists the due times of the reviews that open whatever the verdict: those due
 * before the horizon. Later ones open only while the lagging verdict stays inconclusive.
 */
export function reviewSchedule(startedAtMs: number, reviewEveryMs: number, horizonMs: number): number[] {
  const end = horizonAt({ startedAtMs, horizonMs });
  const due: number[] = [];
  for (let number = 1; reviewDueAt(startedAtMs, reviewEveryMs, number) < end; number += 1) {
    due.push(reviewDueAt(startedAtMs, reviewEveryMs, number));
  }
  return due;
}

/** nextCheckpoint is the next moment anything is due after `progress`, with everything due at it. */
export function nextCheckpoint(calendar: SteadyStateCalendar, progress: CalendarProgress): Checkpoint {
  const review = reviewDueAt(calendar.startedAtMs, calendar.reviewEveryMs, progress.reviewsOpened + 1);
  const retraining = retrainingDueAt(calendar, progress.remindersSent + 1);
  const horizon = horizonAt(calendar);
  const at = Math.min(review, retraining, progress.judgedAtHorizon ? Infinity : horizon);
  const judge = progress.judgedAtHorizon ? review === at : at === horizon;
  return { at, review: review === at, retraining: retraining === at, judge };
}
