import { Pool, types as pgTypes } from 'pg';
import type { z } from 'zod';
import type { SqlProvider } from '../../config/providers';
import { numberOf, ProviderError, type ProviderClient, type PulledQuery } from './pull';

/**
 * The bind parameters a SQL query may use, by type OID: $1 window start and $2 window end
 * (timestamptz), $3 the scope (jsonb). Declared in the Parse message, so a query may use any of
 * them or none. node-postgres sends a query's `types` as the Parse message's parameter types
 * and also reads result columns through it, so the list carries the default type parsers too.
 */
const PARAMETER_TYPES = Object.assign([1184, 1184, 3802], { getTypeParser: pgTypes.getTypeParser });

/**
 * The SQL client: PostgreSQL (TimescaleDB is PostgreSQL) through the provider's read-only role.
 * The query takes bind parameters only, never text put into it; it runs as one statement (the
 * extended protocol refuses several), with the parameter types timestamptz, timestamptz and
 * jsonb, in a READ ONLY transaction with a statement timeout, on
 * sessions whose default is read-only too. It answers one row with `value`, and optionally
 * `samples` and `observed_at`.
 */
export function sqlClient(settings: z.infer<typeof SqlProvider>): ProviderClient {
  const pool = new Pool({
    connectionString: settings.connectionString,
    max: 2,
    connectionTimeoutMillis: settings.timeoutMs,
    options: '-c default_transaction_read_only=on',
    application_name: 'rollgate-provider',
    // The pool lives as long as the worker's activities; idle connections never keep a stopping worker's process up.
    allowExitOnIdle: true,
  });
  pool.on('error', () => undefined);
  return {
    prepare(request) {
      return { text: request.source.query, parameters: [new Date(request.from).toISOString(), new Date(request.to).toISOString(), JSON.stringify(request.scope)] };
    },
    async run(prepared: PulledQuery, signal) {
      const parameters = prepared.parameters as string[];
      if (/\$([4-9]|\d{2,})/.test(prepared.text)) throw new ProviderError('a SQL query has three bind parameters: $1 window start, $2 window end, $3 the scope as JSON', false);
      let client;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new ProviderError(`cannot connect to the database: ${(error as Error).message}`, true);
      }
      // A query abandoned at its deadline, or one that erred mid-transaction, takes its connection with it.
      const abandon = () => client.release(true);
      signal.addEventListener('abort', abandon, { once: true });
      let clean = false;
      let rows: Record<string, unknown>[];
      try {
        await client.query('BEGIN READ ONLY');
        await client.query(`SET LOCAL statement_timeout = ${Math.floor(settings.timeoutMs)}`);
        // The extended protocol takes one statement only; the window and scope travel as parameters alone.
        const result = await client.query({ text: prepared.text, values: parameters, types: PARAMETER_TYPES, queryMode: 'extended' } as never);
        await client.query('COMMIT');
        rows = (result as { rows: Record<string, unknown>[] }).rows;
        clean = true;
      } catch (error) {
        const pgError = error as { code?: string; message: string };
        // Class 08 (connection), 57 (operator intervention: timeouts, shutdown) and 53 (resources) may pass; the rest is the query's fault.
        const retryable = signal.aborted || pgError.code === undefined || /^(08|57|53)/.test(pgError.code);
        throw new ProviderError(signal.aborted ? 'the database did not answer in time' : `the database refused the query: ${pgError.message}`, retryable);
      } finally {
        signal.removeEventListener('abort', abandon);
        if (!signal.aborted) client.release(clean ? undefined : true);
      }
      return answerOf(rows);
    },
    close: () => pool.end(),
  };
}

/** answerOf reads the query's one row. */
function answerOf(rows: Record<string, unknown>[]) {
  const raw = JSON.stringify(rows);
  if (rows.length === 0) return { value: null, samples: 0, observedAt: null, raw };
  if (rows.length > 1) throw new ProviderError(`the query answers ${rows.length} rows; answer one row with a value column`, false);
  const row = rows[0]!;
  if (!('value' in row)) throw new ProviderError('the query answers no value column', false);
  const value = numberOf(row.value);
  const samples = row.samples === undefined || row.samples === null ? null : Math.max(0, Math.trunc(numberOf(row.samples) ?? 0));
  const at = row.observed_at;
  const observedAt = at instanceof Date ? at.toISOString() : typeof at === 'string' && Number.isFinite(Date.parse(at)) ? new Date(at).toISOString() : null;
  return { value, samples: value === null ? 0 : samples, observedAt, raw };
}
