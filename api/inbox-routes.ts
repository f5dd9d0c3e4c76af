import { Router } from 'express';
import type { Pool } from 'pg';
import { InboxQuery, type InboxItem, type INBOX_KINDS } from '../contract/inbox';
import { decisionPath } from '../db/decisions';
import { callerKeys, INBOX_OPEN_STATES } from '../db/inbox-candidates';
import { readOpenReviewTasks } from '../db/review-tasks';
import type { Principal } from '../db/tokens';
import type { RolloutStatus } from '../policy/rollout-types';
import { holdsRole } from '../policy/sign-off';
import { actorOf, principalOf } from './auth';
import { rolloutInboxItems } from './inbox-items';
import { reviewInboxItem } from './inbox-reviews';
import { planDefinition } from './plan-cache';
import { parseQuery } from './problem';

/** The index's candidate kind that each inbox kind comes from; the kinds of other tables have none. */
const CANDIDATE_KIND: Partial<Record<(typeof INBOX_KINDS)[number], string>> = {
  'stage-sign-off': 'stage-sign-off',
  'site-sign-off': 'stage-sign-off',
  'wave-sign-off': 'stage-sign-off',
  prerequisite: 'prerequisite',
  'held-stage': 'held-stage',
};

/**
 * openRolloutItems is the caller's items of open rollouts. The inbox index (db/inbox-candidates.ts)
 * selects in SQL the rollouts where something may wait for one of the caller's holder keys; only
 * their snapshots are then checked by the rules of the actions themselves (api/inbox-items.ts).
 */
export async function openRolloutItems(pool: Pool, principal: Principal, query: Pick<InboxQuery, 'kind' | 'rolloutId'>): Promise<InboxItem[]> {
  if (query.kind && !CANDIDATE_KIND[query.kind]) return [];
  const rollouts = await pool.query<{ rolloutId: string; plan: string; version: number; startedBy: string | null; status: RolloutStatus | null }>(
    `SELECT r.rollout_id AS "rolloutId", r.plan_name AS plan, r.plan_version AS version, r.started_by AS "startedBy", r.status
       FROM rollouts r
      WHERE r.state = ANY($1) AND r.status IS NOT NULL AND ($2::text IS NULL OR r.rollout_id = $2)
        AND EXISTS (SELECT 1 FROM inbox_candidates c
                     WHERE c.rollout_id = r.rollout_id AND c.holders && $3::text[] AND ($4::text IS NULL OR c.kind IN ($4, 'snapshot')))`,
    [INBOX_OPEN_STATES, query.rolloutId ?? null, callerKeys(principal), query.kind ? CANDIDATE_KIND[query.kind] : null],
  );
  const actor = actorOf(principal);
  const items: InboxItem[] = [];
  for (const row of rollouts.rows) {
    const plan = await planDefinition(pool, row.plan, row.version);
    if (!plan || !row.status) continue;
    items.push(...rolloutInboxItems({ rolloutId: row.rolloutId, plan, planVersion: row.version, ...(row.startedBy ? { startedBy: row.startedBy } : {}), status: row.status }, actor));
  }
  return items;
}

/**
 * inboxRouter serves GET /v1/inbox: what the caller may act on now, oldest wait first. It reads
 * PostgreSQL only: the open rollouts the inbox index selects for the caller, with their status
 * as the workflow last recorded it with an event (the registry row), the steady-state reviews the
 * trail shows open (db/review-tasks.ts), pending deferred decisions and proposed calibrations. No workflow is queried, so an item leaves the inbox with the event
 * that settles it.
 */
