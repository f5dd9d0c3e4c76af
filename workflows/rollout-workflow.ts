import {
  ApplicationFailure,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import { parseDuration } from '../definitions/duration';
import { readyStages, topologicalOrder } from '../definitions/graph';
import type { EscalationStep } from '../definitions/schema';
import { nextWindowStart } from '../definitions/sites';
import { CONTINUE_AS_NEW_DELIVERY_GRACE, EVALUATION } from './activity-options';
import { cancelRequest, shieldedFromCancellation } from './cancellation';
import { iso, now } from '../policy/clock';
import type { Verdict } from '../policy/criteria';
import { compensationAction, escalationAction, signOffAction } from './interventions';
import {
  abortSignal,
  approveStageUpdate,
  childProgressSignal,
  pauseSignal,
  recordOverrideUpdate,
  resolveStageUpdate,
  resumeSignal,
  signPrerequisiteUpdate,
  statusQuery,
} from './messages';
import { UNDER_WAY_STATES, type ChildOutcome, type HoldCause, type OperatorAction, type RolloutStatus, type StageStatus } from '../policy/rollout-types';
import type { RolloutInput } from './rollout-types';
import { RolloutStageKey, RolloutStateKey } from './search-attributes';
import { evaluationDue, failingReason, rollbackScope, StageStep, stageStep, stageWakeAt } from '../policy/stage-policy';
import { planSiteStage, plannedSiteStages, rolloutPrerequisites } from './site-plan';
import { createSiteRunner } from './site-waves';
import { createSteadyStateRunner } from './steady-state-stage';
import { checkDecision, checkOverride, checkPrerequisite, checkResolution, passSigned, signDecision, type Refusal, type SignOffContext } from '../policy/sign-off';
import { createNotifier, createTrail, type EventFields } from './trail';

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

const CANCELLED_THROUGH_TEMPORAL = 'cancellation requested through Temporal';
/** The patch under which a cancellation requested through Temporal is an audited abort. */
const CANCELLATION_AS_ABORT_PATCH = 'cancellation-as-abort';

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
  const cancellation: CancellationHook = {};
  // Runs that started before cancellation became an abort keep letting it through, as they did
  // then: shielding changes which commands a cancelled run sends.
  if (!patched(CANCELLATION_AS_ABORT_PATCH)) return runRollout(input, cancellation);
  return shieldedFromCancellation(
    () => cancellation.onRequest?.(),
    () => runRollout(input, cancellation),
  );
}

/** CancellationHook tells runRollout of a cancellation requested through Temporal. */
interface CancellationHook {
  onRequest?: () => void;
}

