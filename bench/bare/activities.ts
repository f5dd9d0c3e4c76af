import type { Pool } from 'pg';

/** BARE_METRIC is the metric whose samples both rollgate's stages and the bare workflow read. */
export const BARE_METRIC = 'bench-yield';

/**
 * The bare workflow's tables: its audit rows, and samples shaped and indexed as rollgate's
 * metric_samples (which only registered rollouts may have).
 */
export const BARE_TABLES_SQL = `
  CREATE TABLE IF NOT EXISTS bench_bare_audit (
    event_id text PRIMARY KEY, rollout_id text NOT NULL, stage integer NOT NULL, type text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS bench_bare_samples (
    seq bigserial PRIMARY KEY, rollout_id text NOT NULL, metric text NOT NULL, value double precision NOT NULL,
    observed_at timestamptz NOT NULL, scope jsonb NOT NULL DEFAULT '{}'::jsonb);
  CREATE INDEX IF NOT EXISTS bench_bare_samples_window ON bench_bare_samples (rollout_id, metric, observed_at);
`;

/** createBareActivities binds the bare workflow's two activities to a pool. */
export function createBareActivities(pool: Pool) {
  return {
    /** readSamples reads a stage's window the way rollgate's evaluation does: one aggregate over the samples. */
    async readSamples(input: { rolloutId: string; from: string; to: string }): Promise<{ value: number | null; samples: number }> {
      const { rows } = await pool.query<{ value: number | null; samples: number }>(
        `SELECT avg(value::numeric)::float8 AS value, count(*)::int AS samples FROM bench_bare_samples
          WHERE rollout_id = $1 AND observed_at >= $2 AND observed_at < $3 AND scope @> '{}'::jsonb AND metric = $4`,
        [input.rolloutId, input.from, input.to, BARE_METRIC],
      );
      return rows[0]!;
    },
    /** insertAudit inserts one audit row, once per event id. */
    async insertAudit(input: { eventId: string; rolloutId: string; stage: number; type: string }): Promise<void> {
      await pool.query('INSERT INTO bench_bare_audit (event_id, rollout_id, stage, type) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        input.eventId,
        input.rolloutId,
        input.stage,
        input.type,
      ]);
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
