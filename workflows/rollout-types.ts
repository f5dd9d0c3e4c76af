import type { Approval, Plan } from '../definitions/schema';

/** RolloutState is the lifecycle of a whole rollout. */
export const RolloutState = {
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  aborted: 'aborted',
} as const;
export type RolloutState = (typeof RolloutState)[keyof typeof RolloutState];

/**
 * StageState is the lifecycle of one stage:
 * pending → running (minDuration timer) → awaiting-approval → passed;
 * a rejection moves awaiting-approval to held, and a later sign-off moves held to passed;
 * aborting the rollout moves every unfinished stage to aborted.
 */
export const StageState = {
  pending: 'pending',
  running: 'running',
  awaitingApproval: 'awaiting-approval',
  held: 'held',
  passed: 'passed',
  aborted: 'aborted',
} as const;
export type StageState = (typeof StageState)[keyof typeof StageState];

/** RolloutInput starts a rollout: the exact plan version it is pinned to, as a snapshot. */
export interface RolloutInput {
  rolloutId: string;
  planName: string;
  planVersion: number;
  planDigest: string;
  plan: Plan;
  /** startedBy is who asked for the rollout. */
  startedBy?: string;
}

/** SignOff is one recorded human decision on a stage. */
export interface SignOff {
  decision: 'approve' | 'reject';
  approver: string;
  role: string;
  comment?: string;
  at: string;
}

/** StageStatus is the live view of one stage. Times are ISO 8601. */
export interface StageStatus {
  id: string;
  title: string;
  state: StageState;
  dependsOn: string[];
  startedAt?: string;
  /** endsNoEarlierThan is startedAt + minDuration: the stage cannot pass before it. */
  endsNoEarlierThan?: string;
  passedAt?: string;
  /** required is the stage's sign-off requirement, from the plan. */
  required: Approval[];
  /** approvals are the sign-offs that currently count (a rejection clears earlier ones). */
  approvals: SignOff[];
  /** history is every decision ever made on the stage, in order. */
  history: SignOff[];
}

/** RolloutStatus is what the status query and GET /v1/rollouts/:id return. */
export interface RolloutStatus {
  rolloutId: string;
  plan: string;
  version: number;
  digest: string;
  state: RolloutState;
  startedAt: string;
  endedAt?: string;
  stages: StageStatus[];
}

/** StageDecision is an approver's sign-off request for one stage. */
export interface StageDecision {
  stageId: string;
  decision: 'approve' | 'reject';
  approver: string;
  /** role is the requirement the approval counts toward; optional when the stage requires one role only. */
  role?: string;
  comment?: string;
}

/** OperatorAction carries who asked for a pause, resume or abort, and why. */
export interface OperatorAction {
  by?: string;
  reason?: string;
}
