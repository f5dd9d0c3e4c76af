import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import { parseDuration } from '../definitions/duration';
import { CONTINUE_AS_NEW_DELIVERY_GRACE, EVALUATION } from './activity-options';
import { iso, now } from '../policy/clock';
import type { StageEvaluation } from '../policy/criteria';
import { Failure } from '../policy/failures';
import { childProgressSignal } from './rollout/messages';
import type { ChildOutcome, OperatorAction } from '../policy/rollout-types';
import type { ChildProgress } from './rollout-types';
import { quorumComplete, signOffOf, type SignOffContext } from '../policy/sign-off';
import { passedSummary, retrainingAction, reviewDueAction, type StageRef } from './steady-state-actions';
import { horizonAt, nextCheckpoint, retrainingDueAt, reviewDueAt, type SteadyStateCalendar } from '../policy/steady-state-calendar';
import { abortSignal, recordModelVersionUpdate, signReviewUpdate, steadyStateStatusQuery } from './steady-state-messages';
import { modelVersionRole, openReviews, progressDetail, reviewSignOffRole, reviewVerdicts, type SteadyStateRefusal } from '../policy/steady-state-rules';
import type { Review, SteadyStateStatus } from '../policy/steady-state-types';
import type { SteadyStateInput } from './steady-state-types';
import { failingReason } from '../policy/stage-policy';
import { createNotifier, createTrail } from './trail';

/** An evaluation that keeps failing leaves the verdicts out of a review and counts as inconclusive. */
const { evaluateStage } = proxyActivities<RolloutActivities>(EVALUATION);

/**
 * steadyStateWorkflow governs a stage after full deployment, as a child of the rollout. From
 * the stage's start it opens a review every reviewEvery (a sign-off task by reviewBy with the
 * latest criteria verdicts; lagging metrics are too-early before the horizon) and sends a
 * retraining reminder every retrainEvery. At the horizon it judges the stage's criteria: pass
 * settles the stage passed, fail settles it failed; while the verdict is inconclusive it is
 * judged again at every later review. An abort signal settles it aborted. Every settlement,
 * opened review and review sign-off is reported to the parent with childProgressSignal.
 */
