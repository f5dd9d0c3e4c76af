import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { RolloutStateKey } from '../workflows/search-attributes';
import type { ApiClient } from './api-client';
import type { Acknowledged } from './driver';

/** Findings are what the checks after a fault run found; a clean run has every list empty. */
export interface Findings {
  rollouts: number;
  completed: number;
  /** stuck names every rollout that did not complete, with its states and why. */
  stuck: string[];
  /** lost: acknowledged sign-offs and samples the trail or the samples table lack. */
  lost: string[];
  /** duplicated: what is recorded more often than it was acknowledged, and stages started twice in one attempt. */
  duplicated: string[];
  /** disagreements: rollouts whose state differs between the API and Temporal. */
  disagreements: string[];
}

export interface CheckOptions {
  pool: Pool;
  temporal: Client;
  api: ApiClient;
  token: string;
  rolloutIds: readonly string[];
  acknowledged: Acknowledged;
}

/**
 * checkRun looks at the end state from three sides: the API (each rollout's status), the
 * database (audit_events and metric_samples, read directly) and Temporal (the workflows' status
 * and their RolloutState search attribute), and compares them with what the driver was told.
 */
export async function checkRun(options: CheckOptions): Promise<Findings> {
  const { pool, rolloutIds, acknowledged } = options;
  const findings: Findings = { rollouts: rolloutIds.length, completed: 0, stuck: [], lost: [], duplicated: [], disagreements: [] };

  const temporalStates = await temporalView(options.temporal, rolloutIds);
  for (const rolloutId of rolloutIds) {
    const answer = await options.api.call('check', 'GET', `/v1/rollouts/${rolloutId}`, { token: options.token, budgetMs: 30_000 });
    const apiState = answer?.status === 200 ? (answer.body.state as string) : `HTTP ${answer?.status ?? 'no answer'}`;
    const temporal = temporalStates.get(rolloutId);
    const temporalState = temporal ? `${temporal.status}/${temporal.rolloutState ?? '-'}` : 'absent';
    if (apiState === 'completed' && temporal?.status === 'COMPLETED' && temporal.rolloutState === 'completed') findings.completed += 1;
    else findings.stuck.push(`${rolloutId}: API ${apiState}, Temporal ${temporalState}${temporal?.failure ? `; workflow task failing: ${temporal.failure}` : ''}`);
    if (temporal && apiState !== temporal.rolloutState) findings.disagreements.push(`${rolloutId}: API ${apiState}, Temporal RolloutState ${temporal.rolloutState ?? '-'}`);
  }

  const doubleStarts = await pool.query<{ rollout_id: string; stage_id: string; attempt: string; n: string }>(
    `SELECT rollout_id, stage_id, detail->>'attempt' AS attempt, count(*) AS n FROM audit_events
      WHERE type = 'stage.started' AND rollout_id = ANY($1)
      GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    [rolloutIds],
  );
  for (const row of doubleStarts.rows) findings.duplicated.push(`stage ${row.rollout_id}/${row.stage_id} attempt ${row.attempt} started ${row.n} times`);

  const approvals = await countBy(
    pool,
    `SELECT rollout_id || '|' || stage_id || '|' || actor AS key, count(*) AS n FROM audit_events
      WHERE type = 'stage.approved' AND rollout_id = ANY($1) GROUP BY 1`,
    rolloutIds,
  );
  const acknowledgedApprovals = new Map<string, number>();
  for (const key of acknowledged.approvals) {
    const [rolloutId, stageId, , actor] = key.split('|');
    const byActor = `${rolloutId}|${stageId}|${actor}`;
    acknowledgedApprovals.set(byActor, (acknowledgedApprovals.get(byActor) ?? 0) + 1);
  }
  compare('sign-off', acknowledgedApprovals, approvals, findings);

  const prerequisites = await countBy(
    pool,
    `SELECT rollout_id || '|' || (detail->>'prerequisite') || '|' || actor AS key, count(*) AS n FROM audit_events
      WHERE type = 'prerequisite.signed' AND rollout_id = ANY($1) GROUP BY 1`,
    rolloutIds,
  );
  compare('prerequisite sign-off', new Map([...acknowledged.prerequisites].map((key) => [key, 1])), prerequisites, findings);

  const samples = await countBy(
    pool,
    `SELECT rollout_id || '|' || sample_id AS key, count(*) AS n FROM metric_samples WHERE rollout_id = ANY($1) GROUP BY 1`,
    rolloutIds,
  );
  compare('sample', new Map([...acknowledged.samples].map((key) => [key, 1])), samples, findings);
  return findings;
}

/**
 * compare: every acknowledged key must be recorded exactly as often as it was acknowledged.
 * Recorded keys that were never acknowledged are fine (an answer lost on the way back), unless
 * recorded more than once.
 */
export function compare(what: string, acknowledged: Map<string, number>, recorded: Map<string, number>, findings: Findings): void {
  for (const [key, times] of acknowledged) {
    const found = recorded.get(key) ?? 0;
    if (found < times) findings.lost.push(`${what} ${key}: acknowledged ${times}, recorded ${found}`);
    if (found > times) findings.duplicated.push(`${what} ${key}: acknowledged ${times}, recorded ${found}`);
  }
  for (const [key, found] of recorded) {
    if (!acknowledged.has(key) && found > 1) findings.duplicated.push(`${what} ${key}: never acknowledged, recorded ${found}`);
  }
}

async function countBy(pool: Pool, sql: string, rolloutIds: readonly string[]): Promise<Map<string, number>> {
  const result = await pool.query<{ key: string; n: string }>(sql, [rolloutIds]);
  return new Map(result.rows.map((row) => [row.key, Number(row.n)]));
}

interface TemporalState {
  status: string;
  rolloutState?: string;
  /** failure is the message of the last failed workflow task of a workflow that is still open. */
  failure?: string;
}

/** temporalView lists the rollout workflows with their RolloutState, as `temporal workflow list` shows them. */
async function temporalView(temporal: Client, rolloutIds: readonly string[]): Promise<Map<string, TemporalState>> {
  const wanted = new Set(rolloutIds.map((id) => `rollout-${id}`));
  const states = new Map<string, TemporalState>();
  for await (const workflow of temporal.workflow.list({ query: "WorkflowType = 'rolloutWorkflow'" })) {
    if (!wanted.has(workflow.workflowId)) continue;
    const rolloutId = workflow.workflowId.slice('rollout-'.length);
    const rolloutState = workflow.typedSearchAttributes.get(RolloutStateKey);
    const state: TemporalState = { status: workflow.status.name, ...(rolloutState ? { rolloutState } : {}) };
    if (workflow.status.name === 'RUNNING') {
      const failure = await lastWorkflowTaskFailure(temporal, workflow.workflowId);
      if (failure) state.failure = failure;
    }
    states.set(rolloutId, state);
  }
  return states;
}

async function lastWorkflowTaskFailure(temporal: Client, workflowId: string): Promise<string | undefined> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const failed = (history.events ?? []).filter((event) => event.workflowTaskFailedEventAttributes);
  return failed.at(-1)?.workflowTaskFailedEventAttributes?.failure?.message?.split('\n')[0] ?? undefined;
}
