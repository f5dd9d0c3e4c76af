import { condition, patched, proxyActivities } from '@temporalio/workflow';
import type { RolloutActivities } from '../../activities';
import { parseDuration } from '../../definitions/duration';
import type { EscalationStep } from '../../definitions/schema';
import { nextWindowStart } from '../../definitions/sites';
import { EVALUATION } from '../activity-options';
import { iso, now } from '../../policy/clock';
import type { Verdict } from '../../policy/criteria';
import { escalationAction, signOffAction } from '../interventions';
import { evaluationDue, failingReason, StageStep, stageStep, stageWakeAt } from '../../policy/stage-policy';
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

/**
 * reserveWait takes the next timer and gives it up within the same activation: the SDK then
 * sends neither its start nor its cancellation, but the sequence number is used, as it is in a
 * run that started the timer before a message cancelled it in the same workflow task.
 */
const reserveWait = (): Promise<boolean> => condition(() => true, 1);

/** evaluate runs one criteria evaluation; an evaluation that cannot run counts as inconclusive. */
async function evaluate(run: RolloutRun, id: string): Promise<Verdict> {
  const before = run.stage(id);
  const count = before.evaluations + 1;
  run.setStage({ ...before, evaluations: count });
  const def = run.definition(id);
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
      ...(run.siteRun ? { scope: run.siteRun.over === 'sites' ? { site: run.siteRun.site } : { line: run.siteRun.site } } : {}),
    });
    if (run.stage(id).attempt !== before.attempt) return 'inconclusive';
    run.setStage({ ...run.stage(id), evaluation });
    if (evaluation.verdict !== before.evaluation?.verdict) {
      await run.record('stage.evaluated', { stageId: id, detail: { verdict: evaluation.verdict, evaluationId: evaluation.evaluationId } });
    }
    return evaluation.verdict;
  } catch (error) {
    await run.record('stage.evaluation-failed', { stageId: id, reason: (error as Error).message });
    return 'inconclusive';
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
 * waitForExecutionWindow holds a site run until one of its site's execution windows is open
 * (at once when the site has none); false when the rollout was aborted meanwhile.
 */
async function waitForExecutionWindow(run: RolloutRun, id: string): Promise<boolean> {
  const opensAt = nextWindowStart(run.plan.sites?.[run.siteRun!.site], Date.now());
  if (opensAt <= Date.now()) return !run.isAborted();
  run.setStage({ ...run.stage(id), notBefore: iso(opensAt) });
  await run.record('site.waiting-for-window', { stageId: id, detail: { opensAt: iso(opensAt) } });
  await condition(() => run.isAborted(), Math.max(1, opensAt - Date.now()));
  const { notBefore: _notBefore, ...rest } = run.stage(id);
  run.setStage(rest);
  return !run.isAborted();
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
    if (run.siteRun && !(await waitForExecutionWindow(run, id))) return;
    if (run.isAborted()) return;
    run.enterStage(id);
    await run.record('stage.started', { stageId: id, detail: { attempt: run.stage(id).attempt } });
  }
  if (def.forEach) return run.sites.run(id);
  if (def.steadyState) return run.steadyStates.run(id);
  const attempt = run.stage(id).attempt;
  const current = () => !run.isAborted() && run.stage(id).attempt === attempt && run.stage(id).state !== 'pending' && run.stage(id).state !== 'passed';
  const intervalMs = parseDuration(def.evaluationInterval)!;
  if (run.stage(id).state === 'awaiting-approval' || run.stage(id).hold?.cause === 'rejected') void escalate(run, id, def.escalation, attempt);
  /**
   * nextPassWaits tells whether the loop's next pass over an awaiting stage, with the verdict
   * it has and no message in between, would take a timer: its evaluation is not yet due, and
   * the step is a wait with a wake-up time.
   */
  const nextPassWaits = (verdict: Verdict, window: { endsNoEarlierThan: string; windowStartedAt: string }, evaluatedAt: string | undefined): boolean => {
    const nowMs = Date.now();
    const hasCriteria = def.criteria.length > 0;
    if (hasCriteria && evaluationDue(evaluatedAt ? Date.parse(evaluatedAt) : undefined, intervalMs, nowMs)) return false;
    if (stepAfter(verdict, 'awaiting-approval', window) !== StageStep.wait) return false;
    const maxAt = def.maxDuration ? Date.parse(window.windowStartedAt) + parseDuration(def.maxDuration)! : undefined;
    const wakeAt = stageWakeAt({
      now: nowMs,
      hasCriteria,
      ...(evaluatedAt ? { lastEvaluatedAt: Date.parse(evaluatedAt) } : {}),
      intervalMs,
      minEndsAt: Date.parse(window.endsNoEarlierThan),
      ...(maxAt !== undefined ? { maxAt } : {}),
      verdict,
    });
    return wakeAt !== Infinity;
  };
  /** stepAfter is the step the stage takes on verdict in the state and evidence window it had when its evaluation was scheduled. */
  const stepAfter = (verdict: Verdict, state: 'running' | 'awaiting-approval', window: { endsNoEarlierThan: string; windowStartedAt: string }): StageStep => {
    const nowMs = Date.now();
    const maxAt = def.maxDuration ? Date.parse(window.windowStartedAt) + parseDuration(def.maxDuration)! : undefined;
    return stageStep({ verdict, state, minOver: nowMs >= Date.parse(window.endsNoEarlierThan), maxReached: maxAt !== undefined && nowMs >= maxAt });
  };

  while (current()) {
    const observed = run.stage(id).state;
    if (observed === 'held') {
      await condition(() => !current() || run.stage(id).state !== 'held');
      continue;
    }
    const hasCriteria = def.criteria.length > 0;
    let verdict: Verdict = 'pass';
    if (hasCriteria) {
      const last = run.stage(id).evaluation;
      const lastAt = last ? Date.parse(last.evaluatedAt) : undefined;
      const due = !last || evaluationDue(lastAt, intervalMs, Date.now());
      const window = { endsNoEarlierThan: run.stage(id).endsNoEarlierThan!, windowStartedAt: run.stage(id).windowStartedAt! };
      // Asked before the evaluation, never on a path a message decides, so the patch marker sits where replay looks for it.
      const reserveOnMove = due && patched(WAIT_AFTER_EVALUATION_PATCH);
      verdict = due ? await evaluate(run, id) : last.verdict;
      // A message can move the stage while its evaluation runs. Whether the SDK hands the
      // workflow that message in the same activation as the evaluation's result, or in a later
      // one of the same workflow task, differs between a live run and its replay. The timer the
      // evaluation alone calls for is therefore always reserved (and, the stage having moved,
      // given up at once), so that the timers after it keep their sequence numbers either way.
      if (!current() || run.stage(id).state !== observed) {
        if (reserveOnMove && stepAfter(verdict, observed as 'running' | 'awaiting-approval', window) === StageStep.wait) await reserveWait();
        continue;
      }
    }
    const nowMs = Date.now();
    const minEndsAt = Date.parse(run.stage(id).endsNoEarlierThan!);
    const maxAt = def.maxDuration ? Date.parse(run.stage(id).windowStartedAt!) + parseDuration(def.maxDuration)! : undefined;
    const state = observed as 'running' | 'awaiting-approval';
    switch (stageStep({ verdict, state, minOver: nowMs >= minEndsAt, maxReached: maxAt !== undefined && nowMs >= maxAt })) {
      case StageStep.fail:
        await run.failStage(id, failingReason(run.stage(id).evaluation?.criteria ?? []));
        continue;
      case StageStep.holdInconclusive:
        await run.holdStage(id, 'inconclusive', `criteria are still inconclusive after maxDuration ${def.maxDuration}`);
        continue;
      case StageStep.awaitApproval: {
        run.setStage({ ...run.stage(id), state: 'awaiting-approval', awaitingSince: now() });
        const window = { endsNoEarlierThan: run.stage(id).endsNoEarlierThan!, windowStartedAt: run.stage(id).windowStartedAt! };
        const evaluatedAt = run.stage(id).evaluation?.evaluatedAt;
        const reserveOnMove = patched(WAIT_AFTER_EVALUATION_PATCH);
        await run.record('stage.awaiting-approval', { stageId: id, detail: { required: def.approvals } });
        void escalate(run, id, def.escalation, attempt);
        // Sign-offs can come in the workflow task that brings this record's result: as after an
        // evaluation, take the timer the loop's next pass would have taken had none come.
        if (reserveOnMove && (!current() || run.stage(id).state !== 'awaiting-approval') && nextPassWaits(verdict, window, evaluatedAt)) await reserveWait();
        continue;
      }
      case StageStep.regress:
        run.setStage({ ...run.stage(id), state: 'running' });
        await run.record('stage.criteria-regressed', { stageId: id, detail: { verdict } });
        continue;
      case StageStep.wait: {
        const evaluatedAt = run.stage(id).evaluation?.evaluatedAt;
        const wakeAt = stageWakeAt({
          now: nowMs,
          hasCriteria,
          ...(evaluatedAt ? { lastEvaluatedAt: Date.parse(evaluatedAt) } : {}),
          intervalMs,
          minEndsAt,
          ...(maxAt !== undefined ? { maxAt } : {}),
          verdict,
        });
        const changed = () => !current() || run.stage(id).state !== observed;
        if (wakeAt === Infinity) await condition(changed);
        else await condition(changed, Math.max(1, wakeAt - Date.now()));
      }
    }
  }
}