async function runRollout(input: RolloutInput, cancellation: CancellationHook): Promise<RolloutStatus> {
  const { plan } = input;
  const wavePlans = input.carried ? undefined : plannedSiteStages(plan, Date.now());
  const status: RolloutStatus = input.carried?.status ?? {
    rolloutId: input.rolloutId,
    plan: input.planName,
    version: input.planVersion,
    digest: input.planDigest,
    state: 'running',
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
    startedAt: now(),
    prerequisites: rolloutPrerequisites(plan),
    stages: plan.stages.map((stage) => ({
      id: stage.id,
      title: stage.title,
      mode: stage.mode,
      state: 'pending',
      dependsOn: stage.dependsOn,
      required: stage.approvals,
      approvals: [],
      history: [],
      escalatedTo: [],
      escalationsApplied: 0,
      evaluations: 0,
      attempt: 0,
      ...(stage.overrideAuthority ? { overrideAuthority: stage.overrideAuthority } : {}),
      overrides: [],
      ...wavePlans?.get(stage.id),
    })),
  };
  // `started` holds the stages whose runner this run has begun: a stage joins it while still
  // pending (waiting for its prerequisites or execution window), so it is not started twice.
  // It is not carried across continue-as-new but rebuilt from the stage states, as the stages
  // past pending: a stage still pending then is started again by the new run.
  const started = new Set<string>(status.stages.filter((s) => s.state !== 'pending').map((s) => s.id));
  /** runners are the stage coroutines; a retry-window adds one from its update handler. */
  const runners: Promise<void>[] = [];
  let abortedBy: OperatorAction | undefined = input.carried?.abortedBy;
  /** A site run (input.site) is one site of a parent's forEach stage: see SiteRun. */
  const siteRun = input.site;
  /** runKey prefixes event, delivery and evaluation ids: a site run shares its parent's rollout id. */
  const runKey = siteRun ? workflowInfo().workflowId : input.rolloutId;
  let abortedByParent = false;

  const stageAt = (id: string): number => status.stages.findIndex((stage) => stage.id === id);
  const stage = (id: string): StageStatus => status.stages[stageAt(id)]!;
  const maybeStage = (id: string): StageStatus | undefined => status.stages[stageAt(id)];
  const definition = (id: string) => plan.stages[stageAt(id)]!;
  const setStage = (next: StageStatus): void => {
    status.stages[stageAt(next.id)] = next;
  };
  const passedIds = (): Set<string> => new Set(status.stages.filter((s) => s.state === 'passed').map((s) => s.id));
  const allPassed = (): boolean => status.stages.every((s) => s.state === 'passed');
  const isAborted = (): boolean => status.state === 'aborted';
  const signOffContext = (): SignOffContext => ({
    rolloutState: status.state,
    roles: plan.roles,
    allowSelfApproval: plan.allowSelfApproval,
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
  });
  const refuse = (refusal: Refusal | undefined): void => {
    if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
  };
  /** Prerequisites without `before` gate every stage; the others gate the stage they name; per-site ones gate their site. */
  const prerequisitesSigned = (id: string): boolean =>
    status.prerequisites.every((p) => p.site !== undefined || p.signed || (p.before !== undefined && p.before !== id));
  const sitePrerequisitesSigned = (id: string, site: string): boolean =>
    status.prerequisites.every((p) => p.site !== site || p.before !== id || p.signed !== undefined);

  // RolloutState and RolloutStage are upserted only when they change, to keep history small.
  let publishedAttributes = '';
  const syncSearchAttributes = (): void => {
    const active = activeStageIds(status).join(',');
    const current = `${status.state}|${active}`;
    if (current === publishedAttributes) return;
    publishedAttributes = current;
    upsertSearchAttributes([
      { key: RolloutStateKey, value: status.state },
      { key: RolloutStageKey, value: active === '' ? null : active },
    ]);
  };

  // Every recorded change publishes the search attributes first. A site run then reports to
  // its parent instead of writing the registry, which holds the parent's status.
  const trail = createTrail({
    idPrefix: runKey,
    base: { rolloutId: input.rolloutId, planName: input.planName, planVersion: input.planVersion },
    seq: input.carried?.eventSeq ?? 0,
    beforeRecord: () => {
      syncSearchAttributes();
      if (siteRun) void reportToParent();
    },
    ...(siteRun
      ? {}
      : { progress: () => ({ state: status.state, activeStages: activeStageIds(status), status: JSON.parse(JSON.stringify(status)) as RolloutStatus }) }),
  });
  // In the parent's trail, a site run's own start and end read site-run.started and so on, and
  // every event of a site run names its site.
  const record = (type: string, fields: EventFields = {}): Promise<void> =>
    siteRun
      ? trail.record(type.replace(/^rollout\./, 'site-run.'), { ...fields, detail: { ...fields.detail, site: siteRun.site } })
      : trail.record(type, fields);

  /**
   * reportToParent tells a site run's parent its stage state, when its execution window opens
   * and whether the run itself is held (an escalation hold, which the rollout's resume ends),
   * whenever one of them changed; and at the end how the run settled.
   */
  let reported = '';
  const reportToParent = (settled?: ChildOutcome, reason?: string): Promise<void> => {
    const { state, notBefore } = status.stages[0]!;
    const heldReason = status.state === 'held' ? status.heldReason : undefined;
    const current = JSON.stringify([state, notBefore, heldReason]);
    if (!siteRun || (settled === undefined && current === reported)) return Promise.resolve();
    reported = current;
    const detail = { ...(notBefore ? { notBefore } : {}), ...(heldReason ? { heldReason } : {}) };
    return getExternalWorkflowHandle(siteRun.parentWorkflowId)
      .signal(childProgressSignal, {
        stageId: siteRun.stageId,
        site: siteRun.site,
        workflowId: workflowInfo().workflowId,
        state,
        at: now(),
        ...(settled ? { settled } : {}),
        ...(reason ? { reason } : {}),
        ...(Object.keys(detail).length > 0 ? { detail } : {}),
      })
      .catch(() => undefined); // a parent that already ended has nothing left to learn
  };

  // Notifications go to every target that wants the event. A failing receiver is retried and
  // recorded by the activity, and shows in the rollout's status, but never blocks a state
  // change: the workflow waits for deliveries only at its end, and compensation for its own.
  const notifier = createNotifier({
    idPrefix: runKey,
    targets: plan.notifications,
    base: () => ({
      rolloutId: input.rolloutId,
      plan: input.planName,
      version: input.planVersion,
      state: status.state,
      ...(siteRun ? { site: siteRun.site } : {}),
    }),
    seq: input.carried?.notificationSeq ?? 0,
  });
  const { notify } = notifier;
  const scopeOf = (id: string) => definition(id).scope;

  const abort = (action: OperatorAction): void => {
    status.state = 'aborted';
    abortedBy = action;
  };
  /** cancelledThroughTemporal: this run was aborted by a cancellation requested through Temporal. */
  let cancelledThroughTemporal = false;
  cancellation.onRequest = () => {
    if (status.state === 'completed' || status.state === 'aborted') return;
    cancelledThroughTemporal = true;
    abort({ reason: CANCELLED_THROUGH_TEMPORAL });
  };

  const sites = createSiteRunner({
    input,
    stage,
    setStage,
    definition,
    record,
    notify,
    isAborted,
    mayStartWork: () => status.state === 'running',
    sitePrerequisitesSigned,
    abort,
    holdStage: (id, cause, reason) => holdStage(id, cause, reason),
    passStage,
  });
  const steadyStates = createSteadyStateRunner({
    input,
    stage,
    maybeStage,
    setStage,
    record,
    isAborted,
    passStage,
    failStage: (id, reason) => failStage(id, reason),
    abort,
  });
  setHandler(childProgressSignal, (progress) => (progress.site === undefined ? steadyStates.onProgress(progress) : sites.onProgress(progress)));
  /** Rollbacks under way: continue-as-new waits for them, so none is cut between compensation and reset. */
  let rollbacksInFlight = 0;
  const childrenIdle = () => sites.idle() && steadyStates.idle() && rollbacksInFlight === 0;

  setHandler(statusQuery, () => status);

  setHandler(
    approveStageUpdate,
    async (decision) => {
      const at = now();
      const { stage: signed, signOff, complete } = signDecision(signOffContext(), stage(decision.stageId), decision, at);
      const id = signed.id;
      // A complete sign-off of a forEach stage opens the wave it gated: the stage goes on
      // running and passes when its sites have. Any other complete sign-off passes the stage.
      const waveOpened = complete && definition(id).forEach !== undefined && sites.openSignedWave(id, signed);
      if (!waveOpened) setStage(complete ? passSigned(signed, at) : signed);
      const onReject = definition(id).onFailure;
      // Events are queued before the first await, so they precede whatever the decision unblocks.
      const recorded = [
        record(decision.decision === 'approve' ? 'stage.approved' : 'stage.rejected', {
          stageId: id,
          actor: decision.actor.name,
          role: signOff.role,
          ...(decision.comment ? { reason: decision.comment } : {}),
          ...(decision.requestId ? { requestId: decision.requestId } : {}),
          detail: { stageState: stage(id).state },
        }),
      ];
      if (waveOpened) recorded.push(record('wave.approved', { stageId: id, detail: { wave: stage(id).waves?.find((w) => w.state === 'running' && !w.passedAt)?.number } }));
      else if (complete) recorded.push(announcePassed(id, 'record-first'));
      if (decision.decision === 'reject') notify('stage.rejected', { stageId: id, detail: { by: decision.actor.name, reason: decision.comment } });
      if (decision.decision === 'reject' && onReject === 'abort') {
        abort({ by: decision.actor.name, reason: `stage ${id} was rejected: ${decision.comment ?? ''}`, ...(decision.requestId ? { requestId: decision.requestId } : {}) });
      }
      await Promise.all(recorded);
      return stage(decision.stageId);
    },
    { validator: (decision) => refuse(checkDecision(signOffContext(), maybeStage(decision.stageId), decision)) },
  );

  setHandler(
    recordOverrideUpdate,
    async (request) => {
      const current = stage(request.stageId);
      const override = {
        by: request.actor.name,
        role: current.overrideAuthority!,
        reason: request.reason,
        at: now(),
        ...(request.recommendationId ? { recommendationId: request.recommendationId } : {}),
      };
      setStage({ ...current, overrides: [...current.overrides, override] });
      await record('stage.override', {
        stageId: current.id,
        actor: request.actor.name,
        role: override.role,
        reason: request.reason,
        ...(request.requestId ? { requestId: request.requestId } : {}),
        ...(request.recommendationId ? { detail: { recommendationId: request.recommendationId } } : {}),
      });
      return stage(request.stageId);
    },
    { validator: (request) => refuse(checkOverride(signOffContext(), maybeStage(request.stageId), request.stageId, request.actor)) },
  );

  setHandler(
    signPrerequisiteUpdate,
    async (request) => {
      const index = status.prerequisites.findIndex((p) => p.id === request.prerequisiteId);
      const prerequisite = status.prerequisites[index]!;
      const signed = {
        by: request.actor.name,
        at: now(),
        ...(request.evidence ? { evidence: request.evidence } : {}),
        ...(request.comment ? { comment: request.comment } : {}),
      };
      status.prerequisites[index] = { ...prerequisite, signed };
      await record('prerequisite.signed', {
        actor: request.actor.name,
        role: prerequisite.signedBy,
        ...(request.comment ? { reason: request.comment } : {}),
        ...(request.requestId ? { requestId: request.requestId } : {}),
        detail: { prerequisite: prerequisite.id, kind: prerequisite.kind, evidence: signed.evidence ?? prerequisite.evidence },
      });
      return status.prerequisites[index]!;
    },
    { validator: (request) => refuse(checkPrerequisite(signOffContext(), status.prerequisites, request)) },
  );

  setHandler(
    resolveStageUpdate,
    async (resolution) => {
      const fields = {
        stageId: resolution.stageId,
        actor: resolution.actor.name,
        reason: resolution.reason,
        ...(resolution.requestId ? { requestId: resolution.requestId } : {}),
      };
      if (resolution.choice === 'abort') {
        abort({ by: resolution.actor.name, reason: resolution.reason, ...(resolution.requestId ? { requestId: resolution.requestId } : {}) });
        await record('stage.resolved', { ...fields, detail: { choice: 'abort' } });
      } else if (resolution.choice === 'retry-window' && definition(resolution.stageId).forEach) {
        const retried = sites.retryFailedSites(resolution.stageId);
        await record('stage.resolved', { ...fields, detail: { choice: 'retry-window', sites: retried } });
      } else if (resolution.choice === 'retry-window') {
        enterStage(resolution.stageId);
        await record('stage.resolved', { ...fields, detail: { choice: 'retry-window', windowStartedAt: stage(resolution.stageId).windowStartedAt } });
        runners.push(runStage(resolution.stageId));
      } else {
        const target = resolution.to ?? rollbackTarget(resolution.stageId)!;
        await record('stage.resolved', { ...fields, detail: { choice: 'rollback', to: target } });
        await rollback(resolution.stageId, target, resolution.reason);
      }
      return stage(resolution.stageId);
    },
    {
      validator: (resolution) =>
        refuse(checkResolution(signOffContext(), maybeStage(resolution.stageId), resolution, plan.stages, rollbackTarget(resolution.stageId))),
    },
  );

  const operatorFields = (action: OperatorAction): EventFields => ({
    ...(action.by ? { actor: action.by } : {}),
    ...(action.reason ? { reason: action.reason } : {}),
    ...(action.requestId ? { requestId: action.requestId } : {}),
  });
  setHandler(pauseSignal, async (action) => {
    void sites.signalSites(status.stages, pauseSignal, action);
    if (status.state !== 'running') return;
    status.state = 'paused';
    await record('rollout.paused', operatorFields(action));
  });
  setHandler(resumeSignal, async (action) => {
    void sites.signalSites(status.stages, resumeSignal, action);
    if (status.state !== 'paused' && status.state !== 'held') return;
    status.state = 'running';
    delete status.heldReason;
    await record('rollout.resumed', operatorFields(action));
  });
  setHandler(abortSignal, (action) => {
    if (status.state === 'completed' || status.state === 'aborted') return;
    abortedByParent = siteRun !== undefined;
    abort(action);
  });

  function rollbackTarget(id: string): string | undefined {
    const policy = maybeStage(id) ? definition(id).onFailure : undefined;
    return typeof policy === 'object' ? policy.rollback : undefined;
  }

  /** enterStage starts (or restarts) a stage's evidence window: a fresh attempt with nothing signed. */
  function enterStage(id: string): void {
    const at = Date.now();
    const current = stage(id);
    setStage({
      ...withoutAttempt(current),
      state: 'running',
      startedAt: current.startedAt ?? iso(at),
      windowStartedAt: iso(at),
      endsNoEarlierThan: iso(at + parseDuration(definition(id).minDuration)!),
      attempt: current.attempt + 1,
      ...(definition(id).forEach ? planSiteStage(definition(id), at) : {}),
    });
  }

  /**
   * announcePassed records and notifies that a stage passed. The approve handler records first,
   * passStage notifies first; each keeps its order, since the search-attribute upsert of the
   * record and the deliveries of the notification are commands in the workflow's history.
   */
  function announcePassed(id: string, order: 'record-first' | 'notify-first', detail?: Record<string, unknown>): Promise<void> {
    if (order === 'notify-first') notify('stage.passed', { stageId: id });
    const recorded = record('stage.passed', { stageId: id, ...(detail ? { detail } : {}) });
    if (order === 'record-first') notify('stage.passed', { stageId: id });
    return recorded;
  }

  /** passStage passes a stage that needs no further sign-off here (a forEach stage whose sites all passed, a settled steady-state stage). */
  async function passStage(id: string, detail: Record<string, unknown>): Promise<void> {
    const { awaitingSince: _awaiting, ...rest } = stage(id);
    setStage({ ...rest, state: 'passed', passedAt: now() });
    await announcePassed(id, 'notify-first', detail);
  }

  /**
   * holdStage stops a stage for a person: after failing criteria, criteria inconclusive at
   * maxDuration, or a failed site of a forEach stage whose onSiteFailure is halt.
   */
  async function holdStage(id: string, cause: HoldCause, reason: string): Promise<void> {
    setStage({ ...stage(id), state: 'held', hold: { cause, reason, at: now() } });
    notify('stage.failed', {
      stageId: id,
      action: `Stage "${definition(id).title}" is held: ${reason}. A deployment lead chooses retry-window, rollback or abort.`,
      detail: { cause },
    });
    await record('stage.held', { stageId: id, reason, detail: { cause } });
  }

  /** failStage applies the stage's onFailure policy to failing criteria. */
  async function failStage(id: string, reason: string): Promise<void> {
    const policy = definition(id).onFailure;
    await record('stage.criteria-failed', { stageId: id, reason });
    if (policy === 'abort') {
      abort({ reason: `stage ${id}: ${reason}` });
    } else if (typeof policy === 'object') {
      await rollback(id, policy.rollback, reason);
    } else {
      await holdStage(id, 'criteria-failed', reason);
    }
  }

  /** compensate asks every notification target to undo each stage, in reverse order, and waits for the answers. */
  async function compensate(ids: readonly string[]): Promise<void> {
    const order = topologicalOrder(plan.stages).filter((id) => ids.includes(id)).reverse();
    for (const id of order) {
      const sent = notifier.send('stage.compensate', { stageId: id, action: compensationAction(definition(id).title, scopeOf(id)) });
      const results = await Promise.allSettled(sent);
      const failed = results.filter((result) => result.status === 'rejected').length;
      await record(failed ? 'stage.compensation-failed' : 'stage.compensated', {
        stageId: id,
        ...(failed ? { reason: `${failed} of ${results.length} notification targets did not confirm` } : {}),
      });
    }
  }

  /** rollback compensates the stages from target on, then re-enters target: they all return to pending. */
  async function rollback(from: string, target: string, reason: string): Promise<void> {
    rollbacksInFlight += 1;
    try {
      const affected = rollbackScope(plan.stages, target, started);
      await record('stage.rolling-back', { stageId: from, reason, detail: { to: target, stages: affected } });
      await abortChildren(affected, `stage ${from} is rolling back: ${reason}`);
      await compensate(affected);
      for (const id of affected) {
        const { endsNoEarlierThan: _n, windowStartedAt: _w, passedAt: _p, sites: _s, waves: _v, ...rest } = withoutAttempt(stage(id));
        setStage({ ...rest, state: 'pending' });
        started.delete(id);
      }
      await record('stage.rolled-back', { stageId: target, reason, detail: { from, stages: affected } });
    } finally {
      rollbacksInFlight -= 1;
    }
  }

  /** abortChildren asks the site runs, then the steady-state runs, of the given stages still under way to abort. */
  async function abortChildren(ids: readonly string[], reason: string): Promise<void> {
    await sites.signalSites(ids.map(stage), abortSignal, { reason });
    await steadyStates.abortChildren(ids.map(stage), reason);
  }

  /** evaluate runs one criteria evaluation; an evaluation that cannot run counts as inconclusive. */
  async function evaluate(id: string): Promise<Verdict> {
    const before = stage(id);
    const count = before.evaluations + 1;
    setStage({ ...before, evaluations: count });
    const def = definition(id);
    try {
      const evaluation = await evaluateStage({
        evaluationId: `${runKey}:${id}:${before.attempt}:${count}`,
        rolloutId: input.rolloutId,
        stageId: id,
        planVersion: input.planVersion,
        criteria: def.criteria,
        ...(plan.metrics ? { catalog: plan.metrics } : {}),
        stageStartedAt: before.windowStartedAt!,
        now: now(),
        previousConsecutive: before.evaluation?.criteria.map((criterion) => criterion.consecutivePasses) ?? [],
        ...(siteRun ? { scope: siteRun.over === 'sites' ? { site: siteRun.site } : { line: siteRun.site } } : {}),
      });
      if (stage(id).attempt !== before.attempt) return 'inconclusive';
      setStage({ ...stage(id), evaluation });
      if (evaluation.verdict !== before.evaluation?.verdict) {
        await record('stage.evaluated', { stageId: id, detail: { verdict: evaluation.verdict, evaluationId: evaluation.evaluationId } });
      }
      return evaluation.verdict;
    } catch (error) {
      await record('stage.evaluation-failed', { stageId: id, reason: (error as Error).message });
      return 'inconclusive';
    }
  }

  /** escalate runs a stage's escalation chain while it waits for sign-off; it returns when the stage settles. */
  async function escalate(id: string, steps: readonly EscalationStep[], attempt: number): Promise<void> {
    const since = Date.parse(stage(id).awaitingSince!);
    const waiting = () => !isAborted() && stage(id).attempt === attempt && (stage(id).state === 'awaiting-approval' || stage(id).hold?.cause === 'rejected');
    const dueBy = (index: number) => (steps[index] ? iso(since + parseDuration(steps[index].after)!) : undefined);
    if (stage(id).escalationsApplied === 0) {
      notify('stage.awaiting-approval', { stageId: id, action: signOffAction(stage(id), scopeOf(id), dueBy(0)), ...(dueBy(0) ? { dueBy: dueBy(0) } : {}) });
    }
    for (const [index, step] of steps.entries()) {
      if (index < stage(id).escalationsApplied) continue;
      const dueAt = since + parseDuration(step.after)!;
      if (await condition(() => !waiting(), Math.max(1, dueAt - Date.now()))) return;
      setStage({ ...stage(id), escalationsApplied: index + 1 });
      const why = `sign-off of stage ${id} is not complete after ${step.after}`;
      if (step.action === 'escalate') {
        setStage({ ...stage(id), escalatedTo: [...stage(id).escalatedTo, step.to] });
        const next = dueBy(index + 1);
        notify('stage.escalated', { stageId: id, action: escalationAction(stage(id), scopeOf(id), step.to, next), ...(next ? { dueBy: next } : {}) });
        await record('stage.escalated', { stageId: id, role: step.to, reason: why });
      } else if (step.action === 'hold') {
        if (status.state !== 'running') continue;
        status.state = 'held';
        status.heldReason = why;
        notify('rollout.held', { stageId: id, action: `Rollout held: ${why}. A deployment lead decides whether to resume or abort.` });
        await record('rollout.held', { stageId: id, reason: why });
      } else {
        abort({ reason: why });
        return;
      }
    }
  }

  /**
   * waitForExecutionWindow holds a site run until one of its site's execution windows is open
   * (at once when the site has none); false when the rollout was aborted meanwhile.
   */
  async function waitForExecutionWindow(id: string): Promise<boolean> {
    const opensAt = nextWindowStart(plan.sites?.[siteRun!.site], Date.now());
    if (opensAt <= Date.now()) return !isAborted();
    setStage({ ...stage(id), notBefore: iso(opensAt) });
    await record('site.waiting-for-window', { stageId: id, detail: { opensAt: iso(opensAt) } });
    await condition(isAborted, Math.max(1, opensAt - Date.now()));
    const { notBefore: _notBefore, ...rest } = stage(id);
    setStage(rest);
    return !isAborted();
  }

  /**
   * runStage drives one attempt at a stage from wherever it is, so a new run after
   * continue-as-new resumes it mid-way. It returns when the attempt ends: passed, aborted,
   * rolled back to pending, or superseded by a retry-window (which starts a new runner).
   */
  async function runStage(id: string): Promise<void> {
    const def = definition(id);
    if (stage(id).state === 'pending') {
      await condition(() => isAborted() || (prerequisitesSigned(id) && status.state === 'running'));
      if (siteRun && !(await waitForExecutionWindow(id))) return;
      if (isAborted()) return;
      enterStage(id);
      await record('stage.started', { stageId: id, detail: { attempt: stage(id).attempt } });
    }
    if (def.forEach) return sites.run(id);
    if (def.steadyState) return steadyStates.run(id);
    const attempt = stage(id).attempt;
    const current = () => !isAborted() && stage(id).attempt === attempt && stage(id).state !== 'pending' && stage(id).state !== 'passed';
    const intervalMs = parseDuration(def.evaluationInterval)!;
    if (stage(id).state === 'awaiting-approval' || stage(id).hold?.cause === 'rejected') void escalate(id, def.escalation, attempt);
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
      const observed = stage(id).state;
      if (observed === 'held') {
        await condition(() => !current() || stage(id).state !== 'held');
        continue;
      }
      const hasCriteria = def.criteria.length > 0;
      let verdict: Verdict = 'pass';
      if (hasCriteria) {
        const last = stage(id).evaluation;
        const lastAt = last ? Date.parse(last.evaluatedAt) : undefined;
        const due = !last || evaluationDue(lastAt, intervalMs, Date.now());
        const window = { endsNoEarlierThan: stage(id).endsNoEarlierThan!, windowStartedAt: stage(id).windowStartedAt! };
        // Asked before the evaluation, never on a path a message decides, so the patch marker sits where replay looks for it.
        const reserveOnMove = due && patched(WAIT_AFTER_EVALUATION_PATCH);
        verdict = due ? await evaluate(id) : last.verdict;
        // A message can move the stage while its evaluation runs. Whether the SDK hands the
        // workflow that message in the same activation as the evaluation's result, or in a later
        // one of the same workflow task, differs between a live run and its replay. The timer the
        // evaluation alone calls for is therefore always reserved (and, the stage having moved,
        // given up at once), so that the timers after it keep their sequence numbers either way.
        if (!current() || stage(id).state !== observed) {
          if (reserveOnMove && stepAfter(verdict, observed as 'running' | 'awaiting-approval', window) === StageStep.wait) await reserveWait();
          continue;
        }
      }
      const nowMs = Date.now();
      const minEndsAt = Date.parse(stage(id).endsNoEarlierThan!);
      const maxAt = def.maxDuration ? Date.parse(stage(id).windowStartedAt!) + parseDuration(def.maxDuration)! : undefined;
      const state = observed as 'running' | 'awaiting-approval';
      switch (stageStep({ verdict, state, minOver: nowMs >= minEndsAt, maxReached: maxAt !== undefined && nowMs >= maxAt })) {
        case StageStep.fail:
          await failStage(id, failingReason(stage(id).evaluation?.criteria ?? []));
          continue;
        case StageStep.holdInconclusive:
          await holdStage(id, 'inconclusive', `criteria are still inconclusive after maxDuration ${def.maxDuration}`);
          continue;
        case StageStep.awaitApproval: {
          setStage({ ...stage(id), state: 'awaiting-approval', awaitingSince: now() });
          const window = { endsNoEarlierThan: stage(id).endsNoEarlierThan!, windowStartedAt: stage(id).windowStartedAt! };
          const evaluatedAt = stage(id).evaluation?.evaluatedAt;
          const reserveOnMove = patched(WAIT_AFTER_EVALUATION_PATCH);
          await record('stage.awaiting-approval', { stageId: id, detail: { required: def.approvals } });
          void escalate(id, def.escalation, attempt);
          // Sign-offs can come in the workflow task that brings this record's result: as after an
          // evaluation, take the timer the loop's next pass would have taken had none come.
          if (reserveOnMove && (!current() || stage(id).state !== 'awaiting-approval') && nextPassWaits(verdict, window, evaluatedAt)) await reserveWait();
          continue;
        }
        case StageStep.regress:
          setStage({ ...stage(id), state: 'running' });
          await record('stage.criteria-regressed', { stageId: id, detail: { verdict } });
          continue;
        case StageStep.wait: {
          const evaluatedAt = stage(id).evaluation?.evaluatedAt;
          const wakeAt = stageWakeAt({
            now: nowMs,
            hasCriteria,
            ...(evaluatedAt ? { lastEvaluatedAt: Date.parse(evaluatedAt) } : {}),
            intervalMs,
            minEndsAt,
            ...(maxAt !== undefined ? { maxAt } : {}),
            verdict,
          });
          const changed = () => !current() || stage(id).state !== observed;
          if (wakeAt === Infinity) await condition(changed);
          else await condition(changed, Math.max(1, wakeAt - Date.now()));
        }
      }
    }
  }

  /** continueAsNewNow hands the rollout's state to a fresh run, keeping history bounded. */
  async function continueAsNewNow(): Promise<never> {
    await condition(() => allHandlersFinished() && childrenIdle());
    await trail.recording;
    await Promise.race([notifier.settled(), sleep(CONTINUE_AS_NEW_DELIVERY_GRACE)]);
    // Stage runners go on while this waits: hand over only once no event is still being written
    // and no child is being started, with no await between that check and the hand-over.
    for (;;) {
      await condition(() => allHandlersFinished() && childrenIdle());
      const last = trail.recording;
      await last;
      if (last === trail.recording && allHandlersFinished() && childrenIdle()) break;
    }
    const carried = { status, eventSeq: trail.seq, notificationSeq: notifier.seq, ...(abortedBy ? { abortedBy } : {}) };
    return continueAsNew<typeof rolloutWorkflow>({ ...input, carried });
  }

  if (!input.carried) {
    await record('rollout.started', { ...(input.startedBy ? { actor: input.startedBy } : {}), detail: { planDigest: input.planDigest } });
  }
  // Stages under way when the previous run continued as new pick up where they were.
  for (const s of status.stages) if (UNDER_WAY_STATES.has(s.state)) runners.push(runStage(s.id));
  const startable = () => readyStages(plan.stages, passedIds(), started);
  for (;;) {
    await condition(
      () => isAborted() || allPassed() || (status.state === 'running' && startable().length > 0) || workflowInfo().continueAsNewSuggested,
    );
    if (isAborted() || allPassed()) break;
    if (workflowInfo().continueAsNewSuggested) await continueAsNewNow();
    for (const id of startable()) {
      started.add(id);
      runners.push(runStage(id));
    }
  }
  await Promise.all(runners);

  status.endedAt = now();
  let cancelRequestDetail: Record<string, unknown> | undefined;
  if (cancelledThroughTemporal) {
    const request = await cancelRequest();
    abortedBy = { by: request.identity ?? 'unknown', reason: request.reason ? `${CANCELLED_THROUGH_TEMPORAL}: ${request.reason}` : CANCELLED_THROUGH_TEMPORAL };
    cancelRequestDetail = { cancelRequest: { source: 'temporal', ...request } };
  }
  if (isAborted()) {
    for (const s of status.stages) if (s.state !== 'passed') setStage({ ...s, state: 'aborted' });
    await abortChildren(status.stages.map((s) => s.id), `the rollout was aborted: ${abortedBy?.reason ?? ''}`);
    // A site run compensates only its own failure, and only under onSiteFailure rollback-site.
    if (!siteRun || (siteRun.compensate && !abortedByParent)) await compensate([...started]);
    if (!siteRun) notify('rollout.aborted', { detail: { by: abortedBy?.by, reason: abortedBy?.reason } });
    await record('rollout.aborted', { ...operatorFields(abortedBy ?? {}), ...(cancelRequestDetail ? { detail: cancelRequestDetail } : {}) });
  } else {
    status.state = 'completed';
    if (!siteRun) notify('rollout.completed');
    await record('rollout.completed');
  }
  await condition(allHandlersFinished);
  await notifier.settled();
  await reportToParent(isAborted() ? (abortedByParent ? 'aborted' : 'failed') : 'passed', abortedBy?.reason);
  // The request is honoured: Temporal shows the run cancelled, the trail and registry say aborted and by whom.
  if (cancelledThroughTemporal) throw new CancelledFailure(`rollout ${input.rolloutId} aborted: ${abortedBy?.reason ?? CANCELLED_THROUGH_TEMPORAL}`);
  return status;
}

function activeStageIds(status: RolloutStatus): string[] {
  return status.stages.filter((stage) => UNDER_WAY_STATES.has(stage.state)).map((stage) => stage.id);
}

/** withoutAttempt is a stage without what belongs to its last attempt: its hold, evaluation, sign-off wait, steady-state run, approvals and escalations. */
function withoutAttempt(current: StageStatus): StageStatus {
  const { hold: _hold, evaluation: _evaluation, awaitingSince: _awaiting, steadyState: _steadyState, ...rest } = current;
  return { ...rest, approvals: [], escalatedTo: [], escalationsApplied: 0 };
}
