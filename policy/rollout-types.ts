import type { Approval, Prerequisite, StageMode } from '../definitions/schema';
import type { StageEvaluation } from './criteria';

/** RolloutState is the lifecycle of a whole rollout. */
export const RolloutState = {
  running: 'running',
  /** paused by a person; resume continues. */
  paused: 'paused',
  /** held by the engine: a stage's escalation chain reached a `hold` step; resume continues. */
  held: 'held',
  completed: 'completed',
  aborted: 'aborted',
} as const;
export type RolloutState = (typeof RolloutState)[keyof typeof RolloutState];

/**
 * StageState is the lifecycle of one stage:
 * pending (dependencies, prerequisites) → running (minDuration, criteria evaluated every
 * evaluationInterval) → awaiting-approval (criteria pass, minDuration over) → passed.
 * `held` waits for a person, and `hold.cause` says for what: after a rejection, for sign-off
 * again; after failing criteria (onFailure hold), criteria still inconclusive at maxDuration or
 * a failed site (onSiteFailure halt), for a resolution (retry-window, rollback or abort).
 * onFailure `rollback` re-enters an upstream stage, moving it and every stage after it back to
 * pending. Aborting the rollout moves every unfinished stage to aborted.
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

/**
 * Stage states in which a stage is under way: it shows in the RolloutStage search attribute and
 * the registry's activeStages, and a new run after continue-as-new resumes it. A parent takes a
 * site run's reported stage state as the site's state only when it is one of these.
 */
export const UNDER_WAY_STATES: ReadonlySet<StageState> = new Set<StageState>(['running', 'awaiting-approval', 'held']);

/** ChildOutcome is how a stage's child workflow ended. */
export type ChildOutcome = 'passed' | 'failed' | 'aborted';

/** Actor is an authenticated principal acting on a rollout, as the API vouches for it. */
export interface Actor {
  name: string;
  kind: 'person' | 'service';
  /** roles are the principal's token roles; a plan's own role map takes precedence (see sign-off.ts). */
  roles: string[];
}

/** SignOff is one recorded human decision on a stage. */
export interface SignOff {
  decision: 'approve' | 'reject';
  approver: string;
  role: string;
  comment?: string;
  at: string;
  requestId?: string;
}

/** Override is a recorded use of manual override authority in a supervised stage. */
export interface Override {
  by: string;
  role: string;
  reason: string;
  at: string;
  recommendationId?: string;
}

/** StageStatus is the live view of one stage. Times are ISO 8601. */
export interface StageStatus {
  id: string;
  title: string;
  mode: StageMode;
  state: StageState;
  dependsOn: string[];
  startedAt?: string;
  /** endsNoEarlierThan is windowStartedAt + minDuration: the current attempt cannot pass before it. */
  endsNoEarlierThan?: string;
  passedAt?: string;
  /** required is the stage's sign-off requirement, from the plan. */
  required: Approval[];
  /** approvals are the sign-offs that currently count (a rejection clears earlier ones). */
  approvals: SignOff[];
  /** history is every decision ever made on the stage, in order. */
  history: SignOff[];
  /** awaitingSince is when the stage started waiting for sign-off; escalation counts from it. */
  awaitingSince?: string;
  /** escalatedTo are roles the escalation chain has reached; a member of one may sign off alone. */
  escalatedTo: string[];
  /** escalationsApplied counts the escalation steps already taken, so a new run does not repeat them. */
  escalationsApplied: number;
  /** windowStartedAt is where the evidence window begins: startedAt, or the last retry-window. */
  windowStartedAt?: string;
  /** evaluations counts the stage's criteria evaluations; evaluation is the latest one, as approvers see it. */
  evaluations: number;
  evaluation?: StageEvaluation;
  /** hold says why a held stage waits for a person. */
  hold?: StageHold;
  /** attempt counts entries into the stage: 1, plus one per retry-window or rollback re-entry. */
  attempt: number;
  /** overrideAuthority is the role that may override the model in a supervised stage. */
  overrideAuthority?: string;
  overrides: Override[];
  /** sites and waves are set for a forEach stage: one child workflow per site, started wave by wave. */
  sites?: SiteStatus[];
  waves?: WaveStatus[];
  /** notBefore is when a site run waits for its next execution window. */
  notBefore?: string;
  /** steadyState is set for a steady-state stage: its child workflow and what it last reported. */
  steadyState?: SteadyStateSummary;
}

/** SteadyStateSummary is a steady-state stage's child as the parent knows it from its reports. */
export interface SteadyStateSummary {
  workflowId: string;
  /** abandoned: the rollout asked the child to abort (a rollback or the rollout's abort); its reports no longer count. */
  abandoned?: boolean;
  /** report is the child's latest detail: open reviews, the last review, the lagging verdict, the next review and the horizon. */
  report?: Record<string, unknown>;
  settled?: ChildOutcome;
  reason?: string;
}

