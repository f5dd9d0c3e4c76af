import type { ActivityOptions, RetryPolicy } from '@temporalio/common';

/**
 * Retry policy and timeouts for deliverWebhook. Ten attempts back off to at most ~9 minutes of
 * waiting in all, well inside the hour scheduleToClose allows, so maximumAttempts is what ends it.
 */
export const WEBHOOK_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
  maximumAttempts: 10,
} as const satisfies RetryPolicy;

export const WEBHOOK_TIMEOUTS = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '1 hour',
} as const satisfies ActivityOptions;