export async function steadyStateWorkflow(input: SteadyStateInput): Promise<SteadyStateStatus> {
  const { plan } = input;
  const stage = plan.stages.find((candidate) => candidate.id === input.stageId);
  const steady = stage?.steadyState;
  const calendar: SteadyStateCalendar = {
    startedAtMs: Date.parse(input.startedAt),
    reviewEveryMs: parseDuration(steady?.reviewEvery ?? '') ?? NaN,
    horizonMs: parseDuration(steady?.horizon ?? '') ?? NaN,
    ...(steady?.retrainEvery ? { retrainEveryMs: parseDuration(steady.retrainEvery) ?? NaN } : {}),
  };
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);
  const workflowId = workflowInfo().workflowId;
  if (!stage || !steady || !Object.values(calendar).every(Number.isFinite)) {
    const reason = `stage ${input.stageId} of plan ${input.planName} v${input.planVersion} has no steady-state calendar from ${input.startedAt}`;
    await parent.signal(childProgressSignal, { stageId: input.stageId, state: 'running', settled: 'failed', reason, at: now() }).catch(() => undefined);
    throw ApplicationFailure.create({ type: Failure.invalidSteadyStateInput, message: reason, nonRetryable: true });
  }
  const reviewBy = steady.reviewBy ?? stage.approvals;
  const retrainingTo = steady.retrainingOwner ? [steady.retrainingOwner] : stage.approvals.map((approval) => approval.role);
  const ref: StageRef = { rolloutId: input.rolloutId, stageId: stage.id, title: stage.title };
  const status: SteadyStateStatus = input.carried?.status ?? {
    rolloutId: input.rolloutId,
    stageId: stage.id,
    workflowId,
    state: 'running',
    startedAt: input.startedAt,
    horizonAt: iso(horizonAt(calendar)),
    laggingVerdict: 'too-early',
    reviews: [],
    retraining: [],
    modelVersions: [],
    evaluations: 0,
  };
  let abortedBy: OperatorAction | undefined = input.carried?.abortedBy;
  const signOffContext = (): SignOffContext => ({
    rolloutState: 'running',
    roles: plan.roles,
    allowSelfApproval: plan.allowSelfApproval,
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
  });
  const refuse = (answer: string | SteadyStateRefusal): void => {
    if (typeof answer !== 'string') throw ApplicationFailure.create({ type: answer.type, message: answer.message, nonRetryable: true });
  };
  const checkpoint = () =>
    nextCheckpoint(calendar, {
      reviewsOpened: status.reviews.length,
      remindersSent: status.retraining.length,
      judgedAtHorizon: status.laggingVerdict !== 'too-early',
    });
  const showNext = (): void => {
    status.nextReviewAt = iso(reviewDueAt(calendar.startedAtMs, calendar.reviewEveryMs, status.reviews.length + 1));
    if (calendar.retrainEveryMs !== undefined) status.nextRetrainingAt = iso(retrainingDueAt(calendar, status.retraining.length + 1));
  };

  // Event, delivery and evaluation ids start with the workflow id, which differs per entry into
  // the stage (steadyStateWorkflowId counts the stage's attempt), so a stage entered again never
  // collides with the trail or deliveries of the last entry. The stage's start that follows
  // tells nothing more apart; it stays so that ids keep the form earlier runs wrote.
  const idPrefix = `${workflowId}:${calendar.startedAtMs}`;
  /** The trail is the rollout's; a child's events never carry progress (the registry snapshot is the parent's). */
  const trail = createTrail({
    idPrefix,
    base: { rolloutId: input.rolloutId, planName: input.planName, planVersion: input.planVersion, stageId: stage.id },
    seq: input.carried?.eventSeq ?? 0,
  });
  const { record } = trail;
  /** Deliveries are awaited only at the end (and before continuing as new), never by a state change. */
  const notifier = createNotifier({
    idPrefix,
    targets: plan.notifications,
    base: () => ({ rolloutId: input.rolloutId, plan: input.planName, version: input.planVersion, stageId: stage.id, state: status.state }),
    seq: input.carried?.notificationSeq ?? 0,
  });
  const { notify } = notifier;

  let reporting: Promise<void> = Promise.resolve();
  /** report tells the parent where the stage is, in order; a parent that cannot be signalled is audited, not fatal. */
  const report = (settled?: ChildOutcome, reason?: string): Promise<void> => {
    const state = settled === 'passed' || settled === 'aborted' ? settled : 'running';
    const progress: ChildProgress = {
      stageId: stage.id,
      workflowId,
      state,
      ...(settled ? { settled } : {}),
      ...(reason ? { reason } : {}),
      at: now(),
      detail: progressDetail(status),
    };
    reporting = reporting
      .then(() => parent.signal(childProgressSignal, progress))
      .catch((error: unknown) => record('steady-state.report-failed', { reason: `parent ${input.parentWorkflowId}: ${(error as Error).message}` }));
    return reporting;
  };

  setHandler(steadyStateStatusQuery, () => status);

  setHandler(
    signReviewUpdate,
    async (request) => {
      const role = reviewSignOffRole(signOffContext(), status, request) as string;
      const index = status.reviews.findIndex((review) => review.number === request.number);
      const before = status.reviews[index]!;
      const at = now();
      const signOffs = [...before.signOffs, signOffOf({ ...request, decision: 'approve' }, role, at)];
      const complete = quorumComplete(before.required, signOffs);
      status.reviews[index] = { ...before, signOffs, ...(complete ? { signedAt: at, signedBy: signOffs.map((s) => s.approver) } : {}) };
      await record('review.signed', {
        actor: request.actor.name,
        role,
        ...(request.comment ? { reason: request.comment } : {}),
        ...(request.requestId ? { requestId: request.requestId } : {}),
        detail: { review: request.number, complete },
      });
      await report();
      return status.reviews[index]!;
    },
    { validator: (request) => refuse(reviewSignOffRole(signOffContext(), status, request)) },
  );

  setHandler(
    recordModelVersionUpdate,
    async (request) => {
      const role = modelVersionRole(plan.roles, stage, status, request) as string;
      const previous = status.modelVersions.at(-1)?.version;
      const change = {
        version: request.version,
        ...(previous !== undefined ? { previous } : {}),
        reason: request.reason,
        by: request.actor.name,
        role,
        at: now(),
        ...(request.requestId ? { requestId: request.requestId } : {}),
      };
      status.modelVersions.push(change);
      await record('model.version-changed', {
        actor: request.actor.name,
        role,
        reason: request.reason,
        ...(request.requestId ? { requestId: request.requestId } : {}),
        detail: { version: request.version, previous: previous ?? null },
      });
      return change;
    },
    {
      validator: (request) => {
        if (!request.version?.trim() || !request.reason?.trim()) refuse({ type: Failure.reasonRequired, message: 'a model-version change needs a version and a reason' });
        refuse(modelVersionRole(plan.roles, stage, status, request));
      },
    },
  );

  setHandler(abortSignal, (action) => {
    if (status.state === 'running') abortedBy ??= action;
  });

  /** evaluate runs one criteria evaluation of the stage since its start; the error text when it cannot run. */
  async function evaluate(): Promise<StageEvaluation | string> {
    status.evaluations += 1;
    try {
      status.evaluation = await evaluateStage({
        evaluationId: `${idPrefix}:${status.evaluations}`,
        rolloutId: input.rolloutId,
        stageId: stage!.id,
        planVersion: input.planVersion,
        criteria: stage!.criteria,
        ...(plan.metrics ? { catalog: plan.metrics } : {}),
        stageStartedAt: input.startedAt,
        now: now(),
        previousConsecutive: status.evaluation?.criteria.map((criterion) => criterion.consecutivePasses) ?? [],
      });
      return status.evaluation;
    } catch (error) {
      const reason = causeText(error);
      await record('stage.evaluation-failed', { reason });
      return reason;
    }
  }

  async function remind(dueAtMs: number): Promise<void> {
    const number = status.retraining.length + 1;
    const retrainBy = iso(retrainingDueAt(calendar, number + 1));
    status.retraining.push({ number, dueAt: iso(dueAtMs), sentAt: now(), retrainBy, to: retrainingTo });
    showNext();
    notify('retraining.due', { action: retrainingAction(ref, retrainingTo, retrainBy), dueBy: retrainBy, detail: { reminder: number, to: retrainingTo } });
    await record('retraining.due', { detail: { reminder: number, to: retrainingTo, retrainBy } });
  }

  async function openReview(dueAtMs: number, evaluation: StageEvaluation | string): Promise<void> {
    const number = status.reviews.length + 1;
    const beforeHorizon = dueAtMs < horizonAt(calendar);
    const verdicts = typeof evaluation === 'string' ? [] : reviewVerdicts(evaluation, plan.metrics, beforeHorizon, status.horizonAt);
    const overdue = openReviews(status).filter((review) => !review.overdue);
    for (const review of overdue) status.reviews[review.number - 1] = { ...review, overdue: true };
    const review: Review = {
      number,
      dueAt: iso(dueAtMs),
      openedAt: now(),
      signBy: iso(reviewDueAt(calendar.startedAtMs, calendar.reviewEveryMs, number + 1)),
      overdue: false,
      verdicts,
      ...(typeof evaluation === 'string' ? { evaluationError: evaluation } : { evaluationId: evaluation.evaluationId }),
      required: reviewBy,
      signOffs: [],
    };
    status.reviews.push(review);
    showNext();
    notify('review.due', { action: reviewDueAction(ref, number, verdicts, reviewBy, review.signBy), dueBy: review.signBy, detail: { review: number, verdicts } });
    for (const late of overdue) await record('review.overdue', { detail: { review: late.number, signBy: late.signBy } });
    await record('review.opened', { detail: { review: number, dueAt: review.dueAt, signBy: review.signBy, verdicts } });
    await report();
  }

  /** judge records the verdict at or after the horizon; a pass or a fail settles the stage. */
  async function judge(evaluation: StageEvaluation | string): Promise<SteadyStateStatus | undefined> {
    const verdict = typeof evaluation === 'string' ? 'inconclusive' : evaluation.verdict;
    status.laggingVerdict = verdict;
    const criteria = typeof evaluation === 'string' ? [] : evaluation.criteria;
    await record('verdict.lagging', { detail: { verdict, ...(typeof evaluation === 'string' ? { error: evaluation } : { evaluationId: evaluation.evaluationId }) } });
    if (verdict === 'pass') return settle('passed', passedSummary(criteria));
    if (verdict === 'fail') return settle('failed', `the stage's criteria fail after the horizon: ${failingReason(criteria)}`, failingReason(criteria));
    return undefined;
  }

  /** settle ends the stage: recorded, reported to the parent, and deliveries finished. */
  async function settle(outcome: ChildOutcome, summary: string, reason?: string): Promise<SteadyStateStatus> {
    status.state = outcome;
    delete status.nextReviewAt;
    delete status.nextRetrainingAt;
    status.settled = { outcome, summary, ...(reason ? { reason } : {}), at: now() };
    await record('steady-state.settled', {
      ...(abortedBy?.by ? { actor: abortedBy.by } : {}),
      ...(abortedBy?.requestId ? { requestId: abortedBy.requestId } : {}),
      reason: reason ?? summary,
      detail: { outcome, laggingVerdict: status.laggingVerdict, openReviews: openReviews(status).map((review) => review.number) },
    });
    await report(outcome, reason ?? summary);
    await condition(allHandlersFinished);
    await notifier.settled();
    return status;
  }

  /** continueAsNewNow hands the state to a fresh run, keeping history bounded. */
  async function continueAsNewNow(): Promise<never> {
    await trail.recording;
    await reporting;
    await Promise.race([notifier.settled(), sleep(CONTINUE_AS_NEW_DELIVERY_GRACE)]);
    await condition(allHandlersFinished);
    const carried = { status, eventSeq: trail.seq, notificationSeq: notifier.seq, ...(abortedBy ? { abortedBy } : {}) };
    return continueAsNew<typeof steadyStateWorkflow>({ ...input, carried });
  }

  showNext();
  if (!input.carried) {
    await record('steady-state.started', {
      detail: { reviewEvery: steady.reviewEvery, horizon: steady.horizon, horizonAt: status.horizonAt, ...(steady.retrainEvery ? { retrainEvery: steady.retrainEvery } : {}) },
    });
    await report();
  }
  while (abortedBy === undefined) {
    const due = checkpoint();
    const wait = due.at - Date.now();
    if (wait > 0) await condition(() => abortedBy !== undefined || workflowInfo().continueAsNewSuggested, wait);
    if (abortedBy !== undefined) break;
    if (workflowInfo().continueAsNewSuggested) await continueAsNewNow();
    if (Date.now() < due.at) continue;
    if (due.retraining) await remind(due.at);
    if (!due.review && !due.judge) continue;
    const evaluation = await evaluate();
    if (abortedBy !== undefined) break;
    const settled = due.judge ? await judge(evaluation) : undefined;
    if (settled) return settled;
    if (due.review) await openReview(due.at, evaluation);
  }
  return settle('aborted', `aborted${abortedBy.by ? ` by ${abortedBy.by}` : ''}${abortedBy.reason ? `: ${abortedBy.reason}` : ''}`, abortedBy.reason);
}

/** causeText is the innermost message of an activity failure: what really went wrong. */
function causeText(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(error);
}
