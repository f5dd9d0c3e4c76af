/**
 * The webhook options live in activity-options.ts with the other activity options. This module
 * only keeps activities/webhooks.ts's re-export working until it imports them from there.
 */
export { WEBHOOK_RETRY, WEBHOOK_TIMEOUTS } from './activity-options';
