import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';

/** PrincipalKind: a person, or a service such as an MES or WMS integration. */
export const PrincipalKind = { person: 'person', service: 'service' } as const;
export type PrincipalKind = (typeof PrincipalKind)[keyof typeof PrincipalKind];

/** Principal is who an API token authenticates. */
export interface Principal {
  name: string;
  kind: PrincipalKind;
  roles: string[];
  tokenId: string;
}

export interface TokenSummary {
  tokenId: string;
  principal: string;
  kind: PrincipalKind;
  roles: string[];
  createdAt: string;
  revokedAt: string | null;
}

/** Tokens look like `rgt_<43 base64url characters>`: 256 random bits. */
const TOKEN_PREFIX = 'rgt_';

/** tokenHash is what the database stores of a token, and what caches of principals are keyed by. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** isTokenShaped: the token could be one of ours; anything else is refused without a lookup. */
export const isTokenShaped = (token: string) => token.startsWith(TOKEN_PREFIX);

/**
 * TOKEN_CHANGES_CHANNEL is notified, with the token id as payload, in the transaction of every
 * UPDATE or DELETE of a token, revocations included (trigger of migration 008).
 */
export const TOKEN_CHANGES_CHANNEL = 'rollgate_api_tokens';

/** createToken stores a new token for principal and returns it; the token is not retrievable later. */
export async function createToken(
  pool: Pool,
  principal: { name: string; kind: PrincipalKind; roles: string[] },
): Promise<{ token: string; tokenId: string }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const tokenId = `tok_${randomBytes(6).toString('hex')}`;
  await pool.query('INSERT INTO api_tokens (token_id, token_hash, principal, kind, roles) VALUES ($1, $2, $3, $4, $5)', [
    tokenId,
    tokenHash(token),
    principal.name,
    principal.kind,
    principal.roles,
  ]);
  return { token, tokenId };
}

/** authenticate returns the principal of a live token, or undefined for unknown and revoked ones. */
export async function authenticate(pool: Pool, token: string): Promise<Principal | undefined> {
  return isTokenShaped(token) ? principalByHash(pool, tokenHash(token)) : undefined;
}

/** principalByHash returns the principal of the live token with that tokenHash. */
export async function principalByHash(pool: Pool, hash: string): Promise<Principal | undefined> {
  const result = await pool.query<Principal>({
    name: 'rollgate-principal-by-hash',
    text: `SELECT principal AS name, kind, roles, token_id AS "tokenId" FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
    values: [hash],
  });
  return result.rows[0];
}

/** listTokens returns every token's metadata, newest first; never the token. */
export async function listTokens(pool: Pool): Promise<TokenSummary[]> {
  const result = await pool.query<TokenSummary>(
    `SELECT token_id AS "tokenId", principal, kind, roles, to_json(created_at) #>> '{}' AS "createdAt",
            to_json(revoked_at) #>> '{}' AS "revokedAt"
       FROM api_tokens ORDER BY created_at DESC, token_id`,
  );
  return result.rows;
}

/**
 * revokeToken revokes a token by id; false when there is no live token with that id. The UPDATE
 * notifies TOKEN_CHANGES_CHANNEL in its own transaction, so running APIs forget the token's
 * principal as the revocation commits.
 */
export async function revokeToken(pool: Pool, tokenId: string): Promise<boolean> {
  const result = await pool.query('UPDATE api_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL', [tokenId]);
  return result.rowCount === 1;
}