/**
 * SiteState: pending (wave not open yet), waiting (prerequisites, a halt or a pause), starting
 * (the child runs, its stage has not started: e.g. outside the site's execution windows), then
 * the child's own stage states, and how the site settled: passed, failed, rolled-back or aborted.
 */
export type SiteState = 'pending' | 'waiting' | 'starting' | StageState | 'failed' | 'rolled-back';

/** SiteStatus is one site (or line) of a forEach stage, as the parent knows it from its child's signals. */
export interface SiteStatus {
  site: string;
  wave: number;
  state: SiteState;
  /** workflowId is the site's child workflow; set once it started. */
  workflowId?: string;
  /** attempt counts the site's runs: a retry after a halt starts a new child. */
  attempt: number;
  startedAt?: string;
  /** notBefore is when the site's next execution window opens, while its child waits for it. */
  notBefore?: string;
  /** heldReason says why the site's run is held (an escalation hold); resuming the rollout ends it. */
  heldReason?: string;
  settledAt?: string;
  reason?: string;
}

/** WaveState: pending → feedback (the feedback cycle) → awaiting-approval → running → passed. */
export type WaveState = 'pending' | 'feedback' | 'awaiting-approval' | 'running' | 'passed';

export interface WaveStatus {
  number: number;
  sites: string[];
  state: WaveState;
  /** expectedStart and expectedFinish are the earliest dates, ignoring sign-off time and execution windows. */
  expectedStart: string;
  expectedFinish: string;
  /** opensAt is when the feedback cycle before this wave ends. */
  opensAt?: string;
  startedAt?: string;
  passedAt?: string;
  approvals: SignOff[];
}

/** RolloutStatus is what the status query and GET /v1/rollouts/:id return. */
export interface RolloutStatus {
  rolloutId: string;
  plan: string;
  version: number;
  digest: string;
  state: RolloutState;
  startedBy?: string;
  startedAt: string;
  endedAt?: string;
  /** heldReason says why the engine held the rollout. */
  heldReason?: string;
  prerequisites: PrerequisiteStatus[];
  stages: StageStatus[];
}

/**
 * HoldCause: a rejection (sign-off again), failing criteria, criteria inconclusive at
 * maxDuration, or a failed site of a forEach stage whose onSiteFailure is halt.
 */
export type HoldCause = 'rejected' | 'criteria-failed' | 'inconclusive' | 'site-failed';

export interface StageHold {
  cause: HoldCause;
  reason: string;
  at: string;
}

/** PrerequisiteStatus is a readiness prerequisite and its sign-off, if given. */
export interface PrerequisiteStatus extends Prerequisite {
  /** site is set on the per-site instance of a perSite prerequisite (id `<id>@<site>`). */
  site?: string;
  signed?: { by: string; at: string; evidence?: string; comment?: string };
}

/** PrerequisiteSignOff signs a readiness prerequisite off. */
export interface PrerequisiteSignOff {
  prerequisiteId: string;
  actor: Actor;
  evidence?: string;
  comment?: string;
  requestId?: string;
}

/** FailureResolution is a person's choice for a failed stage. */
export interface FailureResolution {
  stageId: string;
  choice: 'retry-window' | 'rollback' | 'abort';
  /** to is the upstream stage a rollback re-enters; default the plan's onFailure.rollback target. */
  to?: string;
  actor: Actor;
  reason: string;
  requestId?: string;
}

/** StageDecision is an approver's sign-off request for one stage. */
export interface StageDecision {
  stageId: string;
  decision: 'approve' | 'reject';
  actor: Actor;
  /** role is the requirement the sign-off counts toward; default the first still-missing role the actor holds. */
  role?: string;
  comment?: string;
  requestId?: string;
}

/** OverrideRequest records that a person overrode the model in a supervised stage. */
export interface OverrideRequest {
  stageId: string;
  actor: Actor;
  reason: string;
  recommendationId?: string;
  requestId?: string;
}

/** OperatorAction carries who asked for a pause, resume or abort, and why. */
export interface OperatorAction {
  by?: string;
  reason?: string;
  requestId?: string;
}

/** OperatorRequest is a pause, resume or abort as the API asks for it: by an authenticated actor, and why. */
export interface OperatorRequest {
  actor: Actor;
  reason?: string;
  requestId?: string;
}

/** OperatorOutcome is what a pause, resume or abort answers: the rollout's state once it applied. */
export interface OperatorOutcome {
  state: RolloutState;
}
