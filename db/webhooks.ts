import type { Pool } from 'pg';

/** DeliveryAttempt is one attempt to deliver an event to a notification target. */
export interface DeliveryAttempt {
  /** deliveryId is the sender's idempotency key; every attempt of one delivery shares it. */
  deliveryId: string;
  rolloutId: string;
  url: string;
  eventType: string;
  /** attempt is the activity attempt (1-based) that made the request. */
  attempt: number;
  status: 'delivered' | 'failed';
  /** httpStatus is the receiver's response status; absent when no response came. */
  httpStatus?: number;
  /** error says what failed, without the receiver's words: an HTTP failure is `HTTP <status>`. */
  error?: string;
  /** responseExcerpt is the start of a failing response's body; only admins are shown it. */
  responseExcerpt?: string;
  /** errorType is the failure type thrown to the workflow, e.g. WebhookRejected. */
  errorType?: string;
  /** gaveUp marks a failure after which no further attempt will be made. */
  gaveUp?: boolean;
}

/** recordDeliveryAttempt appends one attempt. Attempts are never updated or removed. */
export async function recordDeliveryAttempt(pool: Pool, attempt: DeliveryAttempt): Promise<void> {
  await pool.query(
    `INSERT INTO webhook_deliveries (delivery_id, rollout_id, url, event_type, attempt, status, http_status, error, error_type, gave_up, response_excerpt)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      attempt.deliveryId,
      attempt.rolloutId,
      attempt.url,
      attempt.eventType,
      attempt.attempt,
      attempt.status,
      attempt.httpStatus ?? null,
      attempt.error ?? null,
      attempt.errorType ?? null,
      attempt.gaveUp ?? false,
      attempt.responseExcerpt ?? null,
    ],
  );
}

/** findDelivered returns the attempt that delivered deliveryId, if one did. */
export async function findDelivered(pool: Pool, deliveryId: string): Promise<{ attempt: number; httpStatus: number | null } | undefined> {
  const result = await pool.query<{ attempt: number; httpStatus: number | null }>(
    `SELECT attempt, http_status AS "httpStatus" FROM webhook_deliveries
      WHERE delivery_id = $1 AND status = 'delivered' ORDER BY seq LIMIT 1`,
    [deliveryId],
  );
  return result.rows[0];
}

/**
 * DeliveryState is where one delivery stands: `delivered` once any attempt succeeded; else
 * `failing` while retries may follow, or `failed` once the last attempt gave up.
 */
export interface DeliveryState {
  deliveryId: string;
  url: string;
  eventType: string;
  state: 'delivered' | 'failing' | 'failed';
  /** attempts counts the recorded attempts. */
  attempts: number;
  /** httpStatus, lastError and lastErrorType describe the latest attempt (errors are null once delivered). */
  httpStatus: number | null;
  lastError: string | null;
  lastErrorType: string | null;
  /**
   * lastResponseExcerpt is the start of the latest failing response's body. The receiver wrote
   * it, and it may say what an internal system holds: routes show it to admins only (withoutExcerpt).
   */
  lastResponseExcerpt: string | null;
  firstAttemptAt: string;
  lastAttemptAt: string;
}

/** DeliveryStateView is a delivery as shown to a caller who is not an admin: no response excerpt. */
export type DeliveryStateView = Omit<DeliveryState, 'lastResponseExcerpt'>;

/** withoutExcerpt is the delivery as callers other than admins see it: status code and times, not the receiver's reply. */
export function withoutExcerpt({ lastResponseExcerpt: _excerpt, ...rest }: DeliveryState): DeliveryStateView {
  return rest;
}

/** listDeliveries returns the latest state of each of a rollout's deliveries, oldest first. */
export async function listDeliveries(pool: Pool, rolloutId: string): Promise<DeliveryState[]> {
  const result = await pool.query<DeliveryState>(
    `WITH latest AS (
       SELECT DISTINCT ON (delivery_id) delivery_id, url, event_type, status, http_status, error, error_type, gave_up, response_excerpt, attempted_at
         FROM webhook_deliveries WHERE rollout_id = $1 ORDER BY delivery_id, seq DESC
     ), totals AS (
       SELECT delivery_id, count(*)::int AS attempts, bool_or(status = 'delivered') AS delivered,
              min(seq) AS first_seq, min(attempted_at) AS first_at
         FROM webhook_deliveries WHERE rollout_id = $1 GROUP BY delivery_id
     )
     SELECT latest.delivery_id AS "deliveryId", url, event_type AS "eventType",
            CASE WHEN delivered THEN 'delivered' WHEN gave_up THEN 'failed' ELSE 'failing' END AS state,
            attempts, http_status AS "httpStatus",
            CASE WHEN delivered THEN NULL ELSE error END AS "lastError",
            CASE WHEN delivered THEN NULL ELSE error_type END AS "lastErrorType",
            CASE WHEN delivered THEN NULL ELSE response_excerpt END AS "lastResponseExcerpt",
            to_json(first_at) #>> '{}' AS "firstAttemptAt", to_json(attempted_at) #>> '{}' AS "lastAttemptAt"
       FROM latest JOIN totals USING (delivery_id)
      ORDER BY first_seq`,
    [rolloutId],
  );
  return result.rows;
}
