import type { ActivityOptions, RetryPolicy } from '@temporalio/common';

/**
 * Activity options of the workflows, in one place: every proxyActivities call takes its
 * options from here, so two workflows calling the same activity cannot drift apart.
 */

/**
 * Database writes that must not be lost (the audit trail, a deferred decision's settlement)
 * retry without limit: the workflow waits for the database rather than move on without it.
 */
export const AUDIT_WRITE = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const satisfies ActivityOptions;

/** A criteria evaluation that keeps failing counts as inconclusive (and is recorded), never as a verdict. */
export const EVALUATION = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
} as const satisfies ActivityOptions;

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

/** Webhook deliveries retry on their own schedule and never hold up a workflow's state changes. */
export const WEBHOOK_DELIVERY = { ...WEBHOOK_TIMEOUTS, retry: WEBHOOK_RETRY } as const satisfies ActivityOptions;

/**
 * Before continuing as new, a workflow lets webhook deliveries finish for at most this long;
 * deliveries still retrying after it are abandoned (their attempts stay recorded).
 */
export const CONTINUE_AS_NEW_DELIVERY_GRACE = '5 minutes';

/**
 * Reading who requested a workflow's cancellation from Temporal: a few quick retries; an
 * abort whose requester cannot be read is recorded all the same, without the identity.
 */
export const CANCEL_REQUEST_LOOKUP = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
} as const satisfies ActivityOptions;
