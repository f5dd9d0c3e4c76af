/** The simulator's options and results: what `rollgate simulate` prints and tests read. */

export const DAY_MS = 86_400_000;

/** DEFAULT_SIGN_OFF_AFTER_MS: sign-off arrives a day after a stage starts awaiting it. */
export const DEFAULT_SIGN_OFF_AFTER_MS = DAY_MS;
/** DEFAULT_HORIZON_MS: the simulation looks 730 days (two years) ahead of the start. */
export const DEFAULT_HORIZON_MS = 730 * DAY_MS;
/** MAX_REENTRIES: how often onFailure may roll back into the same stage before the simulation holds instead. */
export const MAX_REENTRIES = 3;
/** MAX_EVALUATIONS: a guard against plans whose evaluationInterval is tiny for the horizon (e.g. 1s over two years). */
export const MAX_EVALUATIONS = 1_000_000;

export interface SimulationOptions {
  /** start is when the rollout starts, epoch milliseconds. */
  start: number;
  /** signOffAfterMs: every sign-off arrives this long after its stage starts awaiting it. Default DEFAULT_SIGN_OFF_AFTER_MS. */
  signOffAfterMs?: number;
  /** untilMs is the horizon, epoch milliseconds: nothing later is simulated. Default start + DEFAULT_HORIZON_MS. */
  untilMs?: number;
  /** maxReentries: default MAX_REENTRIES. */
  maxReentries?: number;
  /** maxEvaluations: default MAX_EVALUATIONS; the simulation stops at the horizon-like limit when reached. */
  maxEvaluations?: number;
}

export const SimulationEventType = {
  stageStarted: 'stage.started',
  stageEvaluated: 'stage.evaluated',
  stageAwaitingApproval: 'stage.awaiting-approval',
  stageEscalated: 'stage.escalated',
  stagePassed: 'stage.passed',
  stageHeld: 'stage.held',
  stageRolledBack: 'stage.rolled-back',
  wavePassed: 'wave.passed',
  waveStarted: 'wave.started',
  rolloutCompleted: 'rollout.completed',
  rolloutAborted: 'rollout.aborted',
  rolloutHeld: 'rollout.held',
  horizon: 'horizon',
} as const;
export type SimulationEventType = (typeof SimulationEventType)[keyof typeof SimulationEventType];

/**
 * SimulationEvent is one moment of the timeline. `detail` reads on its own, starting with
 * what happened ("held: …"). Evaluations appear only when a stage's verdict changes (the
 * first evaluation of an attempt always does), as in the rollout's audit trail.
 */
export interface SimulationEvent {
  at: number;
  stageId?: string;
  type: SimulationEventType;
  detail: string;
}

export const StageOutcome = {
  passed: 'passed',
  held: 'held',
  aborted: 'aborted',
  pending: 'pending',
  running: 'running',
} as const;
export type StageOutcome = (typeof StageOutcome)[keyof typeof StageOutcome];

/** StageSummary is where a stage ended up: `at` is when it passed, was held or aborted, or began its current attempt. */
export interface StageSummary {
  id: string;
  outcome: StageOutcome;
  at?: number;
  why: string;
  attempts: number;
  evaluations: number;
}

/** RolloutOutcome: completed (every stage passed), aborted, held (waits for a person), or horizon (still under way). */
export type RolloutOutcome = 'completed' | 'aborted' | 'held' | 'horizon';

export interface SimulationResult {
  start: number;
  until: number;
  signOffAfterMs: number;
  outcome: RolloutOutcome;
  events: SimulationEvent[];
  /** stages in plan order. */
  stages: StageSummary[];
  /** evaluations counts every criteria evaluation, listed in events or not. */
  evaluations: number;
  /** finishedAt is when the last stage passed; absent unless the rollout completed. */
  finishedAt?: number;
}
