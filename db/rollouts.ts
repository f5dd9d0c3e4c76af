import type { Pool, PoolClient } from 'pg';

export interface RolloutRow {
  rolloutId: string;
  workflowId: string;
  plan: string;
  version: number;
  state: string;
  activeStages: string[];
  startedBy: string | null;
  status: unknown;
  /** statusSeq is the trail sequence of the last event the status snapshot follows (null before it was kept). */
  statusSeq: number | null;
  createdAt: string;
  updatedAt: string;
}

const ROLLOUT_COLUMNS = `rollout_id AS "rolloutId", workflow_id AS "workflowId", plan_name AS plan, plan_version AS version,
  state, active_stages AS "activeStages", started_by AS "startedBy", status,
  status_seq::float8 AS "statusSeq", to_json(created_at) #>> '{}' AS "createdAt", to_json(updated_at) #>> '{}' AS "updatedAt"`;

export interface NewRollout {
  rolloutId: string;
  workflowId: string;
  planName: string;
  planVersion: number;
  state: string;
  startedBy: string;
}

/**
 * Registry states the workflow itself never reports: `starting` while the API starts the
 * workflow, `not-started` when no workflow came of it, `terminated` when the workflow was
 * terminated from outside rollgate (see api/rollout-reconcile.ts).
 */
export const RegistryState = { starting: 'starting', notStarted: 'not-started', terminated: 'terminated' } as const;

/** States after which nothing changes a rollout any more. */
export const FINAL_STATES = ['completed', 'aborted', RegistryState.terminated] as const;

/**
 * registerRollout writes the registry row of a rollout about to start, in state `starting`, and
 * returns the row as stored: a repeated write with the same id changes nothing and returns the
 * first one, so the caller compares its plan and version. One statement, no transaction.
 */
export async function registerRollout(pool: Pool, rollout: Omit<NewRollout, 'state'>): Promise<{ created: boolean; row: RolloutRow }> {
  const inserted = await insertRollout(pool, { ...rollout, state: RegistryState.starting });
  const row = await getRollout(pool, rollout.rolloutId);
  if (!row) throw new Error(`rollout ${rollout.rolloutId} vanished from the registry`);
  return { created: inserted, row };
}

/** insertRollout registers a rollout; false when the id is taken. */
export async function insertRollout(db: Pool | PoolClient, rollout: NewRollout): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO rollouts (rollout_id, workflow_id, plan_name, plan_version, state, started_by)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rollout_id) DO NOTHING`,
    [rollout.rolloutId, rollout.workflowId, rollout.planName, rollout.planVersion, rollout.state, rollout.startedBy],
  );
  return result.rowCount === 1;
}

/**
 * markStarted records that the rollout's workflow exists. Only a row the workflow has not
 * reported on yet changes: the workflow's own writes are newer.
 */
export async function markStarted(pool: Pool, rolloutId: string): Promise<void> {
  await pool.query(`UPDATE rollouts SET state = 'running', updated_at = now() WHERE rollout_id = $1 AND state IN ($2, $3)`, [
    rolloutId,
    RegistryState.starting,
    RegistryState.notStarted,
  ]);
}

/** markRunningAgain records that the workflow of a rollout marked terminated runs again (it was reset). */
export async function markRunningAgain(pool: Pool, rolloutId: string): Promise<void> {
  await pool.query(`UPDATE rollouts SET state = 'running', updated_at = now() WHERE rollout_id = $1 AND state = $2`, [rolloutId, RegistryState.terminated]);
}

/** markNotStarted records that no workflow came of a start that is still `starting`. */
export async function markNotStarted(pool: Pool, rolloutId: string): Promise<void> {
  await pool.query(`UPDATE rollouts SET state = $2, updated_at = now() WHERE rollout_id = $1 AND state = $3`, [
    rolloutId,
    RegistryState.notStarted,
    RegistryState.starting,
  ]);
}

/** markTerminated records that the rollout's workflow was terminated; a final state stays as it is. */
export async function markTerminated(pool: Pool, rolloutId: string): Promise<void> {
  await pool.query(
    `UPDATE rollouts SET state = $2, active_stages = '{}', updated_at = now() WHERE rollout_id = $1 AND state <> ALL($3::text[])`,
    [rolloutId, RegistryState.terminated, [...FINAL_STATES]],
  );
}

/**
 * unsettledRollouts lists rollouts not in a final state in rollout id order, at most limit,
 * after the rollout id `after` when given: a sweep pages through them all over its passes.
 */
export async function unsettledRollouts(pool: Pool, limit: number, after?: string): Promise<RolloutRow[]> {
  const result = await pool.query<RolloutRow>(
    `SELECT ${ROLLOUT_COLUMNS} FROM rollouts WHERE state <> ALL($1::text[]) AND state <> $2 AND rollout_id > $3 ORDER BY rollout_id LIMIT $4`,
    [[...FINAL_STATES], RegistryState.notStarted, after ?? '', limit],
  );
  return result.rows;
}

/** missingRollouts is those of rolloutIds that have no registry row. */
export async function missingRollouts(pool: Pool, rolloutIds: string[]): Promise<string[]> {
  if (rolloutIds.length === 0) return [];
  const result = await pool.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) AS id WHERE NOT EXISTS (SELECT 1 FROM rollouts WHERE rollout_id = id)`,
    [rolloutIds],
  );
  return result.rows.map((row) => row.id);
}

export async function getRollout(pool: Pool, rolloutId: string): Promise<RolloutRow | undefined> {
  const result = await pool.query<RolloutRow>(`SELECT ${ROLLOUT_COLUMNS} FROM rollouts WHERE rollout_id = $1`, [rolloutId]);
  return result.rows[0];
}

export interface RolloutListFilter {
  plan?: string;
  state?: string;
  limit: number;
  /** after is where the previous page ended: rollouts created before it, or at the same time with a later id. */
  after?: { createdAt: string; rolloutId: string };
}

/** listRollouts returns rollouts, newest first (then by id), after the cursor when given. */
export async function listRollouts(pool: Pool, filter: RolloutListFilter): Promise<Omit<RolloutRow, 'status' | 'statusSeq'>[]> {
  const result = await pool.query<RolloutRow>(
    `SELECT ${ROLLOUT_COLUMNS} FROM rollouts
      WHERE ($1::text IS NULL OR plan_name = $1) AND ($2::text IS NULL OR state = $2)
        AND ($4::timestamptz IS NULL OR created_at < $4 OR (created_at = $4 AND rollout_id > $5))
      ORDER BY created_at DESC, rollout_id LIMIT $3`,
    [filter.plan ?? null, filter.state ?? null, filter.limit, filter.after?.createdAt ?? null, filter.after?.rolloutId ?? ''],
  );
  return result.rows.map(({ status: _status, statusSeq: _statusSeq, ...row }) => row);
}
