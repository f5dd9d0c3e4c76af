import { formatDuration, parseDuration } from '../definitions/duration';
import { readyStages } from '../definitions/graph';
import type { Plan } from '../definitions/schema';
import { judgeStage, type Verdict } from '../policy/criteria';
import { criterionReadings, observeCriteria } from '../policy/evidence-reader';
import { advance, type FailureAction, type StageEvent } from '../policy/stage-machine';
import { failingReason, rollbackScope } from '../policy/stage-policy';
import { indexSamples, type SampleIndex, type Scenario } from './samples';
import { qualityObservation } from './data-quality';
import { dataQualityCheck } from '../definitions/data-quality';
import {
  approvalsText,
  attemptOf,
  newStageRun,
  PERSON_DECIDES,
  reasonsText,
  startedText,
  summary,
  verdictText,
  wavePassedText,
  waveStartedText,
  type RunState,
  type StageRun,
} from './stage-run';
import {
  DEFAULT_HORIZON_MS,
  DEFAULT_SIGN_OFF_AFTER_MS,
  MAX_EVALUATIONS,
  MAX_REENTRIES,
  SimulationEventType,
  type RolloutOutcome,
  type SimulationEvent,
  type SimulationOptions,
  type SimulationResult,
} from './types';

export { DEFAULT_HORIZON_MS, DEFAULT_SIGN_OFF_AFTER_MS, SimulationEventType, StageOutcome } from './types';
export type { RolloutOutcome, SimulationEvent, SimulationOptions, SimulationResult, StageSummary } from './types';
export { indexSamples, type SampleIndex, type Scenario, type ScenarioSample } from './samples';

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
 *
 * A thin driver of the stage machine (policy/stage-machine.ts), as the rollout workflow's stage
 * runner is: the machine decides what a stage under way does next, this file turns its effects
 * into the timeline and the agenda. What only the simulator does, because it stands in for
 * people: sign-off after `signOffAfterMs`, and the rollback-loop cap (`maxReentries`). With fixed
 * evidence an onFailure rollback whose stages fail again would loop for ever; in a rollout each
 * loop takes real time, is recorded (stage.rolling-back, stage.rolled-back) and notified, and a
 * person stops it by aborting, so the workflow has no cap and the simulator holds where a person
 * would step in.
 */

/** At the same moment a sign-off comes before an escalation step, and both before a wake-up; then plan order. */
const AGENDA_ORDER = { signOff: 0, escalation: 1, wave: 2, wake: 3 } as const;
type AgendaKind = keyof typeof AGENDA_ORDER;
interface AgendaEntry {
  at: number;
  kind: AgendaKind;
  run: StageRun;
}

const WAKE: StageEvent = { type: 'wake' };

/**
 * simulate runs `plan` over `scenario` from options.start to the horizon. The clock jumps from
 * one agenda entry to the next: a stage's wake-up (an evaluation every evaluationInterval from
 * the start of its attempt, the end of minDuration, maxDuration), a sign-off arriving, an
 * escalation step coming due. Each entry costs O(active stages + log samples), so months of
 * hourly evaluations stay fast.
 */
export function simulate(plan: Plan, scenario: Scenario, options: SimulationOptions): SimulationResult {
  return new Simulation(plan, indexSamples(scenario.samples), options).run();
}

