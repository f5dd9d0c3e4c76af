import { parseDuration } from '../definitions/duration';
import type { Stage } from '../definitions/schema';
import type { Verdict } from './criteria';
import { evaluationDue, StageStep, stageStep, stageWakeAt } from './stage-policy';

/**
 * The stage machine: what a stage under way does next, for the rollout workflow's stage runner
 * (workflows/rollout/stage-runner.ts) and the simulator (simulator/simulate.ts) alike. Pure.
 *
 * `advance(rules, stage, event, now)` takes the stage's attempt as it stands and one event, and
 * answers with the attempt after it and the one effect its driver carries out:
 *
 *   wake ──▶ evaluate ──(the driver reads the evidence)──▶ evaluated ──▶ one of
 *        └─(nothing due)────────────────────────────────────────────────▶ fail · hold-inconclusive
 *                                                                           · await-approval · regress · wait
 *
 * The workflow turns the effects into an evaluateStage activity, audit events and timers; the
 * simulator into its timeline and agenda. After await-approval and regress the stage is in its new
 * phase and the driver wakes it again (the workflow in its next loop pass, the simulator at once),
 * which gives the wait that follows. What the machine leaves to its drivers: sign-off and its
 * escalation chain (people, in the workflow; an assumed delay, in the simulator), what a failure
 * action does to other stages (rollbackScope, the abort), and waves and steady state, which the
 * workflow runs as child workflows and the simulator in line.
 */

/** StageRules is what a stage's definition says about its loop, read once per stage. */
export interface StageRules {
  hasCriteria: boolean;
  /** intervalMs is evaluationInterval. */
  intervalMs: number;
  /** maxMs is maxDuration, if the stage has one. */
  maxMs?: number;
  onFailure: Stage['onFailure'];
}

/** stageRules reads a validated stage's rules; a duration that does not parse reads as none (an interval of a day). */
export function stageRules(stage: Stage): StageRules {
  const maxMs = stage.maxDuration === undefined ? undefined : parseDuration(stage.maxDuration);
  return {
    hasCriteria: stage.criteria.length > 0,
    intervalMs: parseDuration(stage.evaluationInterval) ?? DEFAULT_INTERVAL_MS,
    ...(maxMs !== undefined ? { maxMs } : {}),
    onFailure: stage.onFailure,
  };
}

/** DEFAULT_INTERVAL_MS stands in for an evaluationInterval that does not parse, which a validated plan never has. */
const DEFAULT_INTERVAL_MS = 86_400_000;

/** StagePhase: the phases of an attempt the machine moves; held, passed and the rest belong to the drivers. */
export type StagePhase = 'running' | 'awaiting-approval';

/** StageAttempt is one attempt at a stage as the machine sees it; times are epoch milliseconds. */
export interface StageAttempt {
  phase: StagePhase;
  /** windowStartedAt is when the attempt's evidence window began: maxDuration counts from it. */
  windowStartedAt: number;
  /** minEndsAt is when the attempt's minimum duration runs out. */
  minEndsAt: number;
  /** evaluation is the attempt's latest stored evaluation: when its windows ended and its verdict. */
  evaluation?: { at: number; verdict: Verdict };
}

/** StageEvent is what the machine hears. */
export type StageEvent =
  /** wake: the driver looks at the stage (its loop runs, its timer fired). */
  | { type: 'wake' }
  /**
   * evaluated: the evaluation an `evaluate` effect asked for. Without `evaluation` it could not
   * be done: it counts as inconclusive and is not stored, so the attempt keeps its last one.
   */
  | { type: 'evaluated'; evaluation?: { at: number; verdict: Verdict } }
  /**
   * evidence: new evidence for the stage arrived. The stage is evaluated soon rather than at its
   * next interval: at once when its last evaluation is at least evidenceDebounceMs old, else when
   * it will be (a wait the driver does not cut short for more evidence, so arrivals coalesce).
   */
  | { type: 'evidence' };

/**
 * EVIDENCE_DEBOUNCE_MS is the shortest time between two evaluations of a stage that fresh
 * evidence asks for; a stage whose evaluationInterval is shorter uses its interval.
 */
export const EVIDENCE_DEBOUNCE_MS = 5_000;

/** evidenceDebounceMs is the least time between evaluations that fresh evidence brings about for a stage. */
export const evidenceDebounceMs = (rules: StageRules): number => Math.min(EVIDENCE_DEBOUNCE_MS, rules.intervalMs);

