import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal as proto } from '@temporalio/proto';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../db/audit';
import {
  getRollout,
  insertRollout,
  markNotStarted,
  markRunningAgain, markStarted,
  markTerminated,
  RegistryState,
  type RolloutRow,
} from '../db/rollouts';
import type { RolloutInput } from '../workflows/rollout-types';
import { workflowIdFor } from './rollout-start';
import { log } from '../telemetry/logger';

/**
 * Reconciliation of the rollout registry (PostgreSQL) with the rollouts' workflows (Temporal):
 * what a start left half done, workflows terminated from outside rollgate, and workflows whose
 * task keeps failing. Reads of one rollout and the API's periodic sweep (api/rollout-sweep.ts)
 * both run it. Every step is an idempotent write decided by what Temporal says, so two API
 * processes doing it at once do the same thing twice and no harm.
 */

export interface ReconcileDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

/** A `starting` row younger than this may still have its start under way in some API process. */
export const START_GRACE_MS = 60_000;
/** A workflow task that failed this many attempts in a row is stuck: it fails the same way each time. */
export const STUCK_ATTEMPTS = 3;
/** Timed-out workflow task attempts in a row from which a rollout counts as stuck. */
export const STUCK_TIMEOUT_ATTEMPTS = 10;
/** Events read from the end of a history to find its last workflow task failure or its termination. */
const HISTORY_TAIL = 20;

/**
 * withinTimeout runs use with every Temporal call it makes aborted after ms, the client's own
 * retries included: while Temporal is down, those would otherwise go on for many seconds.
 */
export function withinTimeout<T>(temporal: Client, ms: number, use: () => Promise<T>): Promise<T> {
  return temporal.connection.withAbortSignal(AbortSignal.timeout(ms), use);
}

/** Stuck says why a rollout makes no progress: its workflow task fails on every attempt. */
export interface Stuck {
  since: string;
  attempts: number;
  message: string;
}

/** Terminated is a termination from outside rollgate, as its history tells it. */
export interface Terminated {
  at: string;
  reason?: string;
  identity?: string;
}

/** WorkflowFindings is what reconciling one rollout learnt of its workflow. */
export interface WorkflowFindings {
  row: RolloutRow;
  stuck?: Stuck;
  terminated?: Terminated;
}

/** describe is the description of a rollout's workflow (its latest run), or undefined when there is none. */
async function describe(temporal: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await temporal.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** historyTail is the last events of a run's history, newest first. */
async function historyTail(temporal: Client, workflowId: string, runId: string): Promise<proto.api.history.v1.IHistoryEvent[]> {
  const response = await temporal.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: temporal.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: HISTORY_TAIL,
  });
  return response.history?.events ?? [];
}

