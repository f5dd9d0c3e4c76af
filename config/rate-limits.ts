import { z } from 'zod';

/**
 * RateLimits are the API's request budgets, in requests per minute. `ingest` is each principal's
 * budget for evidence and decisions (POST /v1/rollouts/:id/metrics and …/decisions), `principal`
 * its budget for every other /v1 request, and `unauthenticated` each client address's budget of
 * requests refused with 401. `false` turns rate limiting off (benchmarks that measure capacity).
 */
export type RateLimits = { principal: number; ingest: number; unauthenticated: number } | false;

/**
 * DEFAULT_RATE_LIMITS: 1000 evidence or decision requests a second per principal, far above a
 * plant's batch rates (a metrics request carries up to 1000 samples); 20 other requests a
 * second, several times what a person signing off or a dashboard polling needs; and 5 requests
 * a second per address that carry no valid token.
 */
export const DEFAULT_RATE_LIMITS = { principal: 1_200, ingest: 60_000, unauthenticated: 300 } as const;

const BUDGET_NAMES = ['principal', 'ingest', 'unauthenticated'] as const;

/**
 * RateLimitsSetting parses ROLLGATE_RATE_LIMIT: unset or empty keeps the defaults, `off` turns
 * limiting off, and `name=requests,…` (requests per minute, a positive integer) overrides the
 * named budgets, e.g. `principal=600,ingest=30000`.
 */
export const RateLimitsSetting = z
  .string()
  .optional()
  .transform((value, ctx): RateLimits => {
    const text = value?.trim() ?? '';
    if (text === '') return { ...DEFAULT_RATE_LIMITS };
    if (text === 'off') return false;
    const limits: { principal: number; ingest: number; unauthenticated: number } = { ...DEFAULT_RATE_LIMITS };
    for (const part of text.split(',')) {
      const match = /^\s*([a-z]+)\s*=\s*(\d{1,9})\s*$/.exec(part);
      const name = match?.[1] as (typeof BUDGET_NAMES)[number] | undefined;
      if (!match || !name || !BUDGET_NAMES.includes(name) || Number(match[2]) < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `expected off, or ${BUDGET_NAMES.join('|')}=<requests per minute, at least 1> separated by commas; got ${JSON.stringify(part.trim())}`,
        });
        return z.NEVER;
      }
      limits[name] = Number(match[2]);
    }
    return limits;
  });
