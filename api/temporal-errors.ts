import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { conflict, notFound, Problem, ProblemType } from './problem';

/**
 * temporalProblem maps what the Temporal client throws to an HTTP problem. Failures are
 * matched on their `type` string, not on class identity, which does not survive the sandbox.
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
  const grpc = error as { code?: number; details?: string; message?: string };
  // gRPC NOT_FOUND (5) and FAILED_PRECONDITION (9): the workflow has already ended.
  if (grpc.code === 5 || grpc.code === 9 || /already completed|workflow execution already/i.test(grpc.message ?? '')) {
    return conflict(`rollout ${rolloutId} has ended`);
  }
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4): Temporal cannot be reached.
  if (grpc.code === 14 || grpc.code === 4) {
    return new Problem(503, ProblemType.unavailable, 'Temporal unavailable', 'Temporal did not answer; try again shortly.');
  }
  return undefined;
}
