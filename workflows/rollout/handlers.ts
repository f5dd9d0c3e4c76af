import { ApplicationFailure } from '@temporalio/workflow';
import { now } from '../../policy/clock';
import { checkOperatorAction, type OperatorActionName } from '../../policy/operator-actions';
import type {
  FailureResolution,
  OperatorAction,
  OperatorOutcome,
  OperatorRequest,
  OverrideRequest,
  PrerequisiteSignOff,
  PrerequisiteStatus,
  StageDecision,
  StageStatus,
} from '../../policy/rollout-types';
import { checkDecision, checkOverride, checkPrerequisite, checkResolution, passSigned, signDecision } from '../../policy/sign-off';
import { pauseSignal, resumeSignal } from './messages';
import type { RolloutRun } from './run';
import { operatorFields } from './status';
import { runStage } from './stage-runner';

/**
 * The rollout's message handlers and their validators. Each takes the run it acts on; the
 * workflow file registers them. Validators refuse through the pure sign-off rules
 * (workflows/sign-off.ts), so authority is decided here and nowhere else.
 */

/** refuse turns a rule's refusal into the ApplicationFailure an update validator throws. */
function refuse(refusal: { type: string; message: string } | undefined): void {
  if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
}

export const validateDecision = (run: RolloutRun, decision: StageDecision): void =>
  refuse(checkDecision(run.signOffContext(), run.maybeStage(decision.stageId), decision));

export async function approveStage(run: RolloutRun, decision: StageDecision): Promise<StageStatus> {
  // On a lean trail the sign-off's events (and what it passes) are one write, and the update
  // answers as soon as the stage has changed, the write following in order.
  const recorded = run.transition(() => decide(run, decision));
  if (!run.trail.lean) await Promise.all(recorded);
  return run.stage(decision.stageId);
}

/** decide applies a sign-off to the stage and records it; it answers the writes a classic trail waits for. */
function decide(run: RolloutRun, decision: StageDecision): Promise<void>[] {
  const at = now();
  const { stage: signed, signOff, complete } = signDecision(run.signOffContext(), run.stage(decision.stageId), decision, at);
  const id = signed.id;
  // A complete sign-off of a forEach stage opens the wave it gated: the stage goes on
  // running and passes when its sites have. Any other complete sign-off passes the stage.
  const waveOpened = complete && run.definition(id).forEach !== undefined && run.sites.openSignedWave(id, signed);
  if (!waveOpened) run.setStage(complete ? passSigned(signed, at) : signed);
  const onReject = run.definition(id).onFailure;
  // Events are queued before the first await, so they precede whatever the decision unblocks.
  const recorded = [
    run.record(decision.decision === 'approve' ? 'stage.approved' : 'stage.rejected', {
      stageId: id,
      actor: decision.actor.name,
      role: signOff.role,
      ...(decision.comment ? { reason: decision.comment } : {}),
      ...(decision.requestId ? { requestId: decision.requestId } : {}),
      detail: { stageState: run.stage(id).state },
    }),
  ];
  if (waveOpened) recorded.push(run.record('wave.approved', { stageId: id, detail: { wave: run.stage(id).waves?.find((w) => w.state === 'running' && !w.passedAt)?.number } }));
  else if (complete) recorded.push(run.announcePassed(id, 'record-first'));
  if (decision.decision === 'reject') run.notify('stage.rejected', { stageId: id, detail: { by: decision.actor.name, reason: decision.comment } });
  if (decision.decision === 'reject' && onReject === 'abort') {
    run.abort({ by: decision.actor.name, reason: `stage ${id} was rejected: ${decision.comment ?? ''}`, ...(decision.requestId ? { requestId: decision.requestId } : {}) });
  }
  return recorded;
}

export const validateOverride = (run: RolloutRun, request: OverrideRequest): void =>
  refuse(checkOverride(run.signOffContext(), run.maybeStage(request.stageId), request.stageId, request.actor));

export async function recordOverride(run: RolloutRun, request: OverrideRequest): Promise<StageStatus> {
  const current = run.stage(request.stageId);
  const override = {
    by: request.actor.name,
    role: current.overrideAuthority!,
    reason: request.reason,
    at: now(),
    ...(request.recommendationId ? { recommendationId: request.recommendationId } : {}),
  };
  run.setStage({ ...current, overrides: [...current.overrides, override] });
  await run.record('stage.override', {
    stageId: current.id,
    actor: request.actor.name,
    role: override.role,
    reason: request.reason,
    ...(request.requestId ? { requestId: request.requestId } : {}),
    ...(request.recommendationId ? { detail: { recommendationId: request.recommendationId } } : {}),
  });
  return run.stage(request.stageId);
}

