import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { closestMatch } from '../definitions/suggest';
import type { RolloutRow } from '../db/rollouts';
import type { Plan } from '../definitions/schema';
import { SignOffRejection } from '../policy/sign-off';
import { planDefinition } from './plan-cache';
import { notFound, type Problem } from './problem';

/**
 * unknownNameProblem turns a workflow's refusal of a stage or prerequisite its plan does not
 * have into a 404 that says "did you mean" when a name of the plan is close, and lists the
 * names otherwise; undefined for any other error.
 */
export async function unknownNameProblem(pool: Pool, row: RolloutRow, cause: unknown, params: { stageId?: string; prerequisiteId?: string }): Promise<Problem | undefined> {
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const plan = await planDefinition(pool, row.plan, row.version);
  if (!plan) return undefined;
  if (cause.type === SignOffRejection.unknownStage && params.stageId !== undefined) {
    return notFound(withSuggestion(cause.message, params.stageId, plan.stages.map((stage) => stage.id), 'stages'));
  }
  if (cause.type === SignOffRejection.unknownPrerequisite && params.prerequisiteId !== undefined) {
    return notFound(withSuggestion(cause.message, params.prerequisiteId, (plan.prerequisites ?? []).map((prerequisite) => prerequisite.id), 'prerequisites'));
  }
  return undefined;
}

/** withSuggestion adds the nearest candidate to a message, or the candidates when none is near. */
export function withSuggestion(message: string, word: string, candidates: readonly string[], what: string): string {
  const near = closestMatch(word, candidates);
  if (near) return `${message} (did you mean "${near}"?)`;
  return candidates.length > 0 ? `${message}; its ${what} are ${candidates.join(', ')}` : message;
}

/** unknownStage is the 404 for a stage the plan does not have, with a near stage id when there is one. */
export function unknownStage(plan: Pick<Plan, 'stages'> | { stages: readonly { id: string }[] }, stageId: string, message = `the plan has no stage ${stageId}`): Problem {
  return notFound(withSuggestion(message, stageId, plan.stages.map((stage) => stage.id), 'stages'));
}

/** planRoleNames are the roles a plan names anywhere: its role map, sign-offs, escalations, prerequisites and authorities. */
export function planRoleNames(plan: Plan): string[] {
  const names = new Set<string>(Object.keys(plan.roles ?? {}));
  for (const prerequisite of plan.prerequisites ?? []) names.add(prerequisite.signedBy);
  for (const stage of plan.stages) {
    for (const approval of stage.approvals) names.add(approval.role);
    for (const step of stage.escalation) if ('to' in step && typeof step.to === 'string') names.add(step.to);
    for (const approval of stage.steadyState?.reviewBy ?? []) names.add(approval.role);
    for (const role of [stage.overrideAuthority, stage.deferral?.deferTo, stage.steadyState?.retrainingOwner]) if (role) names.add(role);
  }
  return [...names];
}

/**
 * refuseUnknownRole answers 404, with "did you mean" where a role of the plan is near, when a
 * request names a role the rollout's plan names nowhere; a role the plan has but the stage
 * does not take is the workflow's to refuse (403).
 */
export async function refuseUnknownRole(pool: Pool, row: Pick<RolloutRow, 'rolloutId' | 'plan' | 'version'>, role: string): Promise<void> {
  const plan = await planDefinition(pool, row.plan, row.version);
  if (!plan) return;
  const names = planRoleNames(plan);
  const base = role.split('@')[0]!;
  if (names.some((name) => name === role || name === base || name.split('@')[0] === base)) return;
  throw notFound(withSuggestion(`the plan of rollout ${row.rolloutId} has no role ${role}`, role, names, 'roles'));
}