/** FailureAction is the stage's onFailure, applied to failing criteria. */
export type FailureAction = { type: 'abort' } | { type: 'rollback'; to: string } | { type: 'hold' };

/** StageEffect is what the driver does next. */
export type StageEffect =
  /** evaluate the criteria at this moment and report back with `evaluated`. */
  | { type: 'evaluate' }
  /** the criteria fail: apply onFailure. */
  | { type: 'fail'; action: FailureAction }
  /** the criteria are still inconclusive at maxDuration: hold the stage for a person. */
  | { type: 'hold-inconclusive' }
  /** the criteria pass and minDuration is over: ask for sign-off (the attempt is awaiting-approval). */
  | { type: 'await-approval' }
  /** the criteria no longer pass while awaiting sign-off: back to running. */
  | { type: 'regress'; verdict: Verdict }
  /** nothing to do until `until` (epoch ms), or until a person acts when it is Infinity. */
  | { type: 'wait'; until: number };

export interface Advance {
  next: StageAttempt;
  effect: StageEffect;
}

/** advance moves an attempt on by one event at `now`; see the module comment. */
export function advance(rules: StageRules, stage: StageAttempt, event: StageEvent, now: number): Advance {
  if (event.type === 'evidence') return onEvidence(rules, stage, now);
  if (event.type === 'wake') {
    if (rules.hasCriteria && evaluationDue(stage.evaluation?.at, rules.intervalMs, now)) return { next: stage, effect: { type: 'evaluate' } };
    return decide(rules, stage, rules.hasCriteria ? stage.evaluation!.verdict : 'pass', now);
  }
  const next = event.evaluation ? { ...stage, evaluation: event.evaluation } : stage;
  return decide(rules, next, event.evaluation?.verdict ?? 'inconclusive', now);
}

/**
 * onEvidence answers fresh evidence: evaluate when the last evaluation is old enough, else what a
 * wake answers, with its wait ending no later than when the evaluation may run.
 */
function onEvidence(rules: StageRules, stage: StageAttempt, now: number): Advance {
  const woken = advance(rules, stage, { type: 'wake' }, now);
  if (!rules.hasCriteria || woken.effect.type !== 'wait') return woken;
  const evaluableAt = stage.evaluation === undefined ? now : stage.evaluation.at + evidenceDebounceMs(rules);
  if (evaluableAt <= now) return { next: stage, effect: { type: 'evaluate' } };
  return { next: stage, effect: { type: 'wait', until: Math.min(woken.effect.until, evaluableAt) } };
}

/** decide applies stageStep to the verdict at hand (the latest evaluation's, or a failed evaluation's inconclusive). */
function decide(rules: StageRules, stage: StageAttempt, verdict: Verdict, now: number): Advance {
  const maxAt = rules.maxMs === undefined ? undefined : stage.windowStartedAt + rules.maxMs;
  const step = stageStep({ verdict, state: stage.phase, minOver: now >= stage.minEndsAt, maxReached: maxAt !== undefined && now >= maxAt });
  switch (step) {
    case StageStep.fail:
      return { next: stage, effect: { type: 'fail', action: failureAction(rules.onFailure) } };
    case StageStep.holdInconclusive:
      return { next: stage, effect: { type: 'hold-inconclusive' } };
    case StageStep.awaitApproval:
      return { next: { ...stage, phase: 'awaiting-approval' }, effect: { type: 'await-approval' } };
    case StageStep.regress:
      return { next: { ...stage, phase: 'running' }, effect: { type: 'regress', verdict } };
    case StageStep.wait: {
      const until = stageWakeAt({
        now,
        hasCriteria: rules.hasCriteria,
        ...(stage.evaluation ? { lastEvaluatedAt: stage.evaluation.at } : {}),
        intervalMs: rules.intervalMs,
        minEndsAt: stage.minEndsAt,
        ...(maxAt !== undefined ? { maxAt } : {}),
        verdict,
      });
      return { next: stage, effect: { type: 'wait', until } };
    }
  }
}

/** failureAction reads onFailure: abort the rollout, roll back to an upstream stage, or hold the stage (the default). */
export function failureAction(onFailure: Stage['onFailure']): FailureAction {
  if (onFailure === 'abort') return { type: 'abort' };
  if (typeof onFailure === 'object') return { type: 'rollback', to: onFailure.rollback };
  return { type: 'hold' };
}
