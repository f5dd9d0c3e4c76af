import { ApplicationFailure } from '@temporalio/common';

/**
 * The workflow clock as ISO 8601. In workflow code Date is Temporal's deterministic clock (the
 * time of the current activation), so these are safe there and read the same on replay.
 */

/** INVALID_TIME is the failure type of iso on a time no Date can hold. */
export const INVALID_TIME = 'InvalidTime';

/** now is the current time. */
export const now = (): string => new Date().toISOString();

/**
 * iso is the time ms (epoch milliseconds). A time outside the range of a Date (a plan checked
 * before its durations were bounded) throws a non-retryable ApplicationFailure naming it, which
 * fails the workflow visibly, instead of the RangeError that would fail every workflow task
 * again, for ever.
 */
export const iso = (ms: number): string => {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) {
    throw ApplicationFailure.create({ type: INVALID_TIME, message: `time ${ms} ms after 1970 is outside the range of a date`, nonRetryable: true });
  }
  return date.toISOString();
};
