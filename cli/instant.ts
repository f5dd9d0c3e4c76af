/**
 * Instants as the CLI reads them: the --start option of `rollgate explain` and `rollgate
 * simulate`, and the times of a simulation scenario (cli/scenario.ts).
 */

/**
 * parseInstant reads `2026-12-01` as midnight UTC, or an ISO 8601 time with its zone
 * (`2026-12-01T06:00+01:00`, `2026-12-01T05:00:00Z`); undefined for anything else.
 */
export function parseInstant(text: string): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    // Date rolls 2026-02-30 over into March; a real date survives the round trip.
    return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * startOption reads a --start option, in epoch milliseconds: without one, midnight UTC of
 * `today`; else parseInstant's reading, undefined when the text is no instant.
 */
export function startOption(text: string | undefined, today: Date): number | undefined {
  return text === undefined ? Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) : parseInstant(text);
}
