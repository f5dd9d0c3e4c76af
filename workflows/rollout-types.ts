import type { Plan } from '../definitions/schema';
import type { ChildOutcome, OperatorAction, RolloutStatus, StageState } from '../policy/rollout-types';

/** The rollout workflow's own contract: its input, what it carries across continue-as-new, and what its children report. The status types it shares with the API and the rules are in policy/rollout-types.ts. */

/** RolloutInput starts a rollout: the exact plan version it is pinned to, as a snapshot. */
export interface RolloutInput {
  rolloutId: string;
  planName: string;
  planVersion: number;
  planDigest: string;
  plan: Plan;
  /** startedBy is who asked for the rollout. */
  startedBy?: string;
  /** carried is the state handed over by continue-as-new; absent on the first run. */
  carried?: CarriedState;
  /** site, when given, makes this run one site of a parent's forEach stage (a child workflow). */
  site?: SiteRun;
}

/** SiteRun ties a child workflow to the site of the parent's forEach stage it runs. */
export interface SiteRun {
  parentWorkflowId: string;
  stageId: string;
  site: string;
  wave: number;
  /** compensate: on failure, compensate this site alone (onSiteFailure rollback-site). */
  compensate: boolean;
  /** over says which scope entry the site is: evidence is read for that site or line only. */
  over: 'sites' | 'lines';
  /** previousWave: the sites of the wave before this site's, for comparisons with `control: { wave: previous }`; [] in the first wave. */
  previousWave?: string[];
}

/** ChildProgress is what a child workflow reports to its parent rollout (see childProgressSignal). */
export interface ChildProgress {
  stageId: string;
  /** site is set for a site of a forEach stage; absent for a steady-state stage. */
  site?: string;
  /** workflowId is the sending child's, so the parent can ignore a superseded run of the same site. */
  workflowId?: string;
  /** state is the child's stage state, e.g. running, awaiting-approval, held. */
  state: StageState;
  /** settled, when set, is the child's final outcome; the child sends nothing after it. */
  settled?: ChildOutcome;
  reason?: string;
  at: string;
  /** detail is a small summary for the parent's status, e.g. the latest review or verdict. */
  detail?: Record<string, unknown>;
}

/** CarriedState is everything a rollout needs to go on in a new run after continue-as-new. */
export interface CarriedState {
  status: RolloutStatus;
  /** eventSeq and notificationSeq keep audit event ids and webhook delivery ids unique across runs. */
  eventSeq: number;
  notificationSeq: number;
  abortedBy?: OperatorAction;
}
