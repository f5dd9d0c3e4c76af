import type { Approval } from '../definitions/schema';
import type { CriterionEvaluation } from '../policy/criteria';
import type { ReviewVerdict } from '../policy/steady-state-types';

/**
 * Texts of the steady-state notifications and outcomes: each names what to do, who does it,
 * by when, and the API call that records it, so a CMMS or dashboard can route it as a task.
 */

export interface StageRef {
  rolloutId: string;
  stageId: string;
  title: string;
}

const roleList = (required: readonly Approval[]) => required.map((r) => (r.count > 1 ? `${r.role} ×${r.count}` : r.role)).join(' and ');

/** verdictTally: `2 pass, 1 too-early`, or `no criteria`. */
function verdictTally(verdicts: readonly ReviewVerdict[]): string {
  const counts = new Map<string, number>();
  for (const entry of verdicts) counts.set(entry.verdict, (counts.get(entry.verdict) ?? 0) + 1);
  return counts.size === 0 ? 'no criteria' : [...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ');
}

/** reviewDueAction asks the reviewers to check the verdicts and sign review `number` off before signBy. */
export function reviewDueAction(stage: StageRef, number: number, verdicts: readonly ReviewVerdict[], reviewBy: readonly Approval[], signBy: string): string {
  return (
    `Review ${number} of stage "${stage.title}" is due: check the KPI verdicts (${verdictTally(verdicts)}) and sign it off ` +
    `as ${roleList(reviewBy)} before ${signBy} (POST /v1/rollouts/${stage.rolloutId}/stages/${stage.stageId}/reviews/${number}/sign)`
  );
}

/** retrainingAction asks the owner to retrain the model by retrainBy and record the new version. */
export function retrainingAction(stage: StageRef, to: readonly string[], retrainBy: string): string {
  return (
    `Retrain the model of stage "${stage.title}" (${to.join(' or ')}) by ${retrainBy} and record the new version ` +
    `(POST /v1/rollouts/${stage.rolloutId}/stages/${stage.stageId}/model-versions)`
  );
}

/** passedSummary words a passing verdict at or after the horizon: `metric: reason` for each criterion. */
export function passedSummary(criteria: readonly CriterionEvaluation[]): string {
  const each = criteria.map((c) => `${c.metric}: ${c.reason}`).join('; ');
  return `the stage's criteria pass after the horizon${each ? `: ${each}` : ' (it has none)'}`;
}
