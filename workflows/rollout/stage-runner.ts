import { condition, patched, proxyActivities } from '@temporalio/workflow';
import type { RolloutActivities } from '../../activities';
import { parseDuration } from '../../definitions/duration';
import type { EscalationStep } from '../../definitions/schema';
import { EVALUATION } from '../activity-options';
import { iso, now } from '../../policy/clock';
import { escalationAction, signOffAction } from '../interventions';
import type { StageStatus } from '../../policy/rollout-types';
import { advance, stageRules, type StageAttempt, type StageEvent, type StageRules } from '../../policy/stage-machine';
import { failingReason, inconclusiveReason } from '../../policy/stage-policy';
import type { RolloutRun } from './run';

/**
 * The stage runner: one attempt at a stage, from entry through evaluation, sign-off and its
 * escalation chain to its end. It reads and changes the stage only through the RolloutRun.
 */

const { evaluateStage } = proxyActivities<RolloutActivities>(EVALUATION);

/**
 * WAIT_AFTER_EVALUATION_PATCH marks runs whose stage loop reserves the wait that follows an
 * evaluation even when a message moved the stage meanwhile (see runStage). Runs recorded
 * before it go on without, so their histories replay.
 */
const WAIT_AFTER_EVALUATION_PATCH = 'stage-wait-reserved-after-evaluation';

/** HOLD_NAMES_INCONCLUSIVE_PATCH marks runs whose hold at maxDuration names the criteria still inconclusive and why. */
const HOLD_NAMES_INCONCLUSIVE_PATCH = 'hold-names-inconclusive-criteria';

/**
 * reserveWait takes the next timer and gives it up within the same activation: the SDK then
 * sends neither its start nor its cancellation, but the sequence number is used, as it is in a
 * run that started the timer before a message cancelled it in the same workflow task.
 */
/**
 * COMPARISON_LOOKS_PATCH marks runs that hand each evaluation the look numbers of the last one,
 * so a comparison criterion counts its looks across continue-as-new (the stage, with its last
 * evaluation, is carried over). Runs recorded before it evaluate as they did.
 */
const COMPARISON_LOOKS_PATCH = 'comparison-criteria-looks';

const reserveWait = (): Promise<boolean> => condition(() => true, 1);

/**
 * evaluate runs one criteria evaluation and answers with the stage machine's `evaluated` event:
 * without an evaluation when it could not run, or the stage moved to another attempt meanwhile
 * (both count as inconclusive, and nothing is stored in the stage).
 */
async function evaluate(run: RolloutRun, id: string): Promise<StageEvent> {
  const before = run.stage(id);
  const count = before.evaluations + 1;
  run.setStage({ ...before, evaluations: count });
  const def = run.definition(id);
  const scope = run.evidenceScope();
  const previousWave = run.previousWave();
  try {
    const evaluation = await evaluateStage({
      evaluationId: `${run.runKey}:${id}:${before.attempt}:${count}`,
      rolloutId: run.input.rolloutId,
      stageId: id,
      planVersion: run.input.planVersion,
      criteria: def.criteria,
      ...(run.plan.metrics ? { catalog: run.plan.metrics } : {}),
      stageStartedAt: before.windowStartedAt!,
      now: now(),
      previousConsecutive: before.evaluation?.criteria.map((criterion) => criterion.consecutivePasses) ?? [],
      ...(def.criteria.some((criterion) => criterion.compare !== undefined) && patched(COMPARISON_LOOKS_PATCH)
        ? { previousLooks: before.evaluation?.criteria.map((criterion) => criterion.comparison?.look ?? 0) ?? [] }
        : {}),
      ...(scope ? { scope } : {}),
      ...(previousWave ? { previousWave } : {}),
    });
    if (run.stage(id).attempt !== before.attempt) return { type: 'evaluated' };
    run.setStage({ ...run.stage(id), evaluation });
    if (evaluation.verdict !== before.evaluation?.verdict) {
      await run.record('stage.evaluated', { stageId: id, detail: { verdict: evaluation.verdict, evaluationId: evaluation.evaluationId } });
    }
    return { type: 'evaluated', evaluation: { at: Date.parse(evaluation.evaluatedAt), verdict: evaluation.verdict } };
  } catch (error) {
    await run.record('stage.evaluation-failed', { stageId: id, reason: (error as Error).message });
    return { type: 'evaluated' };
  }
}

