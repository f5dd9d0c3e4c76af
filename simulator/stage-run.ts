import { formatDuration, parseDuration } from '../definitions/duration';
import type { Approval, Stage } from '../definitions/schema';
import { stageWaves } from '../definitions/sites';
import type { CriterionEvaluation, Verdict } from '../policy/criteria';
import { stageRules, type StageAttempt, type StageRules } from '../policy/stage-machine';
import { StageOutcome, type StageSummary } from './types';

/** A stage as the simulator runs it, and how the timeline words it. */

export type RunState = 'pending' | 'running' | 'awaiting-approval' | 'held' | 'passed' | 'aborted';

/** StageRun is a stage's simulated state; the times are epoch milliseconds. */
export interface StageRun {
  readonly def: Stage;
  readonly rules: StageRules;
  /** minMs is minDuration, or the steady-state horizon when that is longer: the simulator judges a steady-state stage from it. */
  readonly minMs: number;
  /** waves of a per-site stage (none for others); wave is the index of the one under way. */
  readonly waves: string[][];
  /** betweenWavesMs: the feedback cycle, then the wave sign-off. */
  readonly betweenWavesMs: number;
  wave: number;
  state: RunState;
  attempt: number;
  evaluations: number;
  windowStart: number;
  evaluation?: { at: number; verdict: Verdict; criteria: CriterionEvaluation[] };
  /** wakeAt, signOffAt and escalationAt are the stage's entries in the agenda. */
  wakeAt?: number;
  signOffAt?: number;
  escalationAt?: number;
  /** nextWaveAt: when the next wave starts, once the one before it passed. */
  nextWaveAt?: number;
  escalationsApplied: number;
  awaitingSince?: number;
  /** settledAt and why (without the verb: "signed off …") describe a passed, held or aborted stage. */
  settledAt?: number;
  why: string;
}

export const PERSON_DECIDES = 'a person must choose retry-window, rollback or abort';

/** newStageRun is a stage before the simulation starts it. */
export function newStageRun(def: Stage, start: number, signOffAfterMs: number): StageRun {
  return {
    def,
    rules: stageRules(def),
    minMs: Math.max(parseDuration(def.minDuration) ?? 0, parseDuration(def.steadyState?.horizon ?? '') ?? 0),
    waves: stageWaves(def) ?? [],
    betweenWavesMs: (parseDuration(def.forEach?.feedbackCycle ?? '') ?? 0) + signOffAfterMs,
    wave: 0,
    state: 'pending',
    attempt: 0,
    evaluations: 0,
    windowStart: start,
    escalationsApplied: 0,
    why: '',
  };
}

/** attemptOf is a running or awaiting stage as the stage machine sees it. */
export function attemptOf(run: StageRun): StageAttempt {
  return {
    phase: run.state === 'awaiting-approval' ? 'awaiting-approval' : 'running',
    windowStartedAt: run.windowStart,
    minEndsAt: run.windowStart + run.minMs,
    ...(run.evaluation ? { evaluation: { at: run.evaluation.at, verdict: run.evaluation.verdict } } : {}),
  };
}

/** summary is where a stage ended up, and why, for the result. */
export function summary(run: StageRun, runOf: ReadonlyMap<string, StageRun>): StageSummary {
  const base = { id: run.def.id, attempts: run.attempt, evaluations: run.evaluations };
  const outcome = outcomeOf(run);
  if (outcome === StageOutcome.pending) {
    const waiting = run.def.dependsOn.flatMap((dep) => {
      const upstream = runOf.get(dep);
      return upstream === undefined || upstream.state === 'passed' ? [] : [`${dep} (${outcomeOf(upstream)})`];
    });
    return { ...base, outcome, why: waiting.length > 0 ? `waits for ${waiting.join(', ')}` : 'not started' };
  }
  if (outcome !== StageOutcome.running) return { ...base, outcome, ...(run.settledAt !== undefined ? { at: run.settledAt } : {}), why: run.why };
  if (run.state === 'awaiting-approval') {
    return { ...base, outcome, at: run.awaitingSince ?? run.windowStart, why: `awaits sign-off by ${approvalsText(run.def.approvals)}` };
  }
  if (run.nextWaveAt !== undefined) {
    const why = `wave ${run.wave + 1} of ${run.waves.length} passed; the next starts after the feedback cycle and its sign-off`;
    return { ...base, outcome, at: run.windowStart, why };
  }
  const evaluation = run.evaluation;
  const why =
    evaluation === undefined || evaluation.verdict === 'pass'
      ? `runs out its minDuration ${run.def.minDuration}`
      : `criteria ${evaluation.verdict}: ${reasonsText(evaluation.criteria, evaluation.verdict)}`;
  return { ...base, outcome, at: run.windowStart, why };
}

/** outcomeOf names a stage's state as the summary does: a stage stopped by an escalation hold counts as held. */
function outcomeOf(run: StageRun): StageOutcome {
  if (run.state === 'running' || run.state === 'awaiting-approval') return run.settledAt !== undefined ? StageOutcome.held : StageOutcome.running;
  return run.state;
}

export function startedText(run: StageRun): string {
  const def = run.def;
  const runs = def.maxDuration === undefined ? `runs at least ${def.minDuration}` : `runs at least ${def.minDuration}, at most ${def.maxDuration}`;
  const waves = run.waves.length === 0 ? '' : ` per wave, in ${run.waves.length} wave${run.waves.length === 1 ? '' : 's'}`;
  const horizon = def.steadyState === undefined ? '' : `, judged from its horizon ${def.steadyState.horizon}`;
  const criteria = def.criteria.length === 0 ? 'no criteria' : `criteria every ${def.evaluationInterval}`;
  return `started (attempt ${run.attempt}): ${runs}${waves}${horizon}; ${criteria}`;
}

export function waveStartedText(run: StageRun): string {
  return `wave ${run.wave + 1} of ${run.waves.length} started: ${run.waves[run.wave]!.join(', ')}`;
}

export function wavePassedText(run: StageRun, why: string, signOffAfterMs: number): string {
  const forEach = run.def.forEach!;
  const feedback = forEach.feedbackCycle === undefined ? '' : `the ${forEach.feedbackCycle} feedback cycle and `;
  const signers = approvalsText(forEach.waveApprovals ?? run.def.approvals);
  return `wave ${run.wave + 1} of ${run.waves.length} passed: ${why}; wave ${run.wave + 2} starts after ${feedback}its sign-off by ${signers} (${formatDuration(signOffAfterMs)})`;
}

export function verdictText(verdict: Verdict, criteria: readonly CriterionEvaluation[]): string {
  return `criteria ${verdict}: ${criteria.map((c) => `${c.metric}: ${c.reason}`).join('; ')}`;
}

/** reasonsText lists the criteria with the given verdict, as `metric: reason`. */
export function reasonsText(criteria: readonly CriterionEvaluation[], verdict: Verdict): string {
  return criteria
    .filter((c) => c.verdict === verdict)
    .map((c) => `${c.metric}: ${c.reason}`)
    .join('; ');
}

export function approvalsText(approvals: readonly Approval[]): string {
  return approvals.map(({ role, count }) => (count > 1 ? `${count} × ${role}` : role)).join(', ');
}
