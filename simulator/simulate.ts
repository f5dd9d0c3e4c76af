import { formatDuration, parseDuration } from '../definitions/duration';
import { readyStages } from '../definitions/graph';
import type { Approval, Plan, Stage } from '../definitions/schema';
import { stageWaves } from '../definitions/sites';
import { criterionWindows, isoWindow, judgeStage, type CriterionEvaluation, type CriterionObservation, type Observation, type TimeWindow, type Verdict } from '../policy/criteria';
import { evaluationDue, failingReason, rollbackScope, stageStep, StageStep, stageWakeAt } from '../policy/stage-policy';

/**
 * The rollout simulator behind `rollgate simulate`: it runs a plan's stage graph over a metric
 * scenario on a virtual clock, with the policies the rollout workflow uses (graph readiness,
 * the criteria evaluator with its consecutive runs and baselines, maxDuration, onFailure and
 * escalation chains), and tells when each stage would start, await sign-off, pass, fail or be
 * held, and why.
 *
 * Pure and deterministic, like the workflow code around it. What it assumes in place of
 * people: readiness prerequisites are signed before the rollout starts; every sign-off is
 * given `signOffAfterMs` after a stage starts awaiting it, and nobody rejects, pauses or
 * resumes. A hold is where the simulation of that stage (or, for an escalation hold, of the
 * whole rollout) stops, because what follows is a person's choice. A per-site (`forEach`)
 * stage runs its waves one after the other, each for minDuration and signed off like a stage,
 * with the feedback cycle and a wave sign-off between them; its sites are not told apart,
 * neither in the evidence nor in failures. A steady-state stage passes when its criteria pass
 * at or after its horizon, without a final sign-off; its reviews and reminders are not simulated.
 *
 * Built-in metrics derived from recommendations and feedback (precision, override-rate, …)
 * cannot be derived from plain samples: a criterion on one reads the scenario's samples of
 * that name, like any catalog metric.
 */

const DAY_MS = 86_400_000;

/** DEFAULT_SIGN_OFF_AFTER_MS: sign-off arrives a day after a stage starts awaiting it. */
export const DEFAULT_SIGN_OFF_AFTER_MS = DAY_MS;
/** DEFAULT_HORIZON_MS: the simulation looks 730 days (two years) ahead of the start. */
export const DEFAULT_HORIZON_MS = 730 * DAY_MS;
/** MAX_REENTRIES: how often onFailure may roll back into the same stage before the simulation holds instead. */
const MAX_REENTRIES = 3;
/** MAX_EVALUATIONS: a guard against plans whose evaluationInterval is tiny for the horizon (e.g. 1s over two years). */
const MAX_EVALUATIONS = 1_000_000;

export interface ScenarioSample {
  metric: string;
  value: number;
  /** at is when the sample was observed, epoch milliseconds. */
  at: number;
}

/** Scenario is the evidence a simulation reads: metric samples, sorted by time (samples of one metric out of order are sorted). */
export interface Scenario {
  samples: ScenarioSample[];
}

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

// ── Evidence: an in-memory equivalent of db/evidence.ts windowObservations ──────────────

/** SampleIndex answers window aggregates over a scenario's samples. */
export interface SampleIndex {
  /**
   * observe is the mean of `metric`'s samples observed in [from, to) and how many there are;
   * `{ value: null, samples: 0 }` without any. O(log n): running sums, kept in two parts
   * (value and rounding error), so that a window's sum does not drift however many samples
   * come before it. The mean is rounded to 12 significant digits, as PostgreSQL's exact
   * numeric mean of decimal values would come out, so that 0.95 averages to 0.95.
   */
  observe(metric: string, window: TimeWindow): Observation;
}

interface MetricSeries {
  times: number[];
  /** sums[i] + errors[i] is the sum of the first i values. */
  sums: number[];
  errors: number[];
}

