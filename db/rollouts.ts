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
  createdAt: string;
  updatedAt: string;
}

const ROLLOUT_COLUMNS = `rollout_id AS "rolloutId", workflow_id AS "workflowId", plan_name AS plan, plan_version AS version,
  state, active_stages AS "activeStages", started_by AS "startedBy", status,
  to_json(created_at) #>> '{}' AS "createdAt", to_json(updated_at) #>> '{}' AS "updatedAt"`;

export interface NewRollout {
  rolloutId: string;
  workflowId: string;
  planName: string;
  planVersion: number;
  state: string;
  startedBy: string;
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

export async function getRollout(pool: Pool, rolloutId: string): Promise<RolloutRow | undefined> {
  const result = await pool.query<RolloutRow>(`SELECT ${ROLLOUT_COLUMNS} FROM rollouts WHERE rollout_id = $1`, [rolloutId]);
  return result.rows[0];
}

export interface RolloutListFilter {
  plan?: string;
  state?: string;
  limit: number;
}

/** listRollouts returns rollouts, newest first. */
export async function listRollouts(pool: Pool, filter: RolloutListFilter): Promise<Omit<RolloutRow, 'status'>[]> {
  const result = await pool.query<RolloutRow>(
    `SELECT ${ROLLOUT_COLUMNS} FROM rollouts
      WHERE ($1::text IS NULL OR plan_name = $1) AND ($2::text IS NULL OR state = $2)
      ORDER BY created_at DESC, rollout_id LIMIT $3`,
    [filter.plan ?? null, filter.state ?? null, filter.limit],
  );
  return result.rows.map(({ status: _status, ...row }) => row);
}
