import { CancelledFailure, allHandlersFinished, condition, continueAsNew, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { readyStages } from '../../definitions/graph';
import { CONTINUE_AS_NEW_DELIVERY_GRACE } from '../activity-options';
import { cancelRequest, shieldedFromCancellation } from '../cancellation';
import { now } from '../../policy/clock';
import {
  abortSignal,
  abortUpdate,
  approveStageUpdate,
  childProgressSignal,
  evidenceArrivedSignal,
  pauseSignal,
  pauseUpdate,
  recordOverrideUpdate,
  resolveStageUpdate,
  resumeSignal,
  resumeUpdate,
  signPrerequisiteUpdate,
  statusQuery,
  trailQuery,
} from './messages';
import { UNDER_WAY_STATES, type RolloutStatus } from '../../policy/rollout-types';
import type { RolloutInput } from '../rollout-types';
import * as handlers from './handlers';
import { CANCELLED_THROUGH_TEMPORAL, RolloutRun } from './run';
import { SiteRolloutRun, type SiteRunInput } from './site-run';
import { runStage } from './stage-runner';
import { operatorFields } from './status';

/** The patch under which a cancellation requested through Temporal is an audited abort. */
const CANCELLATION_AS_ABORT_PATCH = 'cancellation-as-abort';

/**
 * EVALUATE_ON_EVIDENCE_PATCH marks runs whose running stages are evaluated soon after
 * evidenceArrivedSignal (stage-runner.ts). Runs recorded before it never heard the signal.
 */
const EVALUATE_ON_EVIDENCE_PATCH = 'evaluate-on-fresh-evidence';

/**
 * rolloutWorkflow runs a plan's stage graph. A stage starts once every stage it depends on has
 * passed and its readiness prerequisites are signed, so independent stages run in parallel.
 * While it runs, its criteria are evaluated every evaluationInterval against the evidence in
 * PostgreSQL. It awaits sign-off once its minDuration is over and its criteria pass, while its
 * escalation chain runs, and passes when signed off. Failing criteria apply onFailure. The
 * rollout completes when every stage has passed, or ends on abort, with compensation. A
 * cancellation requested through Temporal is such an abort, recorded with the requester's
 * identity; the run then ends cancelled (workflows/cancellation.ts).
 */
export function rolloutWorkflow(input: RolloutInput): Promise<RolloutStatus> {
  // Site runs of rollouts started before siteRunWorkflow existed are rolloutWorkflows with a site.
  const run = input.site ? new SiteRolloutRun({ ...input, site: input.site }) : new RolloutRun(input);
  // Runs that started before cancellation became an abort keep letting it through, as they did
  // then: shielding changes which commands a cancelled run sends.
  if (!patched(CANCELLATION_AS_ABORT_PATCH)) return runRollout(run);
  return shieldedFromCancellation(
    () => run.onCancellationRequest(),
    () => runRollout(run),
  );
}

/**
 * siteRunWorkflow runs one site of a parent rollout's forEach stage: the parent's plan cut to
 * that stage, for that site (SiteRolloutRun). It reports to the parent through
 * childProgressSignal and takes its pause, resume and abort as signals from the parent.
 */
export function siteRunWorkflow(input: SiteRunInput): Promise<RolloutStatus> {
  const run = new SiteRolloutRun(input);
  return shieldedFromCancellation(
    () => run.onCancellationRequest(),
    () => runRollout(run),
  );
}

/** wireHandlers registers the run's message handlers: Temporal's messages reach the run only here. */
function wireHandlers(run: RolloutRun): void {
  setHandler(childProgressSignal, (progress) => (progress.site === undefined ? run.steadyStates.onProgress(progress) : run.sites.onProgress(progress)));
  setHandler(statusQuery, () => run.status);
  setHandler(evidenceArrivedSignal, () => {
    if (patched(EVALUATE_ON_EVIDENCE_PATCH)) run.freshEvidence += 1;
  });
  setHandler(trailQuery, () => ({ recorded: run.trail.seq, written: run.trail.written }));
  setHandler(approveStageUpdate, (decision) => handlers.approveStage(run, decision), { validator: (decision) => handlers.validateDecision(run, decision) });
  setHandler(recordOverrideUpdate, (request) => handlers.recordOverride(run, request), { validator: (request) => handlers.validateOverride(run, request) });
  setHandler(signPrerequisiteUpdate, (request) => handlers.signPrerequisite(run, request), { validator: (request) => handlers.validatePrerequisite(run, request) });
  setHandler(resolveStageUpdate, (resolution) => handlers.resolveStage(run, resolution), { validator: (resolution) => handlers.validateResolution(run, resolution) });
  for (const [update, action] of [
    [pauseUpdate, 'pause'],
    [resumeUpdate, 'resume'],
    [abortUpdate, 'abort'],
  ] as const) {
    setHandler(update, (request) => handlers.operate(run, action, request), { validator: (request) => handlers.validateOperatorAction(run, action, request) });
  }
  // The signals stay for site runs, which their parent pauses, resumes and aborts, and for runs
  // that took them from the API before the updates existed.
  setHandler(pauseSignal, (action) => handlers.pause(run, action));
  setHandler(resumeSignal, (action) => handlers.resume(run, action));
  setHandler(abortSignal, (action) => handlers.abort(run, action));
}

async function runRollout(run: RolloutRun): Promise<RolloutStatus> {
  wireHandlers(run);
  const { input, status, plan, started } = run;
  if (!input.carried) {
    await run.record('rollout.started', { ...(input.startedBy ? { actor: input.startedBy } : {}), detail: { planDigest: input.planDigest } });
  }
  // Stages under way when the previous run continued as new pick up where they were.
  for (const s of status.stages) if (UNDER_WAY_STATES.has(s.state)) run.runners.push(runStage(run, s.id));
  const startable = () => readyStages(plan.stages, run.passedIds(), started);
  for (;;) {
    await condition(
      () => run.isAborted() || run.allPassed() || (status.state === 'running' && startable().length > 0) || workflowInfo().continueAsNewSuggested,
    );
    if (run.isAborted() || run.allPassed()) break;
    if (workflowInfo().continueAsNewSuggested) await continueAsNewNow(run);
    for (const id of startable()) {
      started.add(id);
      run.runners.push(runStage(run, id));
    }
  }
  await Promise.all(run.runners);
  return finish(run);
}

/** continueAsNewNow hands the rollout's state to a fresh run, keeping history bounded. */
async function continueAsNewNow(run: RolloutRun): Promise<never> {
  const settledIn = () => allHandlersFinished() && run.childrenIdle();
  await condition(settledIn);
  await run.trail.recording;
  await Promise.race([run.notifier.settled(), sleep(CONTINUE_AS_NEW_DELIVERY_GRACE)]);
  // Stage runners go on while this waits: hand over only once no event is still being written
  // and no child is being started, with no await between that check and the hand-over.
  for (;;) {
    await condition(settledIn);
    const last = run.trail.recording;
    await last;
    if (last === run.trail.recording && settledIn()) break;
  }
  const carried = { status: run.status, eventSeq: run.trail.seq, notificationSeq: run.notifier.seq, ...(run.abortedBy ? { abortedBy: run.abortedBy } : {}) };
  return continueAsNew<typeof rolloutWorkflow>({ ...run.input, carried });
}

/** finish ends the run once every stage runner has returned: aborted with compensation, or completed. */
async function finish(run: RolloutRun): Promise<RolloutStatus> {
  const { input, status } = run;
  status.endedAt = now();
  let cancelRequestDetail: Record<string, unknown> | undefined;
  if (run.cancelledThroughTemporal) {
    const request = await cancelRequest();
    run.abortedBy = { by: request.identity ?? 'unknown', reason: request.reason ? `${CANCELLED_THROUGH_TEMPORAL}: ${request.reason}` : CANCELLED_THROUGH_TEMPORAL };
    cancelRequestDetail = { cancelRequest: { source: 'temporal', ...request } };
  }
  if (run.isAborted()) {
    for (const s of status.stages) if (s.state !== 'passed') run.setStage({ ...s, state: 'aborted' });
    await run.abortChildren(status.stages.map((s) => s.id), `the rollout was aborted: ${run.abortedBy?.reason ?? ''}`);
    if (run.compensatesOnAbort()) await run.compensate([...run.started]);
    run.announceEnd('rollout.aborted', { detail: { by: run.abortedBy?.by, reason: run.abortedBy?.reason } });
    await run.record('rollout.aborted', { ...operatorFields(run.abortedBy ?? {}), ...(cancelRequestDetail ? { detail: cancelRequestDetail } : {}) });
  } else {
    status.state = 'completed';
    run.announceEnd('rollout.completed');
    await run.record('rollout.completed');
  }
  await condition(allHandlersFinished);
  // The run ends only once its trail is written: every answered action is in it.
  if (run.trail.lean) await run.recorded();
  await run.notifier.settled();
  await run.reportEnd(run.isAborted() ? (run.abortedByParent ? 'aborted' : 'failed') : 'passed', run.abortedBy?.reason);
  // The request is honoured: Temporal shows the run cancelled, the trail and registry say aborted and by whom.
  if (run.cancelledThroughTemporal) throw new CancelledFailure(`rollout ${input.rolloutId} aborted: ${run.abortedBy?.reason ?? CANCELLED_THROUGH_TEMPORAL}`);
  return status;
}
