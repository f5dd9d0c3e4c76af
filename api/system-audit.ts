import { Router, type Request } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { listSystemAuditEvents, recordSystemAuditEvent } from '../db/system-audit';
import { Identifier } from '../definitions/schema';
import { ADMIN_TOKEN_ROLE } from '../workflows/sign-off';
import { forbidden, principalOf } from './auth';
import { parseQuery, type Problem } from './problem';
import { PageAfter, pageLimit } from './request-schemas';

/**
 * refuseAndAudit records a refused attempt that belongs to no rollout (a plan upload, a rollout
 * start, a read of this trail) and returns the 403 to throw. planName is recorded only when it
 * is a well-formed plan name: what a refused caller sends is not trusted further than that.
 */
export async function refuseAndAudit(
  pool: Pool,
  req: Request,
  refusal: { action: string; reason: string; planName?: unknown },
): Promise<Problem> {
  const planName = Identifier.safeParse(refusal.planName);
  await recordSystemAuditEvent(pool, {
    type: `${refusal.action}.denied`,
    actor: principalOf(req).name,
    reason: refusal.reason,
    requestId: req.requestId,
    occurredAt: new Date().toISOString(),
    ...(planName.success ? { planName: planName.data } : {}),
  });
  return forbidden(refusal.reason);
}

export const AuditQuery = z.strictObject({
  plan: Identifier.optional(),
  limit: pageLimit(500),
  after: PageAfter,
});

/**
 * systemAuditRouter serves GET /v1/audit to admins: the events that belong to no rollout, in
 * order, `?plan=` for one plan's; paged as a rollout's trail is.
 */
export function systemAuditRouter(pool: Pool): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const principal = principalOf(req);
    if (!principal.roles.includes(ADMIN_TOKEN_ROLE)) {
      throw await refuseAndAudit(pool, req, { action: 'audit.read', reason: `${principal.name} needs the role ${ADMIN_TOKEN_ROLE} to read the audit trail` });
    }
    const { plan, after, limit } = parseQuery(AuditQuery, req.query);
    const events = await listSystemAuditEvents(pool, { ...(plan ? { plan } : {}), after, limit });
    const last = events[events.length - 1];
    res.json({ events, next: events.length === limit && last ? last.seq : null });
  });
  return router;
}
