import type { Pool } from 'pg';

/** IdempotencyScope names one key: keys are scoped to the principal and the rollout. */
export interface IdempotencyScope {
  principal: string;
  rolloutId: string;
  key: string;
}

/**
 * IdempotencyClaim is what claiming a key found: `claimed` (it is new, and now this request's),
 * `pending` (claimed before with the same digest, no answer stored yet), `done` (answered:
 * response is the first answer) or `mismatch` (claimed with another request's digest).
 */
export type IdempotencyClaim = { state: 'claimed' } | { state: 'pending' } | { state: 'done'; response: unknown } | { state: 'mismatch' };

/** claimIdempotencyKey claims scope's key for a request with digest, or says who holds it. */
export async function claimIdempotencyKey(pool: Pool, scope: IdempotencyScope, digest: string): Promise<IdempotencyClaim> {
  const params = [scope.principal, scope.rolloutId, scope.key];
  const inserted = await pool.query(
    `INSERT INTO idempotency_keys (principal, rollout_id, idempotency_key, request_digest) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING RETURNING 1`,
    [...params, digest],
  );
  if (inserted.rowCount === 1) return { state: 'claimed' };
  const { rows } = await pool.query<{ request_digest: string; response: unknown; completed_at: Date | null }>(
    'SELECT request_digest, response, completed_at FROM idempotency_keys WHERE principal = $1 AND rollout_id = $2 AND idempotency_key = $3',
    params,
  );
  const row = rows[0];
  // Released between the two statements: the request may claim it again, which the caller does by retrying.
  if (!row) return claimIdempotencyKey(pool, scope, digest);
  if (row.request_digest !== digest) return { state: 'mismatch' };
  return row.completed_at === null ? { state: 'pending' } : { state: 'done', response: row.response };
}

/** completeIdempotencyKey stores the first answer under a claimed key; a later answer changes nothing. */
export async function completeIdempotencyKey(pool: Pool, scope: IdempotencyScope, response: unknown): Promise<void> {
  await pool.query(
    `UPDATE idempotency_keys SET response = $4, completed_at = now()
     WHERE principal = $1 AND rollout_id = $2 AND idempotency_key = $3 AND completed_at IS NULL`,
    [scope.principal, scope.rolloutId, scope.key, JSON.stringify(response ?? null)],
  );
}

/** releaseIdempotencyKey frees a key whose request failed before it took effect, so a corrected request may use it. */
export async function releaseIdempotencyKey(pool: Pool, scope: IdempotencyScope): Promise<void> {
  await pool.query('DELETE FROM idempotency_keys WHERE principal = $1 AND rollout_id = $2 AND idempotency_key = $3 AND completed_at IS NULL', [
    scope.principal,
    scope.rolloutId,
    scope.key,
  ]);
}
