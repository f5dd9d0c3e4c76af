import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { closestMatch } from '../definitions/suggest';
import type { RolloutRow } from '../db/rollouts';
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
