import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Providers } from '../config/providers';
import type { WebhookAllowList } from '../config/webhook-allow';
import { recordAuditEvent, recordAuditEvents, type AuditEvent, type RolloutProgress } from '../db/audit';
import { createCancelRequestActivities } from './cancel-request';
import { createDecisionActivities } from './decisions';
import { createEvaluationActivities } from './evaluation';
import { createWebhookActivities } from './webhooks';

export interface RecordEventInput {
  event: AuditEvent;
  /** progress, when given, updates the rollout registry (state, active stages, status snapshot). */
  progress?: RolloutProgress;
}

/** RecordEventsInput is one transition of a rollout: its events, in order, and the registry snapshot after them. */
export interface RecordEventsInput {
  events: AuditEvent[];
  /** progress, when given, updates the rollout registry once, after the events. */
  progress?: RolloutProgress;
}

/**
 * createActivities binds every side effect the workflows need to a database pool and the
 * webhook signing secrets (only ROLLGATE_WEBHOOK_SECRET_* variables: see pickWebhookSecrets), and
 * to a Temporal client for what only Temporal knows (who requested a workflow's cancellation).
 * Workflows reach these through `import type` and proxyActivities only.
 */
export function createActivities(
  pool: Pool,
  options: { webhookSecrets?: Record<string, string>; webhookAllow?: WebhookAllowList; temporal?: Client; providers?: Providers } = {},
) {
  return {
    ...createWebhookActivities({ pool, secrets: options.webhookSecrets ?? {}, allow: options.webhookAllow ?? [] }),
    ...createEvaluationActivities(pool, options.providers ?? {}),
    ...createDecisionActivities(pool),
    ...createCancelRequestActivities(options.temporal),
    /** recordEvent appends to the audit trail; idempotent on event.eventId, so retries are safe. */
    async recordEvent(input: RecordEventInput): Promise<void> {
      await recordAuditEvent(pool, input.event, input.progress);
    },
    /** recordEvents appends a transition's events and updates the registry in one transaction; idempotent like recordEvent. */
    async recordEvents(input: RecordEventsInput): Promise<void> {
      await recordAuditEvents(pool, input.events, input.progress);
    },
  };
}

export type RolloutActivities = ReturnType<typeof createActivities>;
