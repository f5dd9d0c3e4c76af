import type { InboxItem } from '../contract/inbox';
import type { Plan } from '../definitions/schema';
import type { OpenReviewTask } from '../db/review-tasks';
import type { Actor } from '../policy/rollout-types';
import { quorumRole } from '../policy/sign-off';

/**
 * reviewInboxItem is an open steady-state review as an inbox item, when the caller's sign-off
 * would count: the same quorum rules as the review's Update validator (policy/steady-state-rules.ts
 * reviewSignOffRole), over the sign-offs the trail has recorded so far. undefined otherwise.
 */
export function reviewInboxItem(task: OpenReviewTask, plan: Plan, actor: Actor): InboxItem | undefined {
  const stage = plan.stages.find((candidate) => candidate.id === task.stageId);
  if (!stage?.steadyState) return undefined;
  const required = stage.steadyState.reviewBy ?? stage.approvals;
  const context = {
    rolloutState: 'running' as const,
    roles: plan.roles,
    allowSelfApproval: plan.allowSelfApproval,
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
  };
  const label = `review ${task.number} of stage ${task.stageId}`;
  const approvals = task.signOffs.map((signOff) => ({ decision: 'approve' as const, approver: signOff.approver, role: signOff.role, at: signOff.at }));
  const role = quorumRole(context, { label, required, approvals }, actor);
  if (typeof role !== 'string') return undefined;
  const overdue = task.signBy !== undefined && Date.parse(task.signBy) <= Date.now();
  return {
    id: `steady-state-review:${task.rolloutId}:${task.stageId}:${task.number}:${task.openedAt}`,
    kind: 'steady-state-review',
    rolloutId: task.rolloutId,
    plan: task.planName,
    planVersion: task.planVersion,
    stageId: task.stageId,
    review: task.number,
    title: `Sign review ${task.number} of steady-state stage ${task.stageId} (${stage.title})`,
    why: `the periodic review of the stage's KPIs waits for ${role} sign-off${overdue ? ' and is overdue' : ''}`,
    since: task.openedAt,
    ...(task.signBy ? { deadline: task.signBy } : {}),
    roles: [role],
    action: {
      method: 'POST',
      path: `/v1/rollouts/${encodeURIComponent(task.rolloutId)}/stages/${encodeURIComponent(task.stageId)}/reviews/${task.number}/sign`,
    },
  };
}
