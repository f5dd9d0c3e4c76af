import { status } from '@grpc/grpc-js';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { failureKind, FailureKind } from '../policy/failures';
import { forbidden } from './auth';
import { grpcCodeOf, OUTAGE_RETRY_AFTER_SECONDS, outageProblem } from './outage-errors';
import { conflict, notFound, Problem, ProblemType } from './problem';

/**
 * How what the Temporal client throws becomes an HTTP problem, for one rollout. The client's
 * own error classes say what happened to the call; a refused update carries an
 * ApplicationFailure whose registry type (policy/failures.ts) says what it means. The first
 * rule that recognises the error answers.
 */
type TemporalRule = (error: unknown, rolloutId: string) => Problem | undefined;

/** FAILURE_PROBLEMS: the answer to an update refused with a failure of each kind. */
const FAILURE_PROBLEMS: { readonly [kind in FailureKind]: (message: string, type: string) => Problem } = {
  [FailureKind.notYou]: (message, type) => forbidden(message, { reason: type }),
  [FailureKind.unknown]: (message) => notFound(message),
  [FailureKind.notNow]: (message, type) => conflict(message, { reason: type }),
  [FailureKind.invalidInput]: (message, type) => conflict(message, { reason: type }),
  [FailureKind.transient]: (message, type) => conflict(message, { reason: type }),
  [FailureKind.misconfigured]: (message, type) => conflict(message, { reason: type }),
};

/** The gRPC codes of a call to a workflow that has ended: NOT_FOUND (no running execution), FAILED_PRECONDITION. */
const ENDED_CODES: ReadonlySet<status> = new Set([status.NOT_FOUND, status.FAILED_PRECONDITION]);

const TEMPORAL_RULES: readonly TemporalRule[] = [
  (error, rolloutId) => (error instanceof WorkflowNotFoundError ? conflict(`rollout ${rolloutId} is not running`) : undefined),
  (error, rolloutId) => (error instanceof WorkflowExecutionAlreadyStartedError ? conflict(`rollout ${rolloutId} already exists`) : undefined),
  (error) => {
    if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
    const { cause } = error;
    if (!(cause instanceof ApplicationFailure) || !cause.type) return conflict(cause?.message ?? error.message);
    // A type the registry does not hold yet is a refusal for now: 409 with its type.
    return FAILURE_PROBLEMS[failureKind(cause.type) ?? FailureKind.notNow](cause.message, cause.type);
  },
  // The update was not answered in time (api/rollout-lookup.ts): no worker took it.
  (error, rolloutId) => (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ? notAnswering(rolloutId) : undefined),
  // UNAVAILABLE and DEADLINE_EXCEEDED: Temporal cannot be reached (503 with Retry-After).
  (error) => outageProblem(error),
  (error, rolloutId) => (workflowEnded(error) ? conflict(`rollout ${rolloutId} has ended`) : undefined),
];

/** temporalProblem maps what the Temporal client throws to an HTTP problem, or undefined for an error it does not know. */
export function temporalProblem(error: unknown, rolloutId: string): Problem | undefined {
  for (const rule of TEMPORAL_RULES) {
    const problem = rule(error, rolloutId);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * workflowEnded: the error says the workflow has already ended: gRPC NOT_FOUND or
 * FAILED_PRECONDITION through the cause chain, or the server's words for it where an error
 * carries no code.
 */
export function workflowEnded(error: unknown): boolean {
  const code = grpcCodeOf(error);
  if (code !== undefined && ENDED_CODES.has(code)) return true;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /already completed|workflow execution already/i.test(message);
}

/** notAnswering is the 503 for an update no worker took in time, with Retry-After. */
function notAnswering(rolloutId: string): Problem {
  return new Problem(
    503,
    ProblemType.unavailable,
    'Rollout not answering',
    `the workflow of rollout ${rolloutId} did not take the request in time: no worker may be running, or its workflow tasks fail (docs/operations.md, "Repairing a rollout stuck on a nondeterminism error"); retry after ${OUTAGE_RETRY_AFTER_SECONDS} seconds.`,
    undefined,
    { dependency: 'Temporal' },
    { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) },
  );
}
