import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { canonicalJson } from '../definitions/digest';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey, type IdempotencyScope } from '../db/idempotency-keys';
import { Problem, ProblemType } from './problem';
import { IdempotencyKey } from './request-schemas';

/** IDEMPOTENCY_HEADER is the request header that makes a human action safe to retry. */
const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/**
 * idempotencyKeyOf reads the Idempotency-Key header: undefined without one, 422 naming the
 * header when it is malformed.
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const value = req.header(IDEMPOTENCY_HEADER);
  if (value === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'is malformed';
  throw new Problem(422, ProblemType.invalidRequest, 'Invalid header', `the ${IDEMPOTENCY_HEADER} header ${message}`, [
    { path: `(header) ${IDEMPOTENCY_HEADER}`, message },
  ]);
}

/**
 * requestDigest identifies what a request asks for: the action, its path parameters and its
 * body as canonical JSON (so key order and whitespace do not matter).
 */
export function requestDigest(action: string, req: Request): string {
  return createHash('sha256')
    .update(canonicalJson([action, req.params, req.body ?? null]))
    .digest('base64url');
}

/**
 * withIdempotencyKey runs an action under an Idempotency-Key, as Stripe's API does: the first
 * request with a key claims it with its digest; a retry with the same request gets the first
 * answer (from the store once stored; while the first is still running, run executes again,
 * and the caller makes that idempotent too, e.g. with a Temporal update id); the same key with
 * a different request is 422 naming the key. A request that fails releases its claim, so a
 * corrected request may use the key.
 */
export async function withIdempotencyKey<T>(pool: Pool, scope: IdempotencyScope, digest: string, run: () => Promise<T>): Promise<T> {
  const claim = await claimIdempotencyKey(pool, scope, digest);
  if (claim.state === 'mismatch') {
    const message = `was used before by ${scope.principal} on rollout ${scope.rolloutId} for a different request; use a new key for a new request`;
    throw new Problem(422, ProblemType.invalidRequest, 'Idempotency-Key reused', `the ${IDEMPOTENCY_HEADER} ${scope.key} ${message}`, [
      { path: `(header) ${IDEMPOTENCY_HEADER}`, message },
    ], { reason: 'IdempotencyKeyReused', idempotencyKey: scope.key });
  }
  if (claim.state === 'done') return claim.response as T;
  let result: T;
  try {
    result = await run();
  } catch (error) {
    if (claim.state === 'claimed') await releaseIdempotencyKey(pool, scope).catch(() => undefined);
    throw error;
  }
  await completeIdempotencyKey(pool, scope, result);
  return result;
}