export const validatePrerequisite = (run: RolloutRun, request: PrerequisiteSignOff): void =>
  refuse(checkPrerequisite(run.signOffContext(), run.status.prerequisites, request));

export async function signPrerequisite(run: RolloutRun, request: PrerequisiteSignOff): Promise<PrerequisiteStatus> {
  const { prerequisites } = run.status;
  const index = prerequisites.findIndex((p) => p.id === request.prerequisiteId);
  const prerequisite = prerequisites[index]!;
  const signed = {
    by: request.actor.name,
    at: now(),
    ...(request.evidence ? { evidence: request.evidence } : {}),
    ...(request.comment ? { comment: request.comment } : {}),
  };
  prerequisites[index] = { ...prerequisite, signed };
  await run.record('prerequisite.signed', {
    actor: request.actor.name,
    role: prerequisite.signedBy,
    ...(request.comment ? { reason: request.comment } : {}),
    ...(request.requestId ? { requestId: request.requestId } : {}),
    detail: { prerequisite: prerequisite.id, kind: prerequisite.kind, evidence: signed.evidence ?? prerequisite.evidence },
  });
  return prerequisites[index]!;
}

export const validateResolution = (run: RolloutRun, resolution: FailureResolution): void =>
  refuse(checkResolution(run.signOffContext(), run.maybeStage(resolution.stageId), resolution, run.plan.stages, run.rollbackTarget(resolution.stageId)));

export async function resolveStage(run: RolloutRun, resolution: FailureResolution): Promise<StageStatus> {
  const fields = {
    stageId: resolution.stageId,
    actor: resolution.actor.name,
    reason: resolution.reason,
    ...(resolution.requestId ? { requestId: resolution.requestId } : {}),
  };
  if (resolution.choice === 'abort') {
    run.abort({ by: resolution.actor.name, reason: resolution.reason, ...(resolution.requestId ? { requestId: resolution.requestId } : {}) });
    await run.record('stage.resolved', { ...fields, detail: { choice: 'abort' } });
  } else if (resolution.choice === 'retry-window' && run.definition(resolution.stageId).forEach) {
    const retried = run.sites.retryFailedSites(resolution.stageId);
    await run.record('stage.resolved', { ...fields, detail: { choice: 'retry-window', sites: retried } });
  } else if (resolution.choice === 'retry-window') {
    run.enterStage(resolution.stageId);
    await run.record('stage.resolved', { ...fields, detail: { choice: 'retry-window', windowStartedAt: run.stage(resolution.stageId).windowStartedAt } });
    run.runners.push(runStage(run, resolution.stageId));
  } else {
    const target = resolution.to ?? run.rollbackTarget(resolution.stageId)!;
    await run.record('stage.resolved', { ...fields, detail: { choice: 'rollback', to: target } });
    await run.rollback(resolution.stageId, target, resolution.reason);
  }
  return run.stage(resolution.stageId);
}

/** pause passes the pause on to the site runs, then pauses a running rollout. */
export async function pause(run: RolloutRun, action: OperatorAction): Promise<void> {
  void run.sites.signalSites(run.status.stages, pauseSignal, action);
  if (run.status.state !== 'running') return;
  run.status.state = 'paused';
  await run.record('rollout.paused', operatorFields(action));
}

/** resume passes the resume on to the site runs (ending their escalation holds), then resumes a paused or held rollout. */
export async function resume(run: RolloutRun, action: OperatorAction): Promise<void> {
  void run.sites.signalSites(run.status.stages, resumeSignal, action);
  if (run.status.state !== 'paused' && run.status.state !== 'held') return;
  run.status.state = 'running';
  delete run.status.heldReason;
  await run.record('rollout.resumed', operatorFields(action));
}

/** abort ends a rollout not yet over; a site run's abort comes from its parent. */
export function abort(run: RolloutRun, action: OperatorAction): void {
  run.abortRequested(action);
}

/** validateOperatorAction refuses a pause, resume or abort by someone without the authority, or one that does nothing now. */
export const validateOperatorAction = (run: RolloutRun, action: OperatorActionName, request: OperatorRequest): void =>
  refuse(checkOperatorAction(action, run.plan.roles, run.status, request.actor));

/** operate applies a pause, resume or abort asked for by update, as the signal of the same name does, and answers with the rollout's state. */
export async function operate(run: RolloutRun, action: OperatorActionName, request: OperatorRequest): Promise<OperatorOutcome> {
  const operator: OperatorAction = { by: request.actor.name, ...(request.requestId ? { requestId: request.requestId } : {}), ...(request.reason ? { reason: request.reason } : {}) };
  if (action === 'pause') await pause(run, operator);
  else if (action === 'resume') await resume(run, operator);
  else abort(run, operator);
  return { state: run.status.state };
}
