import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { GrpcCode, grpcCodeOf, outageProblem } from './outage-errors';
import { conflict, notFound, type Problem } from './problem';

/**
 * temporalProblem maps what the Temporal client throws to an HTTP problem. Failures are
 * matched on their `type` string, not on class identity, which does not survive the sandbox.
 * gRPC codes are read through the cause chain: the client wraps them in a ServiceError.
 */
export function temporalProblem(error: unknown, rolloutId: string): Problem | undefined {
  if (error instanceof WorkflowNotFoundError) return conflict(`rollout ${rolloutId} is not running`);
  if (error instanceof WorkflowExecutionAlreadyStartedError) return conflict(`rollout ${rolloutId} already exists`);
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === 'UnknownStage') return notFound(cause.message);
      return conflict(cause.message, { reason: cause.type });
    }
    return conflict(cause?.message ?? error.message);
  }
  // UNAVAILABLE and DEADLINE_EXCEEDED: Temporal cannot be reached (503 with Retry-After).
  const outage = outageProblem(error);
  if (outage) return outage;
  const code = grpcCodeOf(error);
  const message = (error as { message?: string } | undefined)?.message ?? '';
  // NOT_FOUND and FAILED_PRECONDITION: the workflow has already ended.
  if (code === GrpcCode.notFound || code === GrpcCode.failedPrecondition || /already completed|workflow execution already/i.test(message)) {
    return conflict(`rollout ${rolloutId} has ended`);
  }
  return undefined;
}