/** escalate runs a stage's escalation chain while it waits for sign-off; it returns when the stage settles. */
async function escalate(run: RolloutRun, id: string, steps: readonly EscalationStep[], attempt: number): Promise<void> {
  const since = Date.parse(run.stage(id).awaitingSince!);
  const waiting = () => !run.isAborted() && run.stage(id).attempt === attempt && (run.stage(id).state === 'awaiting-approval' || run.stage(id).hold?.cause === 'rejected');
  const dueBy = (index: number) => (steps[index] ? iso(since + parseDuration(steps[index].after)!) : undefined);
  if (run.stage(id).escalationsApplied === 0) {
    run.notify('stage.awaiting-approval', { stageId: id, action: signOffAction(run.stage(id), run.scopeOf(id), dueBy(0)), ...(dueBy(0) ? { dueBy: dueBy(0) } : {}) });
  }
  for (const [index, step] of steps.entries()) {
    if (index < run.stage(id).escalationsApplied) continue;
    const dueAt = since + parseDuration(step.after)!;
    if (await condition(() => !waiting(), Math.max(1, dueAt - Date.now()))) return;
    run.setStage({ ...run.stage(id), escalationsApplied: index + 1 });
    const why = `sign-off of stage ${id} is not complete after ${step.after}`;
    if (step.action === 'escalate') {
      run.setStage({ ...run.stage(id), escalatedTo: [...run.stage(id).escalatedTo, step.to] });
      const next = dueBy(index + 1);
      run.notify('stage.escalated', { stageId: id, action: escalationAction(run.stage(id), run.scopeOf(id), step.to, next), ...(next ? { dueBy: next } : {}) });
      await run.record('stage.escalated', { stageId: id, role: step.to, reason: why });
    } else if (step.action === 'hold') {
      if (run.status.state !== 'running') continue;
      run.status.state = 'held';
      run.status.heldReason = why;
      run.notify('rollout.held', { stageId: id, action: `Rollout held: ${why}. A deployment lead decides whether to resume or abort.` });
      await run.record('rollout.held', { stageId: id, reason: why });
    } else {
      run.abort({ reason: why });
      return;
    }
  }
}

/**
 * runStage drives one attempt at a stage from wherever it is, so a new run after
 * continue-as-new resumes it mid-way. It returns when the attempt ends: passed, aborted,
 * rolled back to pending, or superseded by a retry-window (which starts a new runner).
 */
export async function runStage(run: RolloutRun, id: string): Promise<void> {
  const def = run.definition(id);
  if (run.stage(id).state === 'pending') {
    await condition(() => run.isAborted() || (run.prerequisitesSigned(id) && run.status.state === 'running'));
    const window = run.executionWindow(id);
    if (window && !(await window)) return;
    if (run.isAborted()) return;
    run.enterStage(id);
    await run.record('stage.started', { stageId: id, detail: { attempt: run.stage(id).attempt } });
  }
  if (def.forEach) return run.sites.run(id);
  if (def.steadyState) return run.steadyStates.run(id);
  const attempt = run.stage(id).attempt;
  if (run.stage(id).state === 'awaiting-approval' || run.stage(id).hold?.cause === 'rejected') void escalate(run, id, def.escalation, attempt);
  await runAttempt(run, id, attempt, stageRules(def));
}

/**
 * runAttempt is the stage machine's interpreter (policy/stage-machine.ts): each pass wakes the
 * stage and carries out the one effect the machine answers with, as an evaluateStage activity,
 * audit events and a timer. Between passes a message (a sign-off, a resolution, an abort) may
 * have moved the stage; each pass reads it afresh.
 */
