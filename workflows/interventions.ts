import type { Scope } from '../definitions/schema';
import type { StageStatus } from '../policy/rollout-types';
import { missingApprovals } from '../policy/sign-off';

/**
 * Intervention texts for notifications: each names a concrete action, who must take it, where,
 * and by when, so the receiving system (CMMS, WMS, dashboard) can route it as a task.
 */

function where(scope: Scope | undefined): string {
  const parts = [...(scope?.lines ?? []), ...(scope?.sites ?? []), ...(scope?.lanes ?? [])];
  return parts.length > 0 ? ` on ${parts.join(', ')}` : '';
}

/** signOffAction: `Stage "Full-shift operation" on line-7 needs sign-off by safety-officer before 2026-12-03T06:00:00.000Z`. */
export function signOffAction(stage: StageStatus, scope: Scope | undefined, dueBy: string | undefined): string {
  const who = missingApprovals(stage.required, stage.approvals)
    .map((missing) => (missing.needed > 1 ? `${missing.role} ×${missing.needed}` : missing.role))
    .join(' and ');
  return `Stage "${stage.title}"${where(scope)} needs sign-off by ${who}${dueBy ? ` before ${dueBy}` : ''}`;
}

/** escalationAction: the escalated role is asked to decide in place of the missing approvers. */
export function escalationAction(stage: StageStatus, scope: Scope | undefined, role: string, dueBy: string | undefined): string {
  return `Sign-off of stage "${stage.title}"${where(scope)} is overdue: ${role} may now sign it off${dueBy ? ` before ${dueBy}` : ''}`;
}

/** compensationAction asks the receiving system to undo what a stage switched on, where it did. */
export function compensationAction(title: string, scope: Scope | undefined): string {
  return `Turn the model off for stage "${title}"${where(scope)}`;
}
