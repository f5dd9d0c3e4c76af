import { ApplicationFailure } from '@temporalio/activity';
import { retryable, type Failure } from '../policy/failures';

/**
 * failure is the ApplicationFailure an activity throws for a registry type (policy/failures.ts):
 * non-retryable unless the registry says a retry may help, so a retry policy never spends
 * attempts on input that can never work.
 */
export function failure(type: Failure, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: !retryable(type) });
}
