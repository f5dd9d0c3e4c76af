import type { PoolClient } from 'pg';
import type { Plan } from '../definitions/schema';
import type { RolloutStatus, StageStatus } from '../policy/rollout-types';
import { ADMIN_TOKEN_ROLE, ROLLOUT_OPERATOR_ROLE } from '../policy/sign-off';

/**
 * The inbox's index (db/migrations/014_inbox_candidates.sql). A candidate is something in a
 * rollout's status that may wait for someone, with the holder keys of everyone who might act on
 * it: a superset, since the exact rules (policy/sign-off.ts) are checked at read time on the
 * few rollouts the keys select.
 */

/** States of a rollout that may wait for a person. */
export const INBOX_OPEN_STATES = ['running', 'paused', 'held'] as const;
/** The holder key every caller has: rows that must be checked for anyone. */
export const ANYONE = '*';

export interface InboxCandidate {
  itemKey: string;
  kind: 'stage-sign-off' | 'prerequisite' | 'held-stage';
  holders: string[];
  since: string;
}

type RoleMap = Plan['roles'];

/**
 * roleHolders is who might hold role for a plan, as holder keys: the members when the plan
 * declares the role (or its base, before `@`), else the token role and its base.
 */
export function roleHolders(roles: RoleMap, role: string): string[] {
  const base = role.split('@')[0]!;
  const declared = roles?.[role] ?? roles?.[base];
  if (declared) return declared.members.map((member) => `principal:${member}`);
  return [...new Set([`role:${role}`, `role:${base}`])];
}

/** callerKeys are the holder keys of a principal: its name, its token roles when it is a person, `admin` for admins, and ANYONE. */
export function callerKeys(principal: { name: string; kind: string; roles: readonly string[] }): string[] {
  return [
    ANYONE,
    `principal:${principal.name}`,
    ...(principal.kind === 'person' ? principal.roles.map((role) => `role:${role}`) : []),
    ...(principal.roles.includes(ADMIN_TOKEN_ROLE) ? ['admin'] : []),
  ];
}

const stageRoles = (stage: StageStatus) => [...new Set([...stage.required.map((requirement) => requirement.role), ...stage.escalatedTo])];
const holdersOf = (roles: RoleMap, names: readonly string[]) => [...new Set(names.flatMap((name) => roleHolders(roles, name)))];

/** inboxCandidates lists what in status may wait for someone; none unless the rollout is open. */
export function inboxCandidates(status: RolloutStatus, roles: RoleMap): InboxCandidate[] {
  if (!(INBOX_OPEN_STATES as readonly string[]).includes(status.state)) return [];
  const candidates: InboxCandidate[] = [];
  for (const prerequisite of status.prerequisites) {
    if (prerequisite.signed) continue;
    candidates.push({ itemKey: `prerequisite:${prerequisite.id}`, kind: 'prerequisite', holders: roleHolders(roles, prerequisite.signedBy), since: status.startedAt });
  }
  for (const stage of status.stages) {
    const since = stage.awaitingSince ?? stage.hold?.at ?? stage.startedAt ?? status.startedAt;
    const waiting =
      stage.state === 'awaiting-approval' ||
      stage.state === 'held' ||
      (stage.sites ?? []).some((site) => site.state === 'awaiting-approval') ||
      (stage.waves ?? []).some((wave) => wave.state === 'awaiting-approval');
    if (waiting) candidates.push({ itemKey: `stage:${stage.id}`, kind: 'stage-sign-off', holders: holdersOf(roles, stageRoles(stage)), since });
    if (stage.state === 'held' && stage.hold && stage.hold.cause !== 'rejected') {
      candidates.push({ itemKey: `held:${stage.id}`, kind: 'held-stage', holders: ['admin', ...roleHolders(roles, ROLLOUT_OPERATOR_ROLE)], since: stage.hold.at });
    }
  }
  return candidates;
}

/**
 * replaceInboxCandidates rewrites the rollout's candidates from the status it stores, on the
 * client of the transaction that stores it: the index changes with the snapshot or not at all.
 * The plan's role map is read in the same transaction.
 */
export async function replaceInboxCandidates(client: PoolClient, rolloutId: string, status: unknown): Promise<void> {
  await client.query(`DELETE FROM inbox_candidates WHERE rollout_id = $1`, [rolloutId]);
  const snapshot = status as RolloutStatus | null;
  if (!snapshot || !Array.isArray(snapshot.stages) || !(INBOX_OPEN_STATES as readonly string[]).includes(snapshot.state)) return;
  const plan = await client.query<{ roles: RoleMap | null }>(`SELECT definition->'roles' AS roles FROM plan_versions WHERE name = $1 AND version = $2`, [snapshot.plan, snapshot.version]);
  const candidates = inboxCandidates(snapshot, plan.rows[0]?.roles ?? undefined);
  if (candidates.length === 0) return;
  await client.query(
    `INSERT INTO inbox_candidates (rollout_id, item_key, kind, holders, since)
     SELECT $1, c.item_key, c.kind, ARRAY(SELECT jsonb_array_elements_text(c.holders)), c.since
       FROM jsonb_to_recordset($2::jsonb) AS c(item_key text, kind text, holders jsonb, since timestamptz)`,
    [rolloutId, JSON.stringify(candidates.map((candidate) => ({ item_key: candidate.itemKey, kind: candidate.kind, holders: candidate.holders, since: candidate.since })))],
  );
}
