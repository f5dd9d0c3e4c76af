import type { Request, RequestHandler } from 'express';
import { rateLimit, type Options, type RateLimitInfo } from 'express-rate-limit';
import type { RateLimits } from '../config/rate-limits';
import { Problem, ProblemType } from './problem';

/** Every budget is counted over this window. */
const WINDOW_MS = 60_000;

/** Evidence and decisions, the high-volume machine traffic, have the `ingest` budget. */
const INGEST_ROUTE = /^\/rollouts\/[^/]+\/(?:metrics|decisions)\/?$/;

/**
 * The limiters count in this process's memory: with several API processes behind one address,
 * each grants the full budget (README, Security).
 */
const common: Partial<Options> = {
  windowMs: WINDOW_MS,
  standardHeaders: 'draft-7',
  legacyHeaders: false,
  handler: (req, _res, next, options) => {
    const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
    const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
    next(
      new Problem(
        429,
        ProblemType.tooManyRequests,
        'Too many requests',
        `${options.message as string}; retry in ${seconds} s`,
        undefined,
        { retryAfter: seconds },
        { 'Retry-After': String(seconds) },
      ),
    );
  },
};

/**
 * unauthenticatedLimit goes before authentication and counts, per client address, only the
 * requests answered 401: a flood of bad tokens is refused before it reaches the token lookup,
 * while authenticated traffic is left to the per-principal budgets.
 */
export function unauthenticatedLimit(limits: RateLimits): RequestHandler {
  if (!limits) return (_req, _res, next) => next();
  return rateLimit({
    ...common,
    limit: limits.unauthenticated,
    message: `more than ${limits.unauthenticated} requests a minute without a valid token from this address`,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
  });
}

/**
 * principalLimit goes after authentication: evidence and decisions count against the
 * principal's `ingest` budget, every other request against its `principal` budget.
 */
export function principalLimit(limits: RateLimits): RequestHandler {
  if (!limits) return (_req, _res, next) => next();
  const byPrincipal = (req: Request) => req.principal?.name ?? '';
  const isIngest = (req: Request) => req.method === 'POST' && INGEST_ROUTE.test(req.path);
  const ingest = rateLimit({
    ...common,
    limit: limits.ingest,
    message: `more than ${limits.ingest} evidence and decision requests a minute from this principal`,
    keyGenerator: byPrincipal,
    skip: (req) => !isIngest(req),
  });
  const other = rateLimit({
    ...common,
    limit: limits.principal,
    message: `more than ${limits.principal} requests a minute from this principal`,
    keyGenerator: byPrincipal,
    skip: isIngest,
  });
  return (req, res, next) => {
    ingest(req, res, (error?: unknown) => (error ? next(error) : other(req, res, next)));
  };
}
