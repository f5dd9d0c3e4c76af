import type { MetricSource } from '../../definitions/schema';
import type { EvidenceScope } from '../../db/evidence';

/**
 * What every metric provider client answers: one number for a metric over a window and scope,
 * with what the decision rests on (the query as run, its parameters, a digest of the raw answer).
 */

export interface PullRequest {
  metric: string;
  source: MetricSource;
  /** from and to are epoch milliseconds; the window holds from <= t < to. */
  from: number;
  to: number;
  scope: EvidenceScope;
}

export interface PullAnswer {
  /** value is null when the provider had no data for the window. */
  value: number | null;
  /** samples is the provider's own count of the samples behind value, where it gives one. */
  samples: number | null;
  /** observedAt is the time of the newest data behind value, where the provider gives one (ISO 8601). */
  observedAt: string | null;
  /** raw is the provider's answer as received, digested for the evidence record. */
  raw: string;
}

/** PulledQuery is the query as it was sent, with its bound parameters. */
export interface PulledQuery {
  text: string;
  parameters: unknown;
}

/** ProviderClient runs one kind of query: prepare binds the window and scope (no I/O), so a failed run still records what was asked. */
export interface ProviderClient {
  prepare(request: PullRequest): PulledQuery;
  run(prepared: PulledQuery, signal: AbortSignal): Promise<PullAnswer>;
  close?(): Promise<void>;
}

/** ProviderError is an answer that says the query itself is wrong (HTTP 4xx, SQL syntax): retrying cannot help. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** numberOf reads a provider's value: a finite number, a numeric string, or null for none. */
export function numberOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new ProviderError(`the value ${JSON.stringify(value)} is not a finite number`, false);
  return n;
}

/** windowSeconds is the window's length as a PromQL/InfluxQL duration in whole seconds, at least 1s. */
export function windowSeconds(request: PullRequest): string {
  return `${Math.max(1, Math.round((request.to - request.from) / 1000))}s`;
}

/** SCOPE_WORDS are the scope keys a query may refer to as $site, $line, …. */
export const SCOPE_WORDS = ['site', 'line', 'shift', 'lane', 'carrier'] as const;
