import { createHmac, timingSafeEqual } from 'node:crypto';
import { Context, type ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { fetch, type Response } from 'undici';
import type { WebhookAllowList } from '../config/webhook-allow';
import { findDelivered, recordDeliveryAttempt, type DeliveryAttempt } from '../db/webhooks';
import { Failure, retryable } from '../policy/failures';
import { failure } from './failure';
import { checkTargetUrl, createGuardedAgent, targetRefusal, type Resolve } from './webhook-transport';

/*
 * Webhook contract
 * ================
 * Each event is sent as `POST <target url>` with the event as a JSON body and these headers:
 *
 *   Content-Type:       application/json
 *   Rollgate-Event:     <event type>
 *   Rollgate-Delivery:  <delivery id>   same on every retry of one delivery; receivers dedupe on it
 *   Rollgate-Signature: t=<unix seconds>,v1=<signature>
 *
 * <signature> is the lowercase hex HMAC-SHA256, keyed with the target's shared secret (UTF-8),
 * of the bytes `<t>.<raw body>`: the decimal timestamp, a full stop, then the body exactly as
 * received. Each attempt is signed afresh, so t is the time of that attempt.
 *
 * To verify, a receiver:
 *   1. reads the raw body before parsing it;
 *   2. splits the header on `,` into key=value pairs, takes the single `t` and every `v1`
 *      (unknown keys are ignored, so later schemes can be added alongside);
 *   3. rejects the request if |now - t| exceeds its tolerance (300 s by default), which bounds replays;
 *   4. computes the HMAC above and accepts if it equals any v1, compared in constant time.
 * verifySignature below does exactly this and may be copied.
 *
 * Delivery is at least once: a receiver answering 2xx has the event. 408, 429, 5xx and network
 * errors are retried with backoff; any other status is a rejection and is not retried.
 * Redirects are not followed. A target without secretEnv is sent unsigned.
 *
 * Targets are judged by the webhook target policy (config/webhook-allow.ts) when the worker
 * connects: a target that is, or resolves to, an address the policy refuses (loopback, private,
 * link-local and metadata addresses, unless ROLLGATE_WEBHOOK_ALLOW allows them) fails at once,
 * without retries, as WebhookTargetRefused.
 */

/** Header names of the webhook contract. */
export const WEBHOOK_HEADERS = {
  signature: 'Rollgate-Signature',
  event: 'Rollgate-Event',
  delivery: 'Rollgate-Delivery',
} as const;

/** How far a signature's timestamp may be from the receiver's clock, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** signPayload returns the Rollgate-Signature header value for body sent at timestampSeconds. */
export function signPayload(secret: string, body: string | Uint8Array, timestampSeconds: number): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`timestampSeconds must be a non-negative integer, got ${timestampSeconds}`);
  }
  return `t=${timestampSeconds},v1=${hmacHex(secret, String(timestampSeconds), body)}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** verifySignature checks a Rollgate-Signature header against the raw body; see the contract above. */
export function verifySignature(
  secret: string,
  body: string | Uint8Array,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'malformed' };
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) return { valid: false, reason: 'malformed' };
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,15}$/.test(value)) return { valid: false, reason: 'malformed' };
      timestamp = value;
    } else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return { valid: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { valid: false, reason: 'stale' };

  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  let matched = false;
  for (const signature of signatures) {
    // Both are 32 bytes (checked above), as timingSafeEqual requires; every candidate is compared.
    if (timingSafeEqual(expected, signature)) matched = true;
  }
  return matched ? { valid: true, timestamp: Number(timestamp) } : { valid: false, reason: 'mismatch' };
}

function hmacHex(secret: string, timestamp: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** WebhookTarget is a notification target as a plan declares it. */
export interface WebhookTarget {
  url: string;
  /** secretEnv names the worker environment variable holding the signing secret; never the secret itself. */
  secretEnv?: string;
}

export interface WebhookEvent {
  type: string;
  occurredAt: string;
  rolloutId: string;
  stageId?: string;
  /** action and dueBy make an intervention concrete: what to do, and by when. */
  action?: string;
  dueBy?: string;
  [key: string]: unknown;
}

export interface WebhookDelivery {
  /** deliveryId is the idempotency key: unique per (event, target), reused by every retry. */
  deliveryId: string;
  rolloutId: string;
  target: WebhookTarget;
  event: WebhookEvent;
}

export interface WebhookDeliveryResult {
  /** attempt and httpStatus are those of the attempt that delivered. */
  attempt: number;
  httpStatus: number | null;
  /** alreadyDelivered is true when an earlier attempt had delivered and nothing was sent. */
  alreadyDelivered: boolean;
}

/** The failure types deliverWebhook throws (policy/failures.ts); only webhookDeliveryFailed is retried. */
export type WebhookFailureType =
  | typeof Failure.webhookSecretMissing
  | typeof Failure.webhookInvalidTarget
  | typeof Failure.webhookTargetRefused
  | typeof Failure.webhookRejected
  | typeof Failure.webhookDeliveryFailed;

/** The HTTP request's own timeout; shorter than startToCloseTimeout so a timed-out attempt is still recorded. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How much of a failing response's body is kept (for admins: see db/webhooks.ts). */
const RESPONSE_SNIPPET_CHARS = 500;

/** Prefix the worker's environment variables holding webhook secrets should share. */
export { WEBHOOK_SECRET_PREFIX, pickWebhookSecrets } from '../config/env';

export interface WebhookActivitiesOptions {
  pool: Pool;
  /** secrets maps environment variable names to values; a target's secretEnv is looked up here. */
  secrets: Record<string, string>;
  /** allow is ROLLGATE_WEBHOOK_ALLOW: what the worker may post to beyond public addresses. Default none. */
  allow?: WebhookAllowList;
  /** resolve replaces the system's name resolution (dns.lookup), for tests. */
  resolve?: Resolve;
}

/** createWebhookActivities binds webhook delivery to a pool, the worker's secrets and its target policy. */
export function createWebhookActivities({ pool, secrets, allow = [], resolve }: WebhookActivitiesOptions) {
  const dispatcher = createGuardedAgent(allow, resolve);
  return {
    /**
     * deliverWebhook makes one attempt to POST input.event to input.target, records it in
     * webhook_deliveries, and throws an ApplicationFailure (a webhook type of policy/failures.ts) unless the
     * receiver answered 2xx. Once a delivery is recorded as delivered, later calls send nothing.
     */
    async deliverWebhook(input: WebhookDelivery): Promise<WebhookDeliveryResult> {
      const context = Context.current();
      const { attempt, retryPolicy } = context.info;
      const previous = await findDelivered(pool, input.deliveryId);
      if (previous) return { ...previous, alreadyDelivered: true };

      const record: Omit<DeliveryAttempt, 'status'> = {
        deliveryId: input.deliveryId,
        rolloutId: input.rolloutId,
        url: input.target.url,
        eventType: input.event.type,
        attempt,
      };
      // maximumAttempts 0 or unset means unlimited; the server fills in the policy it applies.
      const maximumAttempts = retryPolicy?.maximumAttempts ?? 0;
      const lastAttempt = maximumAttempts > 0 && attempt >= maximumAttempts;
      /**
       * fail records the attempt and returns its failure. A response's excerpt is stored apart
       * from the error, for admins only, and stays out of the failure, which Temporal's history
       * and Web UI show to anyone with access to them.
       */
      const fail = async (type: WebhookFailureType, message: string, httpStatus?: number, responseExcerpt?: string): Promise<ApplicationFailure> => {
        const gaveUp = !retryable(type) || lastAttempt;
        await recordDeliveryAttempt(pool, { ...record, status: 'failed', httpStatus, error: message, errorType: type, gaveUp, responseExcerpt });
        return failure(type, message);
      };

      if (!isHttpUrl(input.target.url)) {
        throw await fail(Failure.webhookInvalidTarget, `target URL ${JSON.stringify(input.target.url)} is not an http(s) URL`);
      }
      try {
        checkTargetUrl(input.target.url, allow);
      } catch (error) {
        throw await fail(Failure.webhookTargetRefused, (error as Error).message);
      }
      let secret: string | undefined;
      if (input.target.secretEnv !== undefined) {
        secret = secrets[input.target.secretEnv];
        if (!secret) {
          throw await fail(Failure.webhookSecretMissing, `signing secret ${input.target.secretEnv} is not set on the worker`);
        }
      }

      const body = JSON.stringify(input.event);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        [WEBHOOK_HEADERS.event]: input.event.type,
        [WEBHOOK_HEADERS.delivery]: input.deliveryId,
      };
      if (secret !== undefined) headers[WEBHOOK_HEADERS.signature] = signPayload(secret, body, Math.floor(Date.now() / 1000));

      const signal = AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), context.cancellationSignal]);
      let response: Response;
      try {
        response = await fetch(input.target.url, { method: 'POST', headers, body, signal, redirect: 'manual', dispatcher });
      } catch (error) {
        const refusal = targetRefusal(error);
        if (refusal !== undefined) throw await fail(Failure.webhookTargetRefused, refusal);
        throw await fail(Failure.webhookDeliveryFailed, describeFetchError(error));
      }

      const status = response.status;
      if (status >= 200 && status < 300) {
        await response.body?.cancel().catch(() => undefined);
        await recordDeliveryAttempt(pool, { ...record, status: 'delivered', httpStatus: status });
        return { attempt, httpStatus: status, alreadyDelivered: false };
      }
      const snippet = (await response.text().catch(() => '')).slice(0, RESPONSE_SNIPPET_CHARS).trim();
      const message = `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`;
      const transient = status === 408 || status === 429 || status >= 500;
      throw await fail(transient ? Failure.webhookDeliveryFailed : Failure.webhookRejected, message, status, snippet || undefined);
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * describeFetchError names what went wrong: undici hides the socket error in `cause`. Errors are
 * read by shape, not instanceof, as fetch's errors may come from another realm (a test VM).
 */
function describeFetchError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError') return `no response within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const causeMessage = typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : undefined;
  return `${String(message ?? error)}${typeof causeMessage === 'string' ? `: ${causeMessage}` : ''}`;
}
