/**
 * The workflow clock as ISO 8601. In workflow code Date is Temporal's deterministic clock (the
 * time of the current activation), so these are safe there and read the same on replay.
 */

/** now is the current time. */
export const now = (): string => new Date().toISOString();

/**
 * iso is the time ms (epoch milliseconds). A time outside the range of a Date (a plan stored
 * before its durations were bounded) throws an error naming it. That fails the workflow task,
 * not the workflow: the task is retried, the API shows the rollout `stuck` with this message
 * (api/rollout-reconcile.ts), and a worker that can handle the input, or a reset, repairs it.
 */
export const iso = (ms: number): string => {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Invalid time value: ${ms} ms after 1970 is outside the range of a date`);
  return date.toISOString();
};
