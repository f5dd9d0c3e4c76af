import type { Request } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../db/audit';
import { getRollout, type RolloutRow } from '../db/rollouts';
import type { Principal } from '../db/tokens';
import { statusQuery } from '../workflows/messages';
import type { RolloutStatus } from '../workflows/rollout-types';
import { notFound } from './problem';
import { temporalProblem } from './temporal-errors';

/** How long a status read waits for the live workflow before answering from the last snapshot. */
const STATUS_QUERY_TIMEOUT_MS = 3_000;

/** requireRollout loads the rollout named by the :id route parameter, or answers 404. */
export async function requireRollout(pool: Pool, req: Request<{ id: string }>): Promise<RolloutRow> {
  const row = await getRollout(pool, req.params.id);
  if (!row) throw notFound(`no rollout ${req.params.id}`);
  return row;
}

/** currentStatus asks the workflow for its live status, else answers from the last stored snapshot. */
export async function currentStatus(temporal: Client, row: RolloutRow): Promise<{ status: RolloutStatus; source: 'live' | 'snapshot' }> {
  const live = await temporal.connection
    .withAbortSignal(AbortSignal.timeout(STATUS_QUERY_TIMEOUT_MS), () => temporal.workflow.getHandle(row.workflowId).query(statusQuery))
    .catch(() => undefined);
  if (live) return { status: live, source: 'live' };
  const stored = (row.status as RolloutStatus | null) ?? {
    rolloutId: row.rolloutId,
    plan: row.plan,
    version: row.version,
    digest: '',
    state: row.state as RolloutStatus['state'],
    startedAt: row.createdAt,
    prerequisites: [],
    stages: [],
  };
  return { status: stored, source: 'snapshot' };
}

/** rethrowAsProblem maps Temporal client errors to HTTP problems for one rollout. */
export const rethrowAsProblem = (rolloutId: string) => (error: unknown) => {
  throw temporalProblem(error, rolloutId) ?? error;
};

/**
 * auditDenied records a refused attempt in the rollout's audit trail. The request id makes the
 * entry idempotent: a retried request is recorded once.
 */
export async function auditDenied(
  pool: Pool,
  row: RolloutRow,
  req: Request,
  principal: Principal,
  denial: { action: string; reason: string; stageId?: string; role?: string },
): Promise<void> {
  await recordAuditEvent(pool, {
    eventId: `denied:${row.rolloutId}:${req.requestId}`,
    rolloutId: row.rolloutId,
    planName: row.plan,
    planVersion: row.version,
    type: `${denial.action}.denied`,
    actor: principal.name,
    reason: denial.reason,
    requestId: req.requestId,
    occurredAt: new Date().toISOString(),
    ...(denial.stageId ? { stageId: denial.stageId } : {}),
    ...(denial.role ? { role: denial.role } : {}),
  });
}
