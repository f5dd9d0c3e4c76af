import type { Pool, PoolClient } from 'pg';
import { iso, type EvidenceScope, type Reporter } from './evidence';

/** Metric samples (table metric_samples): values reported for a metric at a time and scope. */

export interface NewSample {
  metric: string;
  /** value is finite; the table refuses NaN and ±Infinity. */
  value: number;
  observedAt: string;
  scope?: EvidenceScope;
  /** sampleId, when given, makes the sample count once per rollout however often it is sent. */
  sampleId?: string;
}

export interface StoredSample {
  seq: number;
  metric: string;
  value: number;
  observedAt: string;
  scope: EvidenceScope;
  sampleId: string | null;
  reportedBy: string;
  recordedAt: string;
}

/** insertSamples stores a batch in one statement: all of it or, on error, none. Repeated sampleIds are skipped. */
export async function insertSamples(
  pool: Pool,
  rolloutId: string,
  samples: readonly NewSample[],
  reporter: Reporter,
): Promise<{ accepted: number; duplicates: number }> {
  const rows = samples.map((sample) => ({
    metric: sample.metric,
    value: sample.value,
    observed_at: sample.observedAt,
    scope: sample.scope ?? {},
    sample_id: sample.sampleId ?? null,
  }));
  const result = await pool.query(
    `INSERT INTO metric_samples (rollout_id, metric, value, observed_at, scope, sample_id, reported_by, request_id)
     SELECT $1, s.metric, s.value, s.observed_at, s.scope, s.sample_id, $3, $4
       FROM jsonb_to_recordset($2::jsonb) AS s(metric text, value float8, observed_at timestamptz, scope jsonb, sample_id text)
     ON CONFLICT (rollout_id, sample_id) DO NOTHING`,
    [rolloutId, JSON.stringify(rows), reporter.reportedBy, reporter.requestId ?? null],
  );
  const accepted = result.rowCount ?? 0;
  return { accepted, duplicates: samples.length - accepted };
}

export interface SampleQuery {
  metric?: string;
  from?: string;
  to?: string;
  /** after is a seq: the page starts after it. */
  after: number;
  limit: number;
}

/** listSamples pages through a rollout's samples in the order they were stored. */
export async function listSamples(pool: Pool, rolloutId: string, query: SampleQuery): Promise<StoredSample[]> {
  const result = await pool.query(
    `SELECT seq::float8 AS seq, metric, value, observed_at, scope, sample_id, reported_by, recorded_at
       FROM metric_samples
      WHERE rollout_id = $1 AND seq > $2
        AND ($3::text IS NULL OR metric = $3)
        AND ($4::timestamptz IS NULL OR observed_at >= $4)
        AND ($5::timestamptz IS NULL OR observed_at < $5)
      ORDER BY seq LIMIT $6`,
    [rolloutId, query.after, query.metric ?? null, query.from ?? null, query.to ?? null, query.limit],
  );
  return result.rows.map((row) => ({
    seq: row.seq,
    metric: row.metric,
    value: row.value,
    observedAt: iso(row.observed_at),
    scope: row.scope,
    sampleId: row.sample_id,
    reportedBy: row.reported_by,
    recordedAt: iso(row.recorded_at),
  }));
}

/** sampleMean is the mean of metric's samples observed in [from, to) whose scope has every entry of scope, and how many there are. */
export async function sampleMean(
  db: Pool | PoolClient,
  rolloutId: string,
  metric: string,
  from: Date,
  to: Date,
  scope: EvidenceScope,
): Promise<{ value: number | null; samples: number }> {
  const { rows } = await db.query<{ value: number | null; samples: number }>(
    `SELECT avg(value::numeric)::float8 AS value, count(*)::int AS samples FROM metric_samples
      WHERE rollout_id = $1 AND observed_at >= $2 AND observed_at < $3 AND scope @> $4::jsonb AND metric = $5`,
    [rolloutId, from, to, JSON.stringify(scope), metric],
  );
  return { value: rows[0]?.value ?? null, samples: rows[0]?.samples ?? 0 };
}

/** newestSample is the observedAt of metric's newest sample in [from, to) within scope, or null. */
export async function newestSample(db: Pool, rolloutId: string, metric: string, from: Date, to: Date, scope: EvidenceScope): Promise<string | null> {
  const { rows } = await db.query<{ newest: Date | null }>(
    `SELECT max(observed_at) AS newest FROM metric_samples
      WHERE rollout_id = $1 AND metric = $2 AND observed_at >= $3 AND observed_at < $4 AND scope @> $5::jsonb`,
    [rolloutId, metric, from, to, JSON.stringify(scope)],
  );
  return rows[0]?.newest ? iso(rows[0].newest) : null;
}

/** sampleIntervals gives one sample time (epoch ms) per cadence interval of [from, to), counted back from to, that holds any. */
export async function sampleIntervals(db: Pool, rolloutId: string, metric: string, from: Date, to: Date, scope: EvidenceScope, cadenceMs: number): Promise<number[]> {
  const { rows } = await db.query<{ at: Date }>(
    `SELECT min(observed_at) AS at FROM metric_samples
      WHERE rollout_id = $1 AND metric = $2 AND observed_at >= $3 AND observed_at < $4 AND scope @> $5::jsonb
      GROUP BY floor((extract(epoch FROM $4::timestamptz) * 1000 - 1 - extract(epoch FROM observed_at) * 1000) / $6)`,
    [rolloutId, metric, from, to, JSON.stringify(scope), cadenceMs],
  );
  return rows.map((row) => row.at.getTime());
}

/** sampleLags summarises recorded_at − observed_at (ms) of metric's samples in [from, to) within scope: how far the reporters' clocks and delivery lag behind the server's. */
export async function sampleLags(db: Pool, rolloutId: string, metric: string, from: Date, to: Date, scope: EvidenceScope): Promise<{ samples: number; maxMs: number; minMs: number }> {
  const { rows } = await db.query<{ samples: number; max_ms: number | null; min_ms: number | null }>(
    `SELECT count(*)::int AS samples,
            max(extract(epoch FROM recorded_at - observed_at) * 1000)::float8 AS max_ms,
            min(extract(epoch FROM recorded_at - observed_at) * 1000)::float8 AS min_ms
       FROM metric_samples
      WHERE rollout_id = $1 AND metric = $2 AND observed_at >= $3 AND observed_at < $4 AND scope @> $5::jsonb`,
    [rolloutId, metric, from, to, JSON.stringify(scope)],
  );
  const row = rows[0];
  return { samples: row?.samples ?? 0, maxMs: row?.max_ms ?? 0, minMs: row?.min_ms ?? 0 };
}
