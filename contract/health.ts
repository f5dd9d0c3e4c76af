import { z } from 'zod';

/** Health is GET /healthz: whether PostgreSQL and Temporal answer, and the rollouts the sweep found stuck. */
export const Health = z
  .object({
    status: z.enum(['ok', 'degraded', 'unavailable']),
    down: z.array(z.enum(['postgres', 'temporal'])),
    checks: z.object({ postgres: z.string(), temporal: z.string() }).meta({ description: '"ok", or what went wrong' }),
    stuck: z
      .object({ count: z.number().int(), rollouts: z.array(z.looseObject({ rolloutId: z.string(), plan: z.string() })), checkedAt: z.string().optional() })
      .optional(),
  })
  .meta({ id: 'Health' });
