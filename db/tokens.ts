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

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** createToken stores a new token for principal and returns it; the token is not retrievable later. */
export async function createToken(
  pool: Pool,
  principal: { name: string; kind: PrincipalKind; roles: string[] },
): Promise<{ token: string; tokenId: string }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const tokenId = `tok_${randomBytes(6).toString('hex')}`;
  await pool.query('INSERT INTO api_tokens (token_id, token_hash, principal, kind, roles) VALUES ($1, $2, $3, $4, $5)', [
    tokenId,
    hashToken(token),
    principal.name,
    principal.kind,
    principal.roles,
  ]);
  return { token, tokenId };
}

/** authenticate returns the principal of a live token, or undefined for unknown and revoked ones. */
export async function authenticate(pool: Pool, token: string): Promise<Principal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const result = await pool.query<Principal>(
    `SELECT principal AS name, kind, roles, token_id AS "tokenId" FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
    [hashToken(token)],
  );
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

/** revokeToken revokes a token by id; false when there is no live token with that id. */
export async function revokeToken(pool: Pool, tokenId: string): Promise<boolean> {
  const result = await pool.query('UPDATE api_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL', [tokenId]);
  return result.rowCount === 1;
}
