/**
 * The workflow clock as ISO 8601. In workflow code Date is Temporal's deterministic clock (the
 * time of the current activation), so these are safe there and read the same on replay.
 */

/** now is the current time. */
export const now = (): string => new Date().toISOString();

/** iso is the time ms (epoch milliseconds). */
export const iso = (ms: number): string => new Date(ms).toISOString();
