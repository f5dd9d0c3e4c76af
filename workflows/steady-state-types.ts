import type { Plan } from '../definitions/schema';
import type { OperatorAction } from '../policy/rollout-types';
import type { SteadyStateStatus } from '../policy/steady-state-types';

/** SteadyStateInput starts the steady-state governance of one stage, as a child of the rollout. */
export interface SteadyStateInput {
  rolloutId: string;
  /** parentWorkflowId is the rollout workflow that hears childProgressSignal, by workflow id. */
  parentWorkflowId: string;
  stageId: string;
  planName: string;
  planVersion: number;
  plan: Plan;
  /** startedAt is when the stage started (ISO 8601): reviews, reminders and the horizon count from it. */
  startedAt: string;
  /** startedBy started the rollout; they may not sign reviews unless the plan allows self-approval. */
  startedBy?: string;
  /** carried is the state handed over by continue-as-new; absent on the first run. */
  carried?: SteadyStateCarried;
}

/** SteadyStateCarried is everything a run hands to the next one on continue-as-new. */
export interface SteadyStateCarried {
  status: SteadyStateStatus;
  /** eventSeq and notificationSeq keep audit event ids and webhook delivery ids unique across runs. */
  eventSeq: number;
  notificationSeq: number;
  abortedBy?: OperatorAction;
}