export function inboxRouter(pool: Pool): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const query = parseQuery(InboxQuery, req.query);
    const principal = principalOf(req);
    const actor = actorOf(principal);
    const items: InboxItem[] = [];

    items.push(...(await openRolloutItems(pool, principal, query)));

    if (!query.kind || query.kind === 'steady-state-review') {
      for (const task of await readOpenReviewTasks(pool, INBOX_OPEN_STATES, query.rolloutId)) {
        const plan = await planDefinition(pool, task.planName, task.planVersion);
        const item = plan && reviewInboxItem(task, plan, actor);
        if (item) items.push(item);
      }
    }

    const decisions = await pool.query<{
      decisionId: string; rolloutId: string; stageId: string; planName: string; planVersion: number; deferTo: string;
      decideBy: string; createdAt: string; kind: string; confidence: number; threshold: number | null; recommendation: unknown; safeDefault: string;
    }>(
      `SELECT d.decision_id AS "decisionId", d.rollout_id AS "rolloutId", d.stage_id AS "stageId", r.plan_name AS "planName",
              d.plan_version AS "planVersion", d.defer_to AS "deferTo", to_json(d.decide_by) #>> '{}' AS "decideBy",
              to_json(d.created_at) #>> '{}' AS "createdAt", d.kind, d.confidence, d.threshold, d.recommendation, d.safe_default AS "safeDefault"
         FROM decisions d JOIN rollouts r USING (rollout_id)
        WHERE d.state = 'pending' AND d.decide_by > now() AND ($1::text IS NULL OR d.rollout_id = $1)`,
      [query.rolloutId ?? null],
    );
    for (const decision of decisions.rows) {
      const plan = await planDefinition(pool, decision.planName, decision.planVersion);
      if (!plan || !holdsRole(plan.roles, actor, decision.deferTo)) continue;
      items.push({
        id: `deferred-decision:${decision.decisionId}`,
        kind: 'deferred-decision',
        rolloutId: decision.rolloutId,
        plan: decision.planName,
        planVersion: decision.planVersion,
        stageId: decision.stageId,
        decisionId: decision.decisionId,
        title: `Decide ${decision.kind}: accept, modify or reject`,
        why: `the model's confidence ${decision.confidence} is below the threshold ${decision.threshold ?? '-'}; without a decision the safe default (${decision.safeDefault}) applies`,
        since: decision.createdAt,
        deadline: decision.decideBy,
        roles: [decision.deferTo],
        evidence: { recommendation: decision.recommendation, confidence: decision.confidence, threshold: decision.threshold },
        action: { method: 'POST', path: `${decisionPath(decision.decisionId)}/resolution` },
      });
    }

    const proposals = await pool.query<{
      proposalId: string; rolloutId: string; stageId: string; planName: string; planVersion: number; proposedBy: string; proposedAt: string;
      threshold: number; previousThreshold: number | null;
    }>(
      `SELECT proposal_id AS "proposalId", rollout_id AS "rolloutId", stage_id AS "stageId", plan_name AS "planName", plan_version AS "planVersion",
              proposed_by AS "proposedBy", to_json(proposed_at) #>> '{}' AS "proposedAt", threshold, previous_threshold AS "previousThreshold"
         FROM proposals WHERE state = 'proposed' AND ($1::text IS NULL OR rollout_id = $1)`,
      [query.rolloutId ?? null],
    );
    for (const proposal of proposals.rows) {
      const plan = await planDefinition(pool, proposal.planName, proposal.planVersion);
      const stage = plan?.stages.find((candidate) => candidate.id === proposal.stageId);
      if (!plan || !stage || (proposal.proposedBy === actor.name && !plan.allowSelfApproval)) continue;
      const roles = [...new Set(stage.approvals.map((approval) => approval.role))].filter((role) => holdsRole(plan.roles, actor, role));
      if (roles.length === 0) continue;
      items.push({
        id: `calibration:${proposal.proposalId}`,
        kind: 'calibration',
        rolloutId: proposal.rolloutId,
        plan: proposal.planName,
        planVersion: proposal.planVersion,
        stageId: proposal.stageId,
        proposalId: proposal.proposalId,
        title: `Approve a confidence threshold of ${proposal.threshold} for stage ${proposal.stageId}`,
        why: `${proposal.proposedBy} proposed it (now ${proposal.previousThreshold ?? 'the plan\'s'}); it takes effect once approved`,
        since: proposal.proposedAt,
        roles,
        evidence: { threshold: proposal.threshold },
        action: {
          method: 'POST',
          path: `/v1/rollouts/${encodeURIComponent(proposal.rolloutId)}/stages/${encodeURIComponent(proposal.stageId)}/calibrations/${encodeURIComponent(proposal.proposalId)}/approvals`,
        },
      });
    }

    // Oldest wait first; the page cursor is the last item's position in that order.
    const position = (item: InboxItem) => `${item.since}|${item.id}`;
    const sorted = items.filter((item) => !query.kind || item.kind === query.kind).sort((a, b) => (position(a) < position(b) ? -1 : position(a) > position(b) ? 1 : 0));
    const after = query.after;
    const page = (after === undefined ? sorted : sorted.filter((item) => position(item) > after)).slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({ items: page, next: page.length === query.limit && last ? position(last) : null });
  });
  return router;
}
