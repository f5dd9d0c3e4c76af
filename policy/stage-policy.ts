import { downstreamStages, type GraphStage } from '../definitions/graph';
import type { CriterionEvaluation, Verdict } from './criteria';

/**
 * The stage policy, pure: what a running stage does next given its latest verdict and clock.
 * The rollout workflow and `rollgate simulate` both decide with these functions.
 */

/** StageStep is what a running or awaiting stage does after a wake-up, given its latest verdict. */
export const StageStep = {
  /** apply onFailure. */
  fail: 'fail',
  /** hold the stage for a person: criteria still inconclusive at maxDuration. */
  holdInconclusive: 'hold-inconclusive',
  /** start awaiting sign-off. */
  awaitApproval: 'await-approval',
  /** criteria no longer pass while awaiting sign-off: back to running. */
  regress: 'regress',
  wait: 'wait',
} as const;
export type StageStep = (typeof StageStep)[keyof typeof StageStep];

export interface StageMoment {
  /** verdict is the latest evaluation's; a stage without criteria always passes. */
  verdict: Verdict;
  state: 'running' | 'awaiting-approval';
  /** minOver: the stage's minDuration has run out. */
  minOver: boolean;
  /** maxReached: the stage has a maxDuration and it has run out. */
  maxReached: boolean;
}

/**
 * stageStep decides the next step, in this order of precedence: failing criteria apply
 * onFailure, even while awaiting sign-off; inconclusive criteria at maxDuration hold the
 * stage; passing criteria after minDuration move a running stage to awaiting sign-off; and a
 * verdict other than pass sends an awaiting stage back to running.
 */
export function stageStep(moment: StageMoment): StageStep {
  if (moment.verdict === 'fail') return StageStep.fail;
  if (moment.verdict === 'inconclusive' && moment.maxReached) return StageStep.holdInconclusive;
  if (moment.verdict === 'pass' && moment.minOver && moment.state === 'running') return StageStep.awaitApproval;
  if (moment.verdict !== 'pass' && moment.state === 'awaiting-approval') return StageStep.regress;
  return StageStep.wait;
}

/** evaluationDue tells whether a stage's criteria are due for evaluation: never evaluated in this attempt, or evaluationInterval since the last time. */
export function evaluationDue(lastEvaluatedAt: number | undefined, intervalMs: number, now: number): boolean {
  return lastEvaluatedAt === undefined || now >= lastEvaluatedAt + intervalMs;
}

export interface WakeInput {
  now: number;
  hasCriteria: boolean;
  lastEvaluatedAt?: number;
  intervalMs: number;
  /** minEndsAt is when the attempt's minDuration runs out. */
  minEndsAt: number;
  /** maxAt is when its maxDuration runs out, if it has one. */
  maxAt?: number;
  verdict: Verdict;
}

/**
 * stageWakeAt is when a stage next needs attention on its own: the next evaluation, the end
 * of minDuration, or maxDuration while the criteria are inconclusive, whichever comes first.
 * Infinity when only a person (a sign-off) can move it.
 */
export function stageWakeAt(input: WakeInput): number {
  return Math.min(
    input.hasCriteria ? (input.lastEvaluatedAt ?? input.now) + input.intervalMs : Infinity,
    input.now >= input.minEndsAt ? Infinity : input.minEndsAt,
    input.verdict === 'inconclusive' && input.maxAt !== undefined ? input.maxAt : Infinity,
  );
}

/** rollbackScope lists, in plan order, the stages a rollback to `target` returns to pending: the target and every stage after it that has started. */
export function rollbackScope(stages: ReadonlyArray<GraphStage>, target: string, started: ReadonlySet<string>): string[] {
  return [target, ...downstreamStages(stages, target)].filter((id) => started.has(id));
}

/** failingReason is how the workflow words failing criteria: `metric: reason` for each failing one. */
export function failingReason(criteria: readonly CriterionEvaluation[]): string {
  return criteria.filter((c) => c.verdict === 'fail').map((c) => `${c.metric}: ${c.reason}`).join('; ') || 'criteria failed';
}

/** inconclusiveReason says why a stage is held at maxDuration, naming each criterion still inconclusive and why (e.g. its freshness). */
export function inconclusiveReason(maxDuration: string | undefined, criteria: readonly CriterionEvaluation[]): string {
  const open = criteria.filter((c) => c.verdict === 'inconclusive').map((c) => `${c.metric}: ${c.reason}`);
  return `criteria are still inconclusive after maxDuration ${maxDuration}${open.length > 0 ? ` (${open.join('; ')})` : ''}`;
}
