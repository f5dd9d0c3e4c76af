import { Router } from 'express';
import type { Pool } from 'pg';
import { insertMissedEvent } from '../db/evidence';
import { MissedEventBody } from './evidence-schemas';
import { EVIDENCE_BODY_LIMIT, reporter, sameInstant, sameScope } from './evidence-reports';
import { jsonBody } from './json-body';
import { conflict, parseBody } from './problem';
import { requireRollout } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 *   POST /v1/rollouts/:id/missed-events              an event the model did not recommend for
 *
 * Missed events are what recall is computed against (db/derived-metrics.ts). Each is stored
 * once by its id: the same report again is answered 200, a different one 409.
 */
export function missedEventsRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());

  router.post('/:id/missed-events', jsonBody(EVIDENCE_BODY_LIMIT), async (req, res) => {
    const row = await requireRollout(pool, req);
    const body = parseBody(MissedEventBody, req.body);
    const { created, event } = await insertMissedEvent(pool, row.rolloutId, body, reporter(req));
    if (!created && !(sameInstant(event.observedAt, body.observedAt) && event.detail === (body.detail ?? null) && sameScope(event.scope, body.scope))) {
      throw conflict(`missed event ${body.eventId} already exists with different content`, { event });
    }
    res.status(created ? 201 : 200).json({ rolloutId: row.rolloutId, created, event });
  });

  return router;
}
