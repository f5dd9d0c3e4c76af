import type { Approval } from '../definitions/schema';
import type { StageEvaluation, Verdict } from './criteria';
import type { Actor, ChildOutcome, SignOff } from './rollout-types';

/** steadyStateWorkflowId is the workflow id of a stage's steady-state child: one per rollout, stage and entry into the stage. */
export const steadyStateWorkflowId = (rolloutId: string, stageId: string, stageAttempt = 1): string =>
  `${rolloutId}.${stageId}.steady-state${stageAttempt > 1 ? `#${stageAttempt}` : ''}`;

/** LaggingVerdict is the verdict on the stage's criteria: too-early before the horizon. */
export type LaggingVerdict = 'too-early' | Verdict;

/** SteadyStateState: running, or how the stage settled. */
export type SteadyStateState = 'running' | ChildOutcome;

/** ReviewVerdict is one criterion as a review shows it; a lagging metric is too-early before the horizon. */
export interface ReviewVerdict {
  metric: string;
  kind: 'leading' | 'lagging';
  verdict: LaggingVerdict;
  reason: string;
  value: number | null;
  threshold: number | null;
  samples: number;
}

/** Review is one periodic review: a sign-off task by reviewBy, with the KPI verdicts when it opened. */
export interface Review {
  number: number;
  /** dueAt is the review's place on the calendar; openedAt when it really opened. */
  dueAt: string;
  openedAt: string;
  /** signBy is when the next review is due; an unsigned review is overdue after it and stays open. */
  signBy: string;
  overdue: boolean;
  verdicts: ReviewVerdict[];
  evaluationId?: string;
  /** evaluationError says why there are no verdicts: the evaluation could not run. */
  evaluationError?: string;
  required: Approval[];
  /** signOffs count toward required, by distinct people; the review is signed once every role has its count. */
  signOffs: SignOff[];
  signedAt?: string;
  signedBy?: string[];
}

/** RetrainingReminder is one retraining.due notification. */
export interface RetrainingReminder {
  number: number;
  dueAt: string;
  sentAt: string;
  /** retrainBy is the due date given to the owner: the next reminder's date. */
  retrainBy: string;
  /** to is the role addressed: retrainingOwner, else the stage's approvers. */
  to: string[];
}

/** ModelVersionRecord is one recorded change of the model version in production. */
export interface ModelVersionRecord {
  version: string;
  previous?: string;
  reason: string;
  by: string;
  role: string;
  at: string;
  requestId?: string;
}

/** SteadyStateStatus is what steadyStateStatusQuery and GET …/steady-state return. Times are ISO 8601. */
export interface SteadyStateStatus {
  rolloutId: string;
  stageId: string;
  workflowId: string;
  state: SteadyStateState;
  startedAt: string;
  horizonAt: string;
  nextReviewAt?: string;
  nextRetrainingAt?: string;
  laggingVerdict: LaggingVerdict;
  reviews: Review[];
  retraining: RetrainingReminder[];
  modelVersions: ModelVersionRecord[];
  /** evaluations counts criteria evaluations; evaluation is the latest one. */
  evaluations: number;
  evaluation?: StageEvaluation;
  settled?: { outcome: ChildOutcome; summary: string; reason?: string; at: string };
}

/** ReviewSignOff signs review `number` off; role picks the requirement it counts toward. */
export interface ReviewSignOff {
  number: number;
  actor: Actor;
  role?: string;
  comment?: string;
  requestId?: string;
}

/** ModelVersionChange records that a new model version went into production, and why. */
export interface ModelVersionChange {
  version: string;
  reason: string;
  actor: Actor;
  requestId?: string;
}
