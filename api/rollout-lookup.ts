import type { Request } from 'express';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import type { Plan, Stage } from '../definitions/schema';
import { recordAuditEvent } from '../db/audit';
import { getRollout, type RolloutRow } from '../db/rollouts';
import type { Principal } from '../db/tokens';
import { statusQuery } from '../workflows/rollout/messages';
import type { Actor, RolloutStatus } from '../policy/rollout-types';
import { failureKind, FailureKind } from '../policy/failures';
import { actorOf, forbidden, principalOf } from './auth';
import { idempotencyKeyOf, requestDigest, withIdempotencyKey } from './idempotency';
import { notFound, type Problem } from './problem';
import { temporalProblem } from './temporal-errors';
import { refuseUnknownRole, unknownNameProblem, unknownStage } from './unknown-names';

/** How long a status read waits for the live workflow before answering from the last snapshot. */
const STATUS_QUERY_TIMEOUT_MS = 3_000;

/** requireRollout loads the rollout named by the :id route parameter, or answers 404. */
export async function requireRollout(pool: Pool, req: Request<{ id: string }>): Promise<RolloutRow> {
  const row = await getRollout(pool, req.params.id);
  if (!row) throw notFound(`no rollout ${req.params.id}`);
  return row;
}

/**
 * currentStatus answers a rollout's status: by default (`snapshot`) the registry's snapshot, as
 * of its last stored event, without asking Temporal; `live` asks the workflow and falls back to
 * the snapshot when it does not answer in time.
 */
export async function currentStatus(
  temporal: Client,
  row: RolloutRow,
  consistency: 'snapshot' | 'live' = 'live',
): Promise<{ status: RolloutStatus; source: 'live' | 'snapshot'; asOf?: number }> {
  if (consistency === 'live') {
    const live = await temporal.connection
      .withAbortSignal(AbortSignal.timeout(STATUS_QUERY_TIMEOUT_MS), () => temporal.workflow.getHandle(row.workflowId).query(statusQuery))
      .catch(() => undefined);
    if (live) return { status: live, source: 'live' };
  }
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
  return { status: stored, source: 'snapshot', ...(row.statusSeq !== null ? { asOf: row.statusSeq } : {}) };
}

/** rethrowAsProblem maps Temporal client errors to HTTP problems for one rollout. */
export const rethrowAsProblem = (rolloutId: string) => (error: unknown) => {
  throw temporalProblem(error, rolloutId) ?? error;
};

/** DeniedRollout names the rollout a refused attempt belongs to: a registry row, or the plan fields of a decision or calibration. */
export type DeniedRollout = Pick<RolloutRow, 'rolloutId' | 'plan' | 'version'>;

/**
 * auditDenied records a refused attempt in the rollout's audit trail: every 403 of a route
 * under /v1/rollouts or /v1/decisions goes through here. The request id makes the entry
 * idempotent: a retried request is recorded once.
 */
export async function auditDenied(
  pool: Pool,
  row: DeniedRollout,
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

/** UpdateCall is what an update needs besides its own arguments. */
export interface UpdateCall {
  /** actor is the authenticated principal, the one the update acts for. */
  actor: Actor;
  /** options carries the update id an Idempotency-Key header asks for; spread it into executeUpdate's options. */
  options: { updateId?: string };
}

/**
 * How long an update may take to be answered: long enough for a busy worker, short enough that
 * a rollout no worker takes (none running, or its workflow tasks failing) answers 503
 * (api/temporal-errors.ts) instead of holding the request.
 */
export const UPDATE_ANSWER_TIMEOUT_MS = 30_000;

export interface AuthorizedUpdate<T> {
  /** action names the attempt in the audit trail when it is refused, e.g. `stage.sign-off`. */
  action: string;
  /** target is the workflow the update goes to: the rollout's own, or a child of it. */
  target: (row: RolloutRow) => WorkflowHandle | Promise<WorkflowHandle>;
  execute: (handle: WorkflowHandle, call: UpdateCall) => Promise<T>;
  /** role is a role the request names: 404 (with a near name) when the plan names it nowhere, before any update. */
  role?: string;
  /** problemOf maps an error the update ends with to a problem of the route's own, before the general Temporal mapping. */
  problemOf?: (error: unknown, handle: WorkflowHandle, row: RolloutRow) => Problem | undefined | Promise<Problem | undefined>;
}

/**
 * runAuthorizedUpdate executes an update on a workflow of the rollout named by :id (404 when
 * there is none). Under an Idempotency-Key header (api/idempotency.ts) a retry of the same
 * request gets the first answer and the same key with another request is 422; the key also
 * becomes the update id, so Temporal runs concurrent retries once. Refusals that mean "not
 * you" are written to the audit trail and answered 403; other Temporal errors become problems
 * (api/temporal-errors.ts).
 */
export async function runAuthorizedUpdate<T>(
  pool: Pool,
  req: Request<{ id: string }> & { params: { stageId?: string } },
  { action, target, execute, problemOf, role }: AuthorizedUpdate<T>,
): Promise<T> {
  const row = await requireRollout(pool, req);
  const principal = principalOf(req);
  const key = idempotencyKeyOf(req);
  if (role !== undefined) await refuseUnknownRole(pool, row, role);
  if (key === undefined) return update(row, {});
  const scope = { principal: principal.name, rolloutId: row.rolloutId, key };
  return withIdempotencyKey(pool, scope, requestDigest(action, req), () => update(row, { updateId: `${principal.name}:${key}` }));

  async function update(row: RolloutRow, options: UpdateCall['options']): Promise<T> {
    const handle = await target(row);
    try {
      // An update needs a worker to take it; without one the client would ask again forever.
      return await handle.client.connection.withAbortSignal(AbortSignal.timeout(UPDATE_ANSWER_TIMEOUT_MS), () =>
        execute(handle, { actor: actorOf(principal), options }),
      );
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      if (cause instanceof ApplicationFailure && failureKind(cause.type) === FailureKind.notYou) {
        await auditDenied(pool, row, req, principal, { action, reason: cause.message, stageId: req.params.stageId });
        throw forbidden(cause.message, { reason: cause.type });
      }
      throw (
        (await problemOf?.(error, handle, row)) ??
        (await unknownNameProblem(pool, row, cause, req.params)) ??
        temporalProblem(error, row.rolloutId) ??
        error
      );
    }
  }
}

/** requireStage is the plan's stage stageId, or answers 404. */
export function requireStage(plan: Plan, stageId: string): Stage {
  const stage = plan.stages.find((candidate) => candidate.id === stageId);
  if (!stage) throw unknownStage(plan, stageId);
  return stage;
}