class Simulation {
  private readonly start: number;
  private readonly signOffAfterMs: number;
  private readonly until: number;
  private readonly maxReentries: number;
  private readonly maxEvaluations: number;
  private readonly runs: StageRun[];
  private readonly runOf: Map<string, StageRun>;
  private readonly events: SimulationEvent[] = [];
  private readonly reentries = new Map<string, number>();
  private evaluations = 0;
  private now: number;
  private outcome: RolloutOutcome | undefined;
  private finishedAt: number | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly evidence: SampleIndex,
    options: SimulationOptions,
  ) {
    this.start = options.start;
    this.now = options.start;
    this.signOffAfterMs = options.signOffAfterMs ?? DEFAULT_SIGN_OFF_AFTER_MS;
    this.until = options.untilMs ?? this.start + DEFAULT_HORIZON_MS;
    this.maxReentries = options.maxReentries ?? MAX_REENTRIES;
    this.maxEvaluations = options.maxEvaluations ?? MAX_EVALUATIONS;
    this.runs = plan.stages.map((def) => newStageRun(def, this.start, this.signOffAfterMs));
    this.runOf = new Map(this.runs.map((run) => [run.def.id, run]));
  }

  run(): SimulationResult {
    this.startReady();
    while (this.outcome === undefined) this.step();
    return {
      start: this.start,
      until: this.until,
      signOffAfterMs: this.signOffAfterMs,
      outcome: this.outcome,
      events: this.events,
      stages: this.runs.map((run) => summary(run, this.runOf)),
      evaluations: this.evaluations,
      ...(this.finishedAt !== undefined ? { finishedAt: this.finishedAt } : {}),
    };
  }

  /** step takes the next agenda entry, or ends the simulation when nothing more happens before the horizon. */
  private step(): void {
    const entry = this.nextEntry();
    if (entry === undefined) {
      const held = this.runs.filter((run) => run.state === 'held').map((run) => run.def.id);
      const stuck = held.length > 0 ? `stage ${held.join(', ')} ${held.length === 1 ? 'is' : 'are'} held` : 'no stage can start';
      this.emit(SimulationEventType.rolloutHeld, `held: nothing more happens without a person: ${stuck}`);
      this.outcome = 'held';
      return;
    }
    if (entry.at > this.until || this.evaluations >= this.maxEvaluations) {
      // The evaluation guard stops where it is; the horizon is a moment of its own.
      const limit = entry.at > this.until ? 'the horizon is reached' : `stopped after ${this.evaluations} evaluations, the most one simulation runs`;
      if (entry.at > this.until) this.now = this.until;
      const underway = this.runs.filter(active).map((run) => `${run.def.id} (${run.state === 'awaiting-approval' ? 'awaiting sign-off' : 'running'})`);
      this.emit(SimulationEventType.horizon, `${limit}; still under way: ${underway.join(', ')}`);
      this.outcome = 'horizon';
      return;
    }
    this.now = entry.at;
    if (entry.kind === 'signOff') this.signOff(entry.run);
    else if (entry.kind === 'escalation') this.escalate(entry.run);
    else if (entry.kind === 'wave') this.startNextWave(entry.run);
    else this.wake(entry.run);
  }

  /** nextEntry is the earliest agenda entry of the active stages. */
  private nextEntry(): AgendaEntry | undefined {
    let best: AgendaEntry | undefined;
    for (const run of this.runs) {
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
  }

  /**
   * wake is the stage machine's loop for one stage at this moment: it carries out the effects
   * until the stage waits or settles. An evaluation whose verdict changed shows in the timeline,
   * with what it leads to when that is a return to running.
   */
  private wake(run: StageRun): void {
    let event: StageEvent = WAKE;
    let changed = false;
    for (;;) {
      const { next, effect } = advance(run.rules, attemptOf(run), event, this.now);
      event = WAKE;
      if (changed) {
        const back = effect.type === 'regress' ? '; back to running until they pass again' : '';
        this.emit(SimulationEventType.stageEvaluated, `${verdictText(run.evaluation!.verdict, run.evaluation!.criteria)}${back}`, run.def.id);
        changed = false;
      }
      switch (effect.type) {
        case 'evaluate': {
          const previous = run.evaluation?.verdict;
          const evaluation = this.evaluate(run);
          changed = evaluation.verdict !== previous;
          event = { type: 'evaluated', evaluation };
          continue;
        }
        case 'fail':
          this.fail(run, effect.action, failingReason(run.evaluation?.criteria ?? []));
          return;
        case 'hold-inconclusive':
          this.holdStage(run, `criteria are still inconclusive after maxDuration ${run.def.maxDuration} (${reasonsText(run.evaluation?.criteria ?? [], 'inconclusive')})`);
          return;
        case 'await-approval':
          if (run.def.steadyState !== undefined) {
            this.pass(run, `its criteria pass at or after the horizon ${run.def.steadyState.horizon}`);
            return;
          }
          this.awaitSignOff(run, next.phase);
          continue;
        case 'regress':
          run.state = next.phase;
          delete run.signOffAt;
          delete run.escalationAt;
          delete run.awaitingSince;
          continue;
        case 'wait':
          if (effect.until === Infinity) delete run.wakeAt;
          else run.wakeAt = effect.until;
          return;
      }
    }
  }

  /** evaluate judges the stage's criteria on the scenario's evidence at this moment. */
  private evaluate(run: StageRun): { at: number; verdict: Verdict } {
    // A wave of a per-site stage over sites compares with the wave before it (control: { wave: previous }).
    const previousWave = run.def.forEach?.over === 'lines' ? [] : (run.waves[run.wave - 1] ?? []);
    const { readings } = criterionReadings(run.def.criteria, run.windowStart, this.now, previousWave);
    const observations = observeCriteria(readings, this.evidence).map((observed) => {
      const criterion = run.def.criteria[observed.index]!;
      if (dataQualityCheck(criterion) === undefined) return observed;
      const window = { from: Date.parse(observed.window.from), to: Date.parse(observed.window.to) };
      return { ...observed, quality: qualityObservation(this.evidence, criterion, window, this.plan.metrics) };
    });
    const previous = run.evaluation?.criteria.map((c) => c.consecutivePasses) ?? [];
    const looks = run.evaluation?.criteria.map((c) => c.comparison?.look ?? 0) ?? [];
    const judged = judgeStage(run.def.criteria, observations, this.plan.metrics, previous, looks);
    run.evaluation = { at: this.now, verdict: judged.verdict, criteria: judged.criteria };
    run.evaluations += 1;
    this.evaluations += 1;
    return { at: this.now, verdict: judged.verdict };
  }

  /** awaitSignOff starts the sign-off wait the stage machine moved the stage to; the sign-off comes signOffAfterMs later. */
  private awaitSignOff(run: StageRun, phase: RunState): void {
    run.state = phase;
    run.awaitingSince = this.now;
    run.signOffAt = this.now + this.signOffAfterMs;
    this.scheduleEscalation(run);
    const why = run.rules.hasCriteria ? `criteria pass and minDuration ${run.def.minDuration} is over` : `minDuration ${run.def.minDuration} is over`;
    this.emit(SimulationEventType.stageAwaitingApproval, `awaits sign-off by ${approvalsText(run.def.approvals)} (${why})`, run.def.id);
  }

  /** fail applies the stage's onFailure as the stage machine reads it. */
  private fail(run: StageRun, action: FailureAction, reason: string): void {
    if (action.type === 'abort') this.abortRollout(`stage ${run.def.id} failed (${reason}) and its onFailure is abort`, run.def.id);
    else if (action.type === 'rollback') this.rollback(run, action.to, reason);
    else this.holdStage(run, `criteria failed: ${reason}`);
  }

  private startReady(): void {
    const passed = this.idsIn('passed');
    const started = new Set(this.runs.filter((run) => run.state !== 'pending').map((run) => run.def.id));
    for (const id of readyStages(this.plan.stages, passed, started)) {
      const run = this.runOf.get(id)!;
      run.state = 'running';
      run.attempt += 1;
      run.wave = 0;
      this.startAttemptWindow(run);
      this.emit(SimulationEventType.stageStarted, startedText(run), id);
      if (run.waves.length > 0) this.emit(SimulationEventType.waveStarted, waveStartedText(run), id);
    }
  }

  /** startAttemptWindow starts the evidence window and minimum duration of an attempt or a wave. */
  private startAttemptWindow(run: StageRun): void {
    run.windowStart = this.now;
    run.wakeAt = this.now;
    run.escalationsApplied = 0;
    delete run.evaluation;
    delete run.awaitingSince;
  }

  private startNextWave(run: StageRun): void {
    delete run.nextWaveAt;
    run.wave += 1;
    this.startAttemptWindow(run);
    this.emit(SimulationEventType.waveStarted, waveStartedText(run), run.def.id);
  }

  private holdStage(run: StageRun, reason: string): void {
    run.state = 'held';
    unschedule(run);
    run.settledAt = this.now;
    run.why = `${reason}; ${PERSON_DECIDES}`;
    this.emit(SimulationEventType.stageHeld, `held: ${run.why}`, run.def.id);
  }

  private abortRollout(reason: string, stageId: string): void {
    this.emit(SimulationEventType.rolloutAborted, `aborted: ${reason}`, stageId);
    for (const run of this.runs) {
      if (run.state === 'passed') continue;
      unschedule(run);
      run.state = 'aborted';
      run.settledAt = this.now;
      run.why = `the rollout is aborted: ${reason}`;
    }
    this.outcome = 'aborted';
  }

  /** rollback re-enters target, as the workflow does, unless it has been re-entered maxReentries times: then the failing stage holds. */
  private rollback(from: StageRun, target: string, reason: string): void {
    const done = this.reentries.get(target) ?? 0;
    if (done >= this.maxReentries) {
      const times = done === 1 ? 'once' : `${done} times`;
      this.holdStage(from, `criteria failed (${reason}); onFailure rolls back to ${target}, re-entered ${times} already, so the simulation stops the loop here`);
      return;
    }
    this.reentries.set(target, done + 1);
    const started = new Set(this.runs.filter((run) => run.state !== 'pending').map((run) => run.def.id));
    const affected = rollbackScope(this.plan.stages, target, started);
    for (const id of affected) {
      const run = this.runOf.get(id)!;
      unschedule(run);
      run.state = 'pending';
      delete run.evaluation;
      delete run.awaitingSince;
      delete run.settledAt;
    }
    this.emit(
      SimulationEventType.stageRolledBack,
      `rolled back: ${from.def.id} failed (${reason}); re-entering ${target} (rollback ${done + 1} of at most ${this.maxReentries}); back to pending: ${affected.join(', ')}`,
      target,
    );
    this.startReady();
  }

  /** scheduleEscalation puts the stage's next escalation step, counted from awaitingSince, on the agenda. */
  private scheduleEscalation(run: StageRun): void {
    const step = run.def.escalation[run.escalationsApplied];
    const after = step === undefined ? undefined : parseDuration(step.after);
    if (after === undefined || run.awaitingSince === undefined) delete run.escalationAt;
    else run.escalationAt = run.awaitingSince + after;
  }

  private escalate(run: StageRun): void {
    const step = run.def.escalation[run.escalationsApplied]!;
    run.escalationsApplied += 1;
    const why = `sign-off of stage ${run.def.id} is not complete after ${step.after}`;
    if (step.action === 'escalate') {
      this.emit(SimulationEventType.stageEscalated, `escalated to ${step.to}: ${why}`, run.def.id);
      this.scheduleEscalation(run);
    } else if (step.action === 'hold') {
      unschedule(run);
      run.settledAt = this.now;
      run.why = `awaits sign-off, and the rollout is held: ${why}; a person must resume or abort the rollout`;
      this.emit(SimulationEventType.rolloutHeld, `held: ${why}; a person must resume or abort the rollout`, run.def.id);
      this.outcome = 'held';
    } else {
      this.abortRollout(why, run.def.id);
    }
  }

  private signOff(run: StageRun): void {
    const again = run.attempt > 1 ? ` (attempt ${run.attempt})` : '';
    const why = `signed off ${formatDuration(this.signOffAfterMs)} after it was asked for${again}`;
    if (run.wave + 1 >= run.waves.length) {
      this.pass(run, why);
      return;
    }
    unschedule(run);
    run.state = 'running';
    delete run.awaitingSince;
    run.nextWaveAt = this.now + run.betweenWavesMs;
    this.emit(SimulationEventType.wavePassed, wavePassedText(run, why, this.signOffAfterMs), run.def.id);
  }

  private pass(run: StageRun, why: string): void {
    unschedule(run);
    run.state = 'passed';
    run.settledAt = this.now;
    run.why = why;
    this.emit(SimulationEventType.stagePassed, `passed: ${run.why}`, run.def.id);
    if (this.runs.every((r) => r.state === 'passed')) {
      this.emit(SimulationEventType.rolloutCompleted, 'completed: every stage passed');
      this.finishedAt = this.now;
      this.outcome = 'completed';
      return;
    }
    this.startReady();
  }

  private emit(type: SimulationEventType, detail: string, stageId?: string): void {
    this.events.push({ at: this.now, ...(stageId !== undefined ? { stageId } : {}), type, detail });
  }

  private idsIn(...states: RunState[]): Set<string> {
    return new Set(this.runs.filter((run) => states.includes(run.state)).map((run) => run.def.id));
  }
}

function active(run: StageRun): boolean {
  return run.state === 'running' || run.state === 'awaiting-approval';
}

function unschedule(run: StageRun): void {
  delete run.wakeAt;
  delete run.signOffAt;
  delete run.escalationAt;
  delete run.nextWaveAt;
}