/** indexSamples builds a SampleIndex; samples whose value or time is not a finite number are left out. */
export function indexSamples(samples: readonly ScenarioSample[]): SampleIndex {
  const byMetric = new Map<string, ScenarioSample[]>();
  for (const sample of samples) {
    if (!Number.isFinite(sample.value) || !Number.isFinite(sample.at)) continue;
    let list = byMetric.get(sample.metric);
    if (list === undefined) byMetric.set(sample.metric, (list = []));
    list.push(sample);
  }
  const series = new Map<string, MetricSeries>();
  for (const [metric, list] of byMetric) {
    if (!isSorted(list)) list.sort((a, b) => a.at - b.at);
    const times = list.map((sample) => sample.at);
    const sums = [0];
    const errors = [0];
    list.forEach((sample, i) => {
      // TwoSum: s is the rounded sum, e exactly what rounding lost.
      const a = sums[i]!;
      const b = sample.value;
      const s = a + b;
      const bVirtual = s - a;
      const e = a - (s - bVirtual) + (b - bVirtual);
      sums.push(s);
      errors.push(errors[i]! + e);
    });
    series.set(metric, { times, sums, errors });
  }
  return {
    observe(metric, window) {
      const found = series.get(metric);
      if (found === undefined) return { value: null, samples: 0 };
      const from = lowerBound(found.times, window.from);
      const to = lowerBound(found.times, window.to);
      const count = to - from;
      if (count <= 0) return { value: null, samples: 0 };
      const sum = found.sums[to]! - found.sums[from]! + (found.errors[to]! - found.errors[from]!);
      return { value: Number((sum / count).toPrecision(12)), samples: count };
    },
  };
}

function isSorted(list: readonly ScenarioSample[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i]!.at < list[i - 1]!.at) return false;
  return true;
}

/** lowerBound is the first index whose time is >= t. */
function lowerBound(times: readonly number[], t: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! < t) low = mid + 1;
    else high = mid;
  }
  return low;
}

// ── The simulation ──────────────────────────────────────────────────────────────────────

type RunState = 'pending' | 'running' | 'awaiting-approval' | 'held' | 'passed' | 'aborted';

