import type { Pool } from 'pg';
import { withTransaction } from './pool';
import type { Plan } from '../definitions/schema';

export interface PlanVersionRow {
  name: string;
  version: number;
  digest: string;
  source: string;
  plan: Plan;
  createdAt: string;
}

export interface StoredPlanVersion {
  name: string;
  version: number;
  digest: string;
  /** created is false when an identical version already existed. */
  created: boolean;
}

/**
 * storePlanVersion stores plan as the next version of its name, unless a version with the same
 * digest exists, in which case that version is returned. Concurrent uploads of one name are
 * serialised by a row lock on the plans row.
 */
export async function storePlanVersion(pool: Pool, plan: Plan, source: string, digest: string): Promise<StoredPlanVersion> {
  return withTransaction(pool, async (client) => {
    await client.query('INSERT INTO plans (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [plan.name]);
    await client.query('SELECT name FROM plans WHERE name = $1 FOR UPDATE', [plan.name]);
    const existing = await client.query<{ version: number }>(
      'SELECT version FROM plan_versions WHERE name = $1 AND digest = $2',
      [plan.name, digest],
    );
    if (existing.rows[0]) {
      return { name: plan.name, version: existing.rows[0].version, digest, created: false };
    }
    const inserted = await client.query<{ version: number }>(
      `INSERT INTO plan_versions (name, version, digest, source, definition)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM plan_versions WHERE name = $1
       RETURNING version`,
      [plan.name, digest, source, JSON.stringify(plan)],
    );
    return { name: plan.name, version: inserted.rows[0]!.version, digest, created: true };
  });
}

const VERSION_COLUMNS = `name, version, digest, source, definition AS plan, to_json(created_at) #>> '{}' AS "createdAt"`;

/** getPlanVersion returns one version, or the latest when version is undefined. */
export async function getPlanVersion(pool: Pool, name: string, version?: number): Promise<PlanVersionRow | undefined> {
  const result =
    version === undefined
      ? await pool.query<PlanVersionRow>(
          `SELECT ${VERSION_COLUMNS} FROM plan_versions WHERE name = $1 ORDER BY version DESC LIMIT 1`,
          [name],
        )
      : await pool.query<PlanVersionRow>(`SELECT ${VERSION_COLUMNS} FROM plan_versions WHERE name = $1 AND version = $2`, [
          name,
          version,
        ]);
  return result.rows[0];
}

/**
 * getPlanDefinition returns the parsed plan of one version, without the YAML source and the
 * rest of the row: what a route needs to check a request against the plan.
 */
export async function getPlanDefinition(pool: Pool, name: string, version: number): Promise<Plan | undefined> {
  const result = await pool.query<{ plan: Plan }>('SELECT definition AS plan FROM plan_versions WHERE name = $1 AND version = $2', [name, version]);
  return result.rows[0]?.plan;
}

export interface PlanSummary {
  name: string;
  latestVersion: number;
  digest: string;
  owner: string;
  updatedAt: string;
}

/** listPlans returns every plan with its latest version, by name. */
export async function listPlans(pool: Pool): Promise<PlanSummary[]> {
  const result = await pool.query<PlanSummary>(
    `SELECT DISTINCT ON (name) name, version AS "latestVersion", digest, definition ->> 'owner' AS owner,
            to_json(created_at) #>> '{}' AS "updatedAt"
       FROM plan_versions ORDER BY name, version DESC`,
  );
  return result.rows;
}

export interface PlanVersionSummary {
  version: number;
  digest: string;
  createdAt: string;
}

/** listPlanVersions returns the versions of one plan, oldest first. */
export async function listPlanVersions(pool: Pool, name: string): Promise<PlanVersionSummary[]> {
  const result = await pool.query<PlanVersionSummary>(
    `SELECT version, digest, to_json(created_at) #>> '{}' AS "createdAt" FROM plan_versions WHERE name = $1 ORDER BY version`,
    [name],
  );
  return result.rows;
}
