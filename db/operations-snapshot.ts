import type { Pool } from 'pg';
import { FINAL_STATES, RegistryState } from './rollouts';

/**
 * The operations snapshot is what the API's /metrics reports about all rollouts at once, read
 * from PostgreSQL in one statement (the registry's status snapshots, the pending-decision index,
 * the latest sample per running criterion, and proposals), never by asking each workflow.
 */

/** SnapshotRow is one row of the snapshot statement; what `a`, `b`, `n` and `at` mean depends on kind. */
interface SnapshotRow {
  kind: 'rollouts' | 'stages' | 'approval' | 'evidence' | 'deferrals' | 'calibrations';
  plan: string;
  stage: string | null;
  a: string | null;
  b: string | null;
  n: string;
  at: Date | null;
}

export interface OperationsSnapshot {
  /** rollouts counts every registered rollout by plan and registry state. */
  rollouts: { plan: string; state: string; count: number }[];
  /** stages counts the stages of unfinished rollouts by plan, stage, mode and state. */
  stages: { plan: string; stage: string; mode: string; state: string; count: number }[];
  /** approvals is one entry per stage awaiting sign-off, with its plan's first escalation step's `after`. */
  approvals: { plan: string; stage: string; awaitingSince: Date; escalationAfter?: string }[];
  /** evidence is, per running stage and criterion metric, the oldest of the rollouts' latest samples (or the stage's start when none). */
  evidence: { plan: string; stage: string; metric: string; lastSampleAt: Date }[];
  /** deferrals counts pending deferred decisions, with the oldest one's creation, by plan and stage. */
  deferrals: { plan: string; stage: string; count: number; oldest: Date }[];
  /** calibrations counts threshold proposals by plan, stage and state (proposed, approved, rejected). */
  calibrations: { plan: string; stage: string; state: string; count: number }[];
}

/** Registry states of rollouts whose stages no longer change (FINAL_STATES) or never started. */
const SETTLED = [...FINAL_STATES, RegistryState.notStarted];

const SNAPSHOT_SQL = `
WITH active AS (
  SELECT r.rollout_id, r.plan_name, r.plan_version, s.stage
    FROM rollouts r CROSS JOIN LATERAL jsonb_array_elements(r.status->'stages') AS s(stage)
   WHERE r.status IS NOT NULL AND r.state <> ALL($1::text[])
), defined AS (
  SELECT a.*, d.def
    FROM active a
    JOIN plan_versions pv ON pv.name = a.plan_name AND pv.version = a.plan_version
    CROSS JOIN LATERAL (SELECT e AS def FROM jsonb_array_elements(pv.definition->'stages') e WHERE e->>'id' = a.stage->>'id' LIMIT 1) d
   WHERE a.stage->>'state' IN ('running', 'awaiting-approval')
)
SELECT 'rollouts' AS kind, plan_name AS plan, NULL AS stage, state AS a, NULL AS b, count(*) AS n, NULL::timestamptz AS at
  FROM rollouts GROUP BY plan_name, state
UNION ALL
SELECT 'stages', plan_name, stage->>'id', stage->>'mode', stage->>'state', count(*), NULL
  FROM active GROUP BY plan_name, stage->>'id', stage->>'mode', stage->>'state'
UNION ALL
SELECT 'approval', plan_name, stage->>'id', def->'escalation'->0->>'after', NULL, 1, (stage->>'awaitingSince')::timestamptz
  FROM defined WHERE stage->>'state' = 'awaiting-approval' AND stage ? 'awaitingSince'
UNION ALL
SELECT 'evidence', plan_name, stage->>'id', metric, NULL, count(*), min(last_at)
  FROM (
    SELECT f.plan_name, f.stage, c.metric,
           COALESCE((SELECT max(m.observed_at) FROM metric_samples m WHERE m.rollout_id = f.rollout_id AND m.metric = c.metric),
                    (f.stage->>'windowStartedAt')::timestamptz, (f.stage->>'startedAt')::timestamptz) AS last_at
      FROM defined f
      CROSS JOIN LATERAL (SELECT DISTINCT cr->>'metric' AS metric FROM jsonb_array_elements(COALESCE(f.def->'criteria', '[]'::jsonb)) cr) c
     WHERE f.stage->>'state' = 'running' AND c.metric IS NOT NULL
  ) latest
 WHERE last_at IS NOT NULL
 GROUP BY plan_name, stage->>'id', metric
UNION ALL
SELECT 'deferrals', r.plan_name, d.stage_id, NULL, NULL, count(*), min(d.created_at)
  FROM decisions d JOIN rollouts r ON r.rollout_id = d.rollout_id
 WHERE d.state = 'pending' GROUP BY r.plan_name, d.stage_id
UNION ALL
SELECT 'calibrations', plan_name, stage_id, state, NULL, count(*), NULL
  FROM proposals GROUP BY plan_name, stage_id, state
`;

/** readOperationsSnapshot runs the snapshot statement: one round trip, no transaction. */
export async function readOperationsSnapshot(pool: Pool): Promise<OperationsSnapshot> {
  const { rows } = await pool.query<SnapshotRow>({ name: 'rollgate-operations-snapshot', text: SNAPSHOT_SQL, values: [SETTLED] });
  const snapshot: OperationsSnapshot = { rollouts: [], stages: [], approvals: [], evidence: [], deferrals: [], calibrations: [] };
  for (const row of rows) {
    const count = Number(row.n);
    const stage = row.stage ?? '';
    switch (row.kind) {
      case 'rollouts':
        snapshot.rollouts.push({ plan: row.plan, state: row.a ?? '', count });
        break;
      case 'stages':
        snapshot.stages.push({ plan: row.plan, stage, mode: row.a ?? '', state: row.b ?? '', count });
        break;
      case 'approval':
        snapshot.approvals.push({ plan: row.plan, stage, awaitingSince: row.at!, ...(row.a ? { escalationAfter: row.a } : {}) });
        break;
      case 'evidence':
        snapshot.evidence.push({ plan: row.plan, stage, metric: row.a ?? '', lastSampleAt: row.at! });
        break;
      case 'deferrals':
        snapshot.deferrals.push({ plan: row.plan, stage, count, oldest: row.at! });
        break;
      case 'calibrations':
        snapshot.calibrations.push({ plan: row.plan, stage, state: row.a ?? '', count });
        break;
    }
  }
  return snapshot;
}
