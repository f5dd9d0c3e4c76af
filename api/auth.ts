import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Pool } from 'pg';
import { isTokenShaped, principalByHash, tokenHash, type Principal } from '../db/tokens';
import type { Actor } from '../policy/rollout-types';
import { ADMIN_TOKEN_ROLE } from '../policy/sign-off';
import { PrincipalCache } from './principal-cache';
import { Problem, ProblemType } from './problem';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- express's own extension point
  namespace Express {
    interface Request {
      /** requestId identifies the request in logs and the audit trail; echoed as X-Request-Id. */
      requestId: string;
      /** principal is who the bearer token authenticates; set by requireToken. */
      principal?: Principal;
    }
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** requestIds takes a well-formed incoming X-Request-Id or makes one, and echoes it. */
export const requestIds: RequestHandler = (req, res, next) => {
  const incoming = req.header('x-request-id');
  req.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', req.requestId);
  next();
};

const unauthorized = (detail: string) =>
  new Problem(401, ProblemType.unauthorized, 'Unauthorized', detail, undefined, undefined, { 'WWW-Authenticate': 'Bearer' });

const caches = new WeakMap<Pool, PrincipalCache>();

/**
 * principalCache is the cache of principals requireToken uses with pool. It stays unused until
 * something makes it listen for token changes (api/server.ts does). ttlMs applies when this
 * call creates it.
 */
export function principalCache(pool: Pool, ttlMs?: number): PrincipalCache {
  let cache = caches.get(pool);
  if (!cache) {
    cache = new PrincipalCache((hash) => principalByHash(pool, hash), ttlMs);
    caches.set(pool, cache);
  }
  return cache;
}

/** requireToken authenticates `Authorization: Bearer <token>`; 401 when missing, unknown or revoked. */
export function requireToken(pool: Pool): RequestHandler {
  const cache = principalCache(pool);
  return async (req, _res, next) => {
    const header = req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) return next(unauthorized('send an API token as Authorization: Bearer <token>'));
    const token = match[1]!;
    const principal = isTokenShaped(token) ? await cache.principal(tokenHash(token)) : undefined;
    if (!principal) return next(unauthorized('the API token is unknown or revoked'));
    req.principal = principal;
    next();
  };
}

/** principalOf is the authenticated principal; routes behind requireToken always have one. */
export function principalOf(req: Express.Request): Principal {
  if (!req.principal) throw unauthorized('not authenticated');
  return req.principal;
}

/** actorOf is a principal as the workflows' sign-off rules (policy/sign-off.ts) see it. */
export const actorOf = (principal: Principal): Actor => ({ name: principal.name, kind: principal.kind, roles: principal.roles });

/**
 * requireTokenRole allows principals whose token carries one of roles (admin always), else
 * answers the problem refuse makes of the reason (403 by default; it may audit the attempt).
 */
export function requireTokenRole(
  roles: string[],
  refuse: (req: Request, reason: string) => Problem | Promise<Problem> = (_req, reason) => forbidden(reason),
): RequestHandler {
  return async (req, _res, next) => {
    const principal = principalOf(req);
    if (principal.roles.includes(ADMIN_TOKEN_ROLE) || roles.some((role) => principal.roles.includes(role))) return next();
    next(await refuse(req, `${principal.name} needs the role ${roles.join(' or ')} for this`));
  };
}

export const forbidden = (detail: string, extra?: Record<string, unknown>) =>
  new Problem(403, ProblemType.forbidden, 'Forbidden', detail, undefined, extra);
