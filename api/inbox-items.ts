import type { InboxItem } from '../contract/inbox';
import type { Plan } from '../definitions/schema';
import type { Actor, RolloutStatus, StageStatus } from '../policy/rollout-types';
import { ADMIN_TOKEN_ROLE, checkDecision, checkPrerequisite, holdsRole, ROLLOUT_OPERATOR_ROLE, type SignOffContext } from '../policy/sign-off';
import { stageView } from './rollout-view';

/**
 * The inbox's items for one open rollout, from its status as last recorded. Who may act
 * follows the workflow's own rules (policy/sign-off.ts): a stage sign-off is offered only
 * when checkDecision would accept an approval by the caller, a prerequisite only when
 * checkPrerequisite would, a held stage only to those who may resolve it. The action itself
 * still decides: the inbox reads a snapshot.
 */

export interface OpenRollout {
  rolloutId: string;
  plan: Plan;
  planVersion: number;
  startedBy?: string;
  status: RolloutStatus;
}

const rolloutPath = (rolloutId: string) => `/v1/rollouts/${encodeURIComponent(rolloutId)}`;

export function rolloutInboxItems(rollout: OpenRollout, actor: Actor): InboxItem[] {
  const { status, plan } = rollout;
  const context: SignOffContext = {
    rolloutState: status.state,
    roles: plan.roles,
    allowSelfApproval: plan.allowSelfApproval,
    ...(rollout.startedBy ? { startedBy: rollout.startedBy } : {}),
  };
  const base = { rolloutId: rollout.rolloutId, plan: status.plan, planVersion: status.version };
  const items: InboxItem[] = [];
  const heldRoles = (stage: StageStatus) => [...new Set([...stage.required.map((r) => r.role), ...stage.escalatedTo])].filter((role) => holdsRole(plan.roles, actor, role));

  for (const prerequisite of status.prerequisites) {
    if (checkPrerequisite(context, status.prerequisites, { prerequisiteId: prerequisite.id, actor })) continue;
    items.push({
      ...base,
      id: `prerequisite:${rollout.rolloutId}:${prerequisite.id}`,
      kind: 'prerequisite',
      prerequisiteId: prerequisite.id,
      ...(prerequisite.before ? { stageId: prerequisite.before } : {}),
      ...(prerequisite.site ? { site: prerequisite.site } : {}),
      title: `Sign off ${prerequisite.kind} "${prerequisite.title}"`,
      why: `${prerequisite.before ? `stage ${prerequisite.before}` : 'the rollout'} cannot start until ${prerequisite.signedBy} signs it off`,
      since: status.startedAt,
      roles: [prerequisite.signedBy],
      action: { method: 'POST', path: `${rolloutPath(rollout.rolloutId)}/prerequisites/${encodeURIComponent(prerequisite.id)}/sign-offs` },
    });
  }

  for (const stage of status.stages) {
    const stageBase = { ...base, stageId: stage.id };
    const approvals = `${rolloutPath(rollout.rolloutId)}/stages/${encodeURIComponent(stage.id)}/approvals`;
    const criteria = stage.evaluation && { criteria: stageView(stage).evaluation!.criteria };
    // A wave waiting for sign-off is offered as the wave item below: the same action, said once.
    const waveAwaiting = stage.waves?.some((wave) => wave.state === 'awaiting-approval') ?? false;
    if (!waveAwaiting && !checkDecision(context, stage, { stageId: stage.id, decision: 'approve', actor })) {
      items.push({
        ...stageBase,
        id: `stage-sign-off:${rollout.rolloutId}:${stage.id}:${stage.attempt}`,
        kind: 'stage-sign-off',
        title: `Sign off stage ${stage.id} (${stage.title})`,
        why: stage.state === 'held' ? `rejected: ${stage.hold?.reason ?? 'sign off again'}` : 'its exit criteria pass and its minimum duration is over',
        since: stage.awaitingSince ?? stage.hold?.at ?? stage.startedAt ?? status.startedAt,
        roles: heldRoles(stage),
        ...(criteria ? { evidence: criteria } : {}),
        action: { method: 'POST', path: approvals },
      });
    }
    const mayResolve = actor.roles.includes(ADMIN_TOKEN_ROLE) || holdsRole(plan.roles, actor, ROLLOUT_OPERATOR_ROLE);
    if (mayResolve && stage.state === 'held' && stage.hold && stage.hold.cause !== 'rejected') {
      items.push({
        ...stageBase,
        id: `held-stage:${rollout.rolloutId}:${stage.id}:${stage.attempt}`,
        kind: 'held-stage',
        title: `Resolve held stage ${stage.id}: retry-window, rollback or abort`,
        why: stage.hold.reason,
        since: stage.hold.at,
        roles: actor.roles.includes(ADMIN_TOKEN_ROLE) ? [ADMIN_TOKEN_ROLE] : [ROLLOUT_OPERATOR_ROLE],
        ...(criteria ? { evidence: criteria } : {}),
        action: { method: 'POST', path: `${rolloutPath(rollout.rolloutId)}/stages/${encodeURIComponent(stage.id)}/resolution` },
      });
    }
    const roles = heldRoles(stage);
    const standing = actor.name === rollout.startedBy && !plan.allowSelfApproval;
    if (roles.length === 0 || standing || (status.state !== 'running' && status.state !== 'held')) continue;
    for (const site of stage.sites ?? []) {
      if (site.state !== 'awaiting-approval') continue;
      items.push({
        ...stageBase,
        id: `site-sign-off:${rollout.rolloutId}:${stage.id}:${site.site}:${site.attempt}`,
        kind: 'site-sign-off',
        site: site.site,
        wave: site.wave,
        title: `Sign off site ${site.site} of stage ${stage.id}`,
        why: `the site's criteria pass and its minimum duration is over`,
        since: site.startedAt ?? stage.startedAt ?? status.startedAt,
        roles,
        action: { method: 'POST', path: approvals },
      });
    }
    for (const wave of stage.waves ?? []) {
      if (wave.state !== 'awaiting-approval' || wave.approvals.some((approval) => approval.approver === actor.name)) continue;
      items.push({
        ...stageBase,
        id: `wave-sign-off:${rollout.rolloutId}:${stage.id}:${wave.number}`,
        kind: 'wave-sign-off',
        wave: wave.number,
        title: `Open wave ${wave.number} of stage ${stage.id} (${wave.sites.join(', ')})`,
        why: 'the wave waits for sign-off before its sites start',
        since: wave.opensAt ?? wave.expectedStart,
        roles,
        action: { method: 'POST', path: approvals },
      });
    }
  }
  return items;
}