const isoOf = (timestamp: Parameters<typeof optionalTsToMs>[0]) => {
  const ms = optionalTsToMs(timestamp);
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

/**
 * stuckOf is set when description shows a workflow task that failed STUCK_ATTEMPTS times or more
 * in a row. Attempts that timed out (a worker killed or gone while it held the task) count only
 * from STUCK_TIMEOUT_ATTEMPTS on: a worker restart times out a task or two and then moves on.
 */
async function stuckOf(temporal: Client, description: WorkflowExecutionDescription): Promise<Stuck | undefined> {
  const pending = description.raw.pendingWorkflowTask;
  const attempts = pending?.attempt ?? 0;
  if (description.status.name !== 'RUNNING' || attempts < STUCK_ATTEMPTS) return undefined;
  // Attempts after the first of a run of failures are not written to history: the newest
  // workflow-task outcome in it is that first one, and it tells why.
  const outcome = (await historyTail(temporal, description.workflowId, description.runId)).find(
    (event) => event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes || event.workflowTaskCompletedEventAttributes,
  );
  const failed = outcome?.workflowTaskFailedEventAttributes;
  if (!failed && attempts < STUCK_TIMEOUT_ATTEMPTS) return undefined;
  return {
    since: isoOf(outcome?.eventTime) ?? isoOf(pending?.originalScheduledTime) ?? new Date().toISOString(),
    attempts,
    message: failed?.failure?.message ?? (failed ? 'the workflow task keeps failing' : 'the workflow task keeps timing out: no worker completes it'),
  };
}

/** terminationOf reads who terminated a run and why from the end of its history. */
async function terminationOf(temporal: Client, description: WorkflowExecutionDescription): Promise<Terminated> {
  const events = await historyTail(temporal, description.workflowId, description.runId);
  const event = events.find((e) => e.workflowExecutionTerminatedEventAttributes);
  const attributes = event?.workflowExecutionTerminatedEventAttributes;
  return {
    at: isoOf(event?.eventTime) ?? description.closeTime?.toISOString() ?? new Date().toISOString(),
    ...(attributes?.reason ? { reason: attributes.reason } : {}),
    ...(attributes?.identity ? { identity: attributes.identity } : {}),
  };
}

/**
 * recordTermination writes `rollout.terminated` to the trail, once per run (its event id names
 * the run), and marks the registry row terminated. Termination cannot be intercepted by the
 * workflow, so this is the only record of it rollgate keeps.
 */
async function recordTermination(pool: Pool, row: RolloutRow, runId: string, terminated: Terminated): Promise<void> {
  await recordAuditEvent(pool, {
    eventId: `terminated:${row.rolloutId}:${runId}`,
    rolloutId: row.rolloutId,
    planName: row.plan,
    planVersion: row.version,
    type: 'rollout.terminated',
    ...(terminated.identity ? { actor: terminated.identity } : {}),
    ...(terminated.reason ? { reason: terminated.reason } : {}),
    detail: { runId, outsideRollgate: true },
    occurredAt: terminated.at,
  });
  await markTerminated(pool, row.rolloutId);
}

/**
 * reconcileRollout brings one registry row in line with its workflow and returns what it found:
 * a `starting` row whose workflow exists is marked started, one without a workflow after
 * START_GRACE_MS is marked not started; a terminated workflow is recorded; a stuck one reported.
 */
export async function reconcileRollout({ pool, temporal }: ReconcileDeps, row: RolloutRow): Promise<WorkflowFindings> {
  const description = await describe(temporal, row.workflowId);
  if (!description) {
    if (row.state === RegistryState.starting && Date.now() - Date.parse(row.createdAt) > START_GRACE_MS) {
      await markNotStarted(pool, row.rolloutId);
    }
    return { row: (await getRollout(pool, row.rolloutId)) ?? row };
  }
  // A row left `terminated` whose workflow runs again was reset after the termination.
  const runsAgain = row.state === RegistryState.terminated && description.status.name === 'RUNNING';
  if (row.state === RegistryState.starting || row.state === RegistryState.notStarted) await markStarted(pool, row.rolloutId);
  if (runsAgain) await markRunningAgain(pool, row.rolloutId);
  if (description.status.name === 'TERMINATED') {
    const terminated = await terminationOf(temporal, description);
    if (row.state !== RegistryState.terminated) await recordTermination(pool, row, description.runId, terminated);
    return { row: (await getRollout(pool, row.rolloutId)) ?? row, terminated };
  }
  const stuck = await stuckOf(temporal, description);
  const current = row.state === RegistryState.starting || runsAgain ? ((await getRollout(pool, row.rolloutId)) ?? row) : row;
  return stuck ? { row: current, stuck } : { row: current };
}

/**
 * adoptWorkflow registers a rollout whose workflow runs without a registry row (its start got
 * through but the row was lost), from the input the workflow started with. false when there is
 * no such workflow on taskQueue.
 */
export async function adoptWorkflow({ pool, temporal, taskQueue }: ReconcileDeps, rolloutId: string): Promise<boolean> {
  const workflowId = workflowIdFor(rolloutId);
  const description = await describe(temporal, workflowId);
  if (!description || description.type !== 'rolloutWorkflow' || description.taskQueue !== taskQueue || description.parentExecution) return false;
  // Only a running workflow is adopted as `running`; a closed one without a row stays unlisted.
  if (description.status.name !== 'RUNNING') return false;
  const first = await temporal.workflowService.getWorkflowExecutionHistory({
    namespace: temporal.options.namespace,
    execution: { workflowId, runId: description.runId },
    maximumPageSize: 1,
  });
  const payload = first.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return false;
  const input = defaultPayloadConverter.fromPayload<RolloutInput>(payload);
  if (input.rolloutId !== rolloutId) return false;
  await insertRollout(pool, {
    rolloutId,
    workflowId,
    planName: input.planName,
    planVersion: input.planVersion,
    state: 'running',
    startedBy: input.startedBy ?? 'unknown',
  });
  log().warn({ rolloutId, plan: input.planName }, `api: rollout ${rolloutId} (plan ${input.planName} v${input.planVersion}) had a workflow but no registry row; registered it`);
  return true;
}