async function runAttempt(run: RolloutRun, id: string, attempt: number, rules: StageRules): Promise<void> {
  const def = run.definition(id);
  const current = () => !run.isAborted() && run.stage(id).attempt === attempt && run.stage(id).state !== 'pending' && run.stage(id).state !== 'passed';
  // Evidence that came since `seen` asks for an evaluation soon (evidenceArrivedSignal): the
  // machine's evidence event answers with one, or with the wait until one may run, during which
  // more evidence only joins it.
  let seen = run.freshEvidence;
  while (current()) {
    const observed = run.stage(id).state;
    if (observed === 'held') {
      await condition(() => !current() || run.stage(id).state !== 'held');
      continue;
    }
    const before = attemptOf(run.stage(id));
    const fresh = rules.hasCriteria && run.freshEvidence !== seen;
    let { next, effect } = advance(rules, before, fresh ? EVIDENCE : WAKE, Date.now());
    if (effect.type === 'evaluate') {
      seen = run.freshEvidence;
      // Asked before the evaluation, never on a path a message decides, so the patch marker sits where replay looks for it.
      const reserveOnMove = patched(WAIT_AFTER_EVALUATION_PATCH);
      const evaluated = await evaluate(run, id);
      ({ next, effect } = advance(rules, before, evaluated, Date.now()));
      // A message can move the stage while its evaluation runs. Whether the SDK hands the
      // workflow that message in the same activation as the evaluation's result, or in a later
      // one of the same workflow task, differs between a live run and its replay. The timer the
      // evaluation alone calls for is therefore always reserved (and, the stage having moved,
      // given up at once), so that the timers after it keep their sequence numbers either way.
      if (!current() || run.stage(id).state !== observed) {
        if (reserveOnMove && effect.type === 'wait') await reserveWait();
        continue;
      }
      // Evidence signalled while the evaluation ran: as for a message above, the wait the
      // evaluation called for is reserved and given up, whichever activation brought the signal.
      if (effect.type === 'wait' && run.freshEvidence !== seen) {
        await reserveWait();
        continue;
      }
    }
    switch (effect.type) {
      case 'evaluate':
        continue; // not reached: the machine answers an evaluation with a decision
      case 'fail':
        await run.failStage(id, failingReason(run.stage(id).evaluation?.criteria ?? []), effect.action);
        continue;
      case 'hold-inconclusive': {
        const named = patched(HOLD_NAMES_INCONCLUSIVE_PATCH) ? (run.stage(id).evaluation?.criteria ?? []) : [];
        await run.holdStage(id, 'inconclusive', inconclusiveReason(def.maxDuration, named));
        continue;
      }
      case 'await-approval': {
        run.setStage({ ...run.stage(id), state: next.phase, awaitingSince: now() });
        const awaiting = attemptOf(run.stage(id));
        const reserveOnMove = patched(WAIT_AFTER_EVALUATION_PATCH);
        await run.record('stage.awaiting-approval', { stageId: id, detail: { required: def.approvals } });
        void escalate(run, id, def.escalation, attempt);
        // Sign-offs can come in the workflow task that brings this record's result: as after an
        // evaluation, take the timer the loop's next pass would have taken had none come.
        if (reserveOnMove && (!current() || run.stage(id).state !== 'awaiting-approval') && nextPassWaits(rules, awaiting)) await reserveWait();
        continue;
      }
      case 'regress':
        run.setStage({ ...run.stage(id), state: next.phase });
        await run.record('stage.criteria-regressed', { stageId: id, detail: { verdict: effect.verdict } });
        continue;
      case 'wait': {
        const moved = () => !current() || run.stage(id).state !== observed;
        const changed = fresh || !rules.hasCriteria ? moved : () => moved() || run.freshEvidence !== seen;
        if (effect.until === Infinity) await condition(changed);
        else await condition(changed, Math.max(1, effect.until - Date.now()));
      }
    }
  }
}

const WAKE: StageEvent = { type: 'wake' };
const EVIDENCE: StageEvent = { type: 'evidence' };

/** attemptOf is a running or awaiting stage as the stage machine sees it. */
function attemptOf(stage: StageStatus): StageAttempt {
  return {
    phase: stage.state === 'awaiting-approval' ? 'awaiting-approval' : 'running',
    windowStartedAt: Date.parse(stage.windowStartedAt!),
    minEndsAt: Date.parse(stage.endsNoEarlierThan!),
    ...(stage.evaluation ? { evaluation: { at: Date.parse(stage.evaluation.evaluatedAt), verdict: stage.evaluation.verdict } } : {}),
  };
}

/** nextPassWaits tells whether the loop's next pass over the awaiting stage, with no message in between, would take a timer. */
function nextPassWaits(rules: StageRules, awaiting: StageAttempt): boolean {
  const { effect } = advance(rules, awaiting, WAKE, Date.now());
  return effect.type === 'wait' && effect.until !== Infinity;
}