/** StageRun is a stage's simulated state; the times are epoch milliseconds. */
interface StageRun {
  readonly def: Stage;
  readonly intervalMs: number;
  readonly minMs: number;
  readonly maxMs: number | undefined;
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

/** At the same moment a sign-off comes before an escalation step, and both before a wake-up; then plan order. */
const AGENDA_ORDER = { signOff: 0, escalation: 1, wave: 2, wake: 3 } as const;
type AgendaKind = keyof typeof AGENDA_ORDER;

const PERSON_DECIDES = 'a person must choose retry-window, rollback or abort';

/**
 * simulate runs `plan` over `scenario` from options.start to the horizon. The clock jumps from
 * one agenda entry to the next: a stage's wake-up (an evaluation every evaluationInterval from
 * the start of its attempt, the end of minDuration, maxDuration), a sign-off arriving, an
 * escalation step coming due. Each entry costs O(active stages + log samples), so months of
 * hourly evaluations stay fast.
 */
export function simulate(plan: Plan, scenario: Scenario, options: SimulationOptions): SimulationResult {
  const start = options.start;
  const signOffAfterMs = options.signOffAfterMs ?? DEFAULT_SIGN_OFF_AFTER_MS;
  const until = options.untilMs ?? start + DEFAULT_HORIZON_MS;
  const maxReentries = options.maxReentries ?? MAX_REENTRIES;
  const maxEvaluations = options.maxEvaluations ?? MAX_EVALUATIONS;
  const evidence = indexSamples(scenario.samples);

  const runs = plan.stages.map(
    (def): StageRun => ({
      def,
      intervalMs: parseDuration(def.evaluationInterval) ?? DAY_MS,
      minMs: Math.max(parseDuration(def.minDuration) ?? 0, parseDuration(def.steadyState?.horizon ?? '') ?? 0),
      maxMs: def.maxDuration === undefined ? undefined : parseDuration(def.maxDuration),
      waves: stageWaves(def) ?? [],
      betweenWavesMs: (parseDuration(def.forEach?.feedbackCycle ?? '') ?? 0) + signOffAfterMs,
      wave: 0,
      state: 'pending',
      attempt: 0,
      evaluations: 0,
      windowStart: start,
      escalationsApplied: 0,
      why: '',
    }),
  );
  const runOf = new Map(runs.map((run) => [run.def.id, run]));
  const events: SimulationEvent[] = [];
  const reentries = new Map<string, number>();
  let evaluations = 0;
  let now = start;
  let outcome: RolloutOutcome | undefined;
  let finishedAt: number | undefined;

  const emit = (type: SimulationEventType, detail: string, stageId?: string): void => {
    events.push({ at: now, ...(stageId !== undefined ? { stageId } : {}), type, detail });
  };
  const idsIn = (...states: RunState[]): Set<string> => new Set(runs.filter((run) => states.includes(run.state)).map((run) => run.def.id));
  const active = (run: StageRun): boolean => run.state === 'running' || run.state === 'awaiting-approval';
  const unschedule = (run: StageRun): void => {
    delete run.wakeAt;
    delete run.signOffAt;
    delete run.escalationAt;
    delete run.nextWaveAt;
  };

  const startReady = (): void => {
    const passed = idsIn('passed');
    const started = new Set(runs.filter((run) => run.state !== 'pending').map((run) => run.def.id));
    for (const id of readyStages(plan.stages, passed, started)) {
      const run = runOf.get(id)!;
      run.state = 'running';
      run.attempt += 1;
      run.wave = 0;
      startAttemptWindow(run);
      emit(SimulationEventType.stageStarted, startedText(run), id);
      if (run.waves.length > 0) emit(SimulationEventType.waveStarted, waveStartedText(run), id);
    }
  };

  /** startAttemptWindow starts the evidence window and minimum duration of an attempt or a wave. */
  const startAttemptWindow = (run: StageRun): void => {
    run.windowStart = now;
    run.wakeAt = now;
    run.escalationsApplied = 0;
    delete run.evaluation;
    delete run.awaitingSince;
  };

  const startNextWave = (run: StageRun): void => {
    delete run.nextWaveAt;
    run.wave += 1;
    startAttemptWindow(run);
    emit(SimulationEventType.waveStarted, waveStartedText(run), run.def.id);
  };

  const holdStage = (run: StageRun, reason: string): void => {
    run.state = 'held';
    unschedule(run);
    run.settledAt = now;
    run.why = `${reason}; ${PERSON_DECIDES}`;
    emit(SimulationEventType.stageHeld, `held: ${run.why}`, run.def.id);
  };

  const abortRollout = (reason: string, stageId: string): void => {
    emit(SimulationEventType.rolloutAborted, `aborted: ${reason}`, stageId);
    for (const run of runs) {
      if (run.state === 'passed') continue;
      unschedule(run);
      run.state = 'aborted';
      run.settledAt = now;
      run.why = `the rollout is aborted: ${reason}`;
    }
    outcome = 'aborted';
  };

  const rollback = (from: StageRun, target: string, reason: string): void => {
    const done = reentries.get(target) ?? 0;
    if (done >= maxReentries) {
      holdStage(from, `criteria failed (${reason}); onFailure rolls back to ${target}, re-entered ${done === 1 ? 'once' : `${done} times`} already, so the simulation stops the loop here`);
      return;
    }
    reentries.set(target, done + 1);
    const started = new Set(runs.filter((run) => run.state !== 'pending').map((run) => run.def.id));
    const affected = rollbackScope(plan.stages, target, started);
    for (const id of affected) {
      const run = runOf.get(id)!;
      unschedule(run);
      run.state = 'pending';
      delete run.evaluation;
      delete run.awaitingSince;
      delete run.settledAt;
    }
    emit(
      SimulationEventType.stageRolledBack,
      `rolled back: ${from.def.id} failed (${reason}); re-entering ${target} (rollback ${done + 1} of at most ${maxReentries}); back to pending: ${affected.join(', ')}`,
      target,
    );
    startReady();
  };

  const fail = (run: StageRun, reason: string): void => {
    const policy = run.def.onFailure;
    if (policy === 'abort') abortRollout(`stage ${run.def.id} failed (${reason}) and its onFailure is abort`, run.def.id);
    else if (typeof policy === 'object') rollback(run, policy.rollback, reason);
    else holdStage(run, `criteria failed: ${reason}`);
  };

  const evaluate = (run: StageRun): boolean => {
    const criteria = run.def.criteria;
    const observations = criteria.flatMap((criterion, index): CriterionObservation[] => {
      const windows = criterionWindows(criterion, run.windowStart, now);
      if (windows === undefined) return [];
      const observed: CriterionObservation = {
        index,
        metric: criterion.metric,
        window: isoWindow(windows.window),
        observation: evidence.observe(criterion.metric, windows.window),
      };
      if (windows.baseline !== undefined) {
        observed.baselineWindow = isoWindow(windows.baseline);
        observed.baseline = evidence.observe(criterion.metric, windows.baseline);
      }
      return [observed];
    });
    const previous = run.evaluation;
    const judged = judgeStage(criteria, observations, plan.metrics, previous?.criteria.map((c) => c.consecutivePasses) ?? []);
    run.evaluation = { at: now, verdict: judged.verdict, criteria: judged.criteria };
    run.evaluations += 1;
    evaluations += 1;
    return judged.verdict !== previous?.verdict;
  };

  const wake = (run: StageRun): void => {
    const hasCriteria = run.def.criteria.length > 0;
    const changed = hasCriteria && evaluationDue(run.evaluation?.at, run.intervalMs, now) ? evaluate(run) : false;
    const verdict: Verdict = hasCriteria ? run.evaluation!.verdict : 'pass';
    const minEndsAt = run.windowStart + run.minMs;
    const maxAt = run.maxMs === undefined ? undefined : run.windowStart + run.maxMs;
    const state = run.state === 'awaiting-approval' ? 'awaiting-approval' : 'running';
    const step = stageStep({ verdict, state, minOver: now >= minEndsAt, maxReached: maxAt !== undefined && now >= maxAt });
    if (changed) {
      const back = step === StageStep.regress ? '; back to running until they pass again' : '';
      emit(SimulationEventType.stageEvaluated, `${verdictText(run.evaluation!.verdict, run.evaluation!.criteria)}${back}`, run.def.id);
    }
    switch (step) {
      case StageStep.fail:
        fail(run, failingReason(run.evaluation?.criteria ?? []));
        return;
      case StageStep.holdInconclusive:
        holdStage(run, `criteria are still inconclusive after maxDuration ${run.def.maxDuration} (${reasonsText(run.evaluation?.criteria ?? [], 'inconclusive')})`);
        return;
      case StageStep.awaitApproval: {
        if (run.def.steadyState !== undefined) {
          pass(run, `its criteria pass at or after the horizon ${run.def.steadyState.horizon}`);
          return;
        }
        run.state = 'awaiting-approval';
        run.awaitingSince = now;
        run.signOffAt = now + signOffAfterMs;
        scheduleEscalation(run);
        const why = hasCriteria ? `criteria pass and minDuration ${run.def.minDuration} is over` : `minDuration ${run.def.minDuration} is over`;
        emit(SimulationEventType.stageAwaitingApproval, `awaits sign-off by ${approvalsText(run.def.approvals)} (${why})`, run.def.id);
        break;
      }
      case StageStep.regress:
        run.state = 'running';
        delete run.signOffAt;
        delete run.escalationAt;
        delete run.awaitingSince;
        break;
      case StageStep.wait:
        break;
    }
    const next = stageWakeAt({ now, hasCriteria, lastEvaluatedAt: run.evaluation?.at, intervalMs: run.intervalMs, minEndsAt, maxAt, verdict });
    if (next === Infinity) delete run.wakeAt;
    else run.wakeAt = next;
  };

  /** scheduleEscalation puts the stage's next escalation step, counted from awaitingSince, on the agenda. */
  const scheduleEscalation = (run: StageRun): void => {
    const step = run.def.escalation[run.escalationsApplied];
    const after = step === undefined ? undefined : parseDuration(step.after);
    if (after === undefined || run.awaitingSince === undefined) delete run.escalationAt;
    else run.escalationAt = run.awaitingSince + after;
  };

  const escalate = (run: StageRun): void => {
    const step = run.def.escalation[run.escalationsApplied]!;
    run.escalationsApplied += 1;
    const why = `sign-off of stage ${run.def.id} is not complete after ${step.after}`;
    if (step.action === 'escalate') {
      emit(SimulationEventType.stageEscalated, `escalated to ${step.to}: ${why}`, run.def.id);
      scheduleEscalation(run);
    } else if (step.action === 'hold') {
      unschedule(run);
      run.settledAt = now;
      run.why = `awaits sign-off, and the rollout is held: ${why}; a person must resume or abort the rollout`;
      emit(SimulationEventType.rolloutHeld, `held: ${why}; a person must resume or abort the rollout`, run.def.id);
      outcome = 'held';
    } else {
      abortRollout(why, run.def.id);
    }
  };

  const signOff = (run: StageRun): void => {
    const again = run.attempt > 1 ? ` (attempt ${run.attempt})` : '';
    const why = `signed off ${formatDuration(signOffAfterMs)} after it was asked for${again}`;
    if (run.wave + 1 >= run.waves.length) {
      pass(run, why);
      return;
    }
    unschedule(run);
    run.state = 'running';
    delete run.awaitingSince;
    run.nextWaveAt = now + run.betweenWavesMs;
    emit(SimulationEventType.wavePassed, wavePassedText(run, why, signOffAfterMs), run.def.id);
  };

  const pass = (run: StageRun, why: string): void => {
    unschedule(run);
    run.state = 'passed';
    run.settledAt = now;
    run.why = why;
    emit(SimulationEventType.stagePassed, `passed: ${run.why}`, run.def.id);
    if (runs.every((r) => r.state === 'passed')) {
      emit(SimulationEventType.rolloutCompleted, 'completed: every stage passed');
      finishedAt = now;
      outcome = 'completed';
      return;
    }
    startReady();
  };

  /** nextEntry is the earliest agenda entry of the active stages. */
  const nextEntry = (): { at: number; kind: AgendaKind; run: StageRun } | undefined => {
    let best: { at: number; kind: AgendaKind; run: StageRun } | undefined;
    for (const run of runs) {
      if (!active(run)) continue;
      const entries: Array<[number | undefined, AgendaKind]> = [
        [run.signOffAt, 'signOff'],
        [run.escalationAt, 'escalation'],
        [run.nextWaveAt, 'wave'],
        [run.wakeAt, 'wake'],
      ];
      for (const [at, kind] of entries) {
        if (at === undefined) continue;
        if (best === undefined || at < best.at || (at === best.at && AGENDA_ORDER[kind] < AGENDA_ORDER[best.kind])) best = { at, kind, run };
      }
    }
    return best;
  };

  startReady();
  while (outcome === undefined) {
    const entry = nextEntry();
    if (entry === undefined) {
      const held = runs.filter((run) => run.state === 'held').map((run) => run.def.id);
      const stuck = held.length > 0 ? `stage ${held.join(', ')} ${held.length === 1 ? 'is' : 'are'} held` : 'no stage can start';
      emit(SimulationEventType.rolloutHeld, `held: nothing more happens without a person: ${stuck}`);
      outcome = 'held';
      break;
    }
    if (entry.at > until || evaluations >= maxEvaluations) {
      // The evaluation guard stops where it is; the horizon is a moment of its own.
      const limit = entry.at > until ? 'the horizon is reached' : `stopped after ${evaluations} evaluations, the most one simulation runs`;
      if (entry.at > until) now = until;
      const underway = runs.filter(active).map((run) => `${run.def.id} (${run.state === 'awaiting-approval' ? 'awaiting sign-off' : 'running'})`);
      emit(SimulationEventType.horizon, `${limit}; still under way: ${underway.join(', ')}`);
      outcome = 'horizon';
      break;
    }
    now = entry.at;
    if (entry.kind === 'signOff') signOff(entry.run);
    else if (entry.kind === 'escalation') escalate(entry.run);
    else if (entry.kind === 'wave') startNextWave(entry.run);
    else wake(entry.run);
  }

  return {
    start,
    until,
    signOffAfterMs,
    outcome: outcome ?? 'held',
    events,
    stages: runs.map((run) => summary(run, runOf)),
    evaluations,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
}

function summary(run: StageRun, runOf: ReadonlyMap<string, StageRun>): StageSummary {
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

function startedText(run: StageRun): string {
  const def = run.def;
  const runs = def.maxDuration === undefined ? `runs at least ${def.minDuration}` : `runs at least ${def.minDuration}, at most ${def.maxDuration}`;
  const waves = run.waves.length === 0 ? '' : ` per wave, in ${run.waves.length} wave${run.waves.length === 1 ? '' : 's'}`;
  const horizon = def.steadyState === undefined ? '' : `, judged from its horizon ${def.steadyState.horizon}`;
  const criteria = def.criteria.length === 0 ? 'no criteria' : `criteria every ${def.evaluationInterval}`;
  return `started (attempt ${run.attempt}): ${runs}${waves}${horizon}; ${criteria}`;
}

function waveStartedText(run: StageRun): string {
  return `wave ${run.wave + 1} of ${run.waves.length} started: ${run.waves[run.wave]!.join(', ')}`;
}

function wavePassedText(run: StageRun, why: string, signOffAfterMs: number): string {
  const forEach = run.def.forEach!;
  const feedback = forEach.feedbackCycle === undefined ? '' : `the ${forEach.feedbackCycle} feedback cycle and `;
  const signers = approvalsText(forEach.waveApprovals ?? run.def.approvals);
  return `wave ${run.wave + 1} of ${run.waves.length} passed: ${why}; wave ${run.wave + 2} starts after ${feedback}its sign-off by ${signers} (${formatDuration(signOffAfterMs)})`;
}

function verdictText(verdict: Verdict, criteria: readonly CriterionEvaluation[]): string {
  return `criteria ${verdict}: ${criteria.map((c) => `${c.metric}: ${c.reason}`).join('; ')}`;
}

/** reasonsText lists the criteria with the given verdict, as `metric: reason`. */
function reasonsText(criteria: readonly CriterionEvaluation[], verdict: Verdict): string {
  return criteria
    .filter((c) => c.verdict === verdict)
    .map((c) => `${c.metric}: ${c.reason}`)
    .join('; ');
}

function approvalsText(approvals: readonly Approval[]): string {
  return approvals.map(({ role, count }) => (count > 1 ? `${count} × ${role}` : role)).join(', ');
}
