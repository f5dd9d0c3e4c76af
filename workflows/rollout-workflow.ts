import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import { parseDuration } from '../definitions/duration';
import { readyStages } from '../definitions/graph';
import type { EscalationStep, NotificationEvent } from '../definitions/schema';
import { escalationAction, signOffAction } from './interventions';
import { abortSignal, approveStageUpdate, pauseSignal, recordOverrideUpdate, resumeSignal, statusQuery } from './messages';
import type { OperatorAction, RolloutInput, RolloutStatus, StageState, StageStatus } from './rollout-types';
import { RolloutStageKey, RolloutStateKey } from './search-attributes';
import { applyDecision, checkDecision, checkOverride, type Refusal, type SignOffContext } from './sign-off';
import { WEBHOOK_RETRY, WEBHOOK_TIMEOUTS } from './webhook-options';

/**
 * Audit writes retry without limit: the trail must not lose an event, so the workflow waits
 * for the database rather than move on without it.
 */
const { recordEvent } = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Webhook deliveries retry on their own schedule and never hold up the rollout (see notify). */
const { deliverWebhook } = proxyActivities<RolloutActivities>({ ...WEBHOOK_TIMEOUTS, retry: WEBHOOK_RETRY });

/**
 * Before continuing as new, the workflow lets webhook deliveries finish for at most this long;
 * deliveries still retrying after it are abandoned (their attempts stay recorded).
 */
const CONTINUE_AS_NEW_DELIVERY_GRACE = '5 minutes';

/** Stage states in which a stage is under way (it shows in RolloutStage and activeStages). */
const ACTIVE_STATES: ReadonlySet<StageState> = new Set(['running', 'awaiting-approval', 'held']);

interface EventFields {
  stageId?: string;
  actor?: string;
  role?: string;
  reason?: string;
  requestId?: string;
  detail?: Record<string, unknown>;
}

/**
 * rolloutWorkflow runs a plan's stage graph. A stage starts once every stage it depends on has
 * passed, so independent stages run in parallel. Each stage waits its minDuration on a durable
 * timer, then waits for sign-off (approveStageUpdate) while its escalation chain runs, then
 * passes. The rollout completes when every stage has passed, or ends early on abortSignal.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutStatus> {
  const { plan } = input;
  const status: RolloutStatus = input.carried?.status ?? {
    rolloutId: input.rolloutId,
    plan: input.planName,
    version: input.planVersion,
    digest: input.planDigest,
    state: 'running',
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
    startedAt: now(),
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
      ...(stage.overrideAuthority ? { overrideAuthority: stage.overrideAuthority } : {}),
      overrides: [],
    })),
  };
  // A stage has started once it left pending; the set is derived, so it survives continue-as-new.
  const started = new Set<string>(status.stages.filter((s) => s.state !== 'pending').map((s) => s.id));
  let abortedBy: OperatorAction | undefined = input.carried?.abortedBy;

  const stageAt = (id: string): number => status.stages.findIndex((stage) => stage.id === id);
  const stage = (id: string): StageStatus => status.stages[stageAt(id)]!;
  const maybeStage = (id: string): StageStatus | undefined => status.stages[stageAt(id)];
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

  // Events are written one after another, so the trail's order and the registry's status
  // snapshot follow the workflow's own order even when stages run in parallel.
  let eventSeq = input.carried?.eventSeq ?? 0;
  let recording: Promise<void> = Promise.resolve();
  const record = (type: string, fields: EventFields = {}): Promise<void> => {
    syncSearchAttributes();
    eventSeq += 1;
    const event = {
      eventId: `${input.rolloutId}:${eventSeq}`,
      rolloutId: input.rolloutId,
      planName: input.planName,
      planVersion: input.planVersion,
      type,
      occurredAt: now(),
      ...fields,
      actor: fields.actor ?? 'rollgate',
    };
    const progress = { state: status.state, activeStages: activeStageIds(status), status: JSON.parse(JSON.stringify(status)) as RolloutStatus };
    recording = recording.then(() => recordEvent({ event, progress }));
    return recording;
  };

  // Notifications go to every target that wants the event. Deliveries are not awaited where
  // they are sent: a failing receiver is retried and recorded by the activity, and shows in the
  // rollout's status, but never blocks a state change. The workflow waits for them only at its end.
  let notificationSeq = input.carried?.notificationSeq ?? 0;
  const deliveries: Promise<unknown>[] = [];
  const notify = (type: NotificationEvent, fields: { stageId?: string; action?: string; dueBy?: string; detail?: Record<string, unknown> } = {}): void => {
    notificationSeq += 1;
    const event = { type, occurredAt: now(), rolloutId: input.rolloutId, plan: input.planName, version: input.planVersion, state: status.state, ...fields };
    plan.notifications.forEach((target, index) => {
      if (target.events && !target.events.includes(type)) return;
      const deliveryId = `${input.rolloutId}:${notificationSeq}:${index}`;
      deliveries.push(deliverWebhook({ deliveryId, rolloutId: input.rolloutId, target, event }).catch(() => undefined));
    });
  };
  const scopeOf = (id: string) => plan.stages[stageAt(id)]!.scope;

  const abort = (action: OperatorAction): void => {
    status.state = 'aborted';
    abortedBy = action;
  };

  setHandler(statusQuery, () => status);

  setHandler(
    approveStageUpdate,
    async (decision) => {
      const next = applyDecision(signOffContext(), stage(decision.stageId), decision, now());
      setStage(next);
      const signOff = next.history[next.history.length - 1]!;
      const onReject = plan.stages[stageAt(next.id)]!.onFailure;
      // Events are queued before the first await, so they precede whatever the decision unblocks.
      const recorded = [
        record(decision.decision === 'approve' ? 'stage.approved' : 'stage.rejected', {
          stageId: next.id,
          actor: decision.actor.name,
          role: signOff.role,
          ...(decision.comment ? { reason: decision.comment } : {}),
          ...(decision.requestId ? { requestId: decision.requestId } : {}),
          detail: { stageState: next.state },
        }),
      ];
      if (next.state === 'passed') {
        recorded.push(record('stage.passed', { stageId: next.id }));
        notify('stage.passed', { stageId: next.id });
      }
      if (decision.decision === 'reject') notify('stage.rejected', { stageId: next.id, detail: { by: decision.actor.name, reason: decision.comment } });
      if (decision.decision === 'reject' && onReject === 'abort') {
        abort({ by: decision.actor.name, reason: `stage ${next.id} was rejected: ${decision.comment ?? ''}`, ...(decision.requestId ? { requestId: decision.requestId } : {}) });
      }
      await Promise.all(recorded);
      return stage(decision.stageId);
    },
    { validator: (decision) => refuse(checkDecision(signOffContext(), maybeStage(decision.stageId), decision)) },
  );

  setHandler(
    recordOverrideUpdate,
    async (request) => {
      const at = now();
      const current = stage(request.stageId);
      const override = {
        by: request.actor.name,
        role: current.overrideAuthority!,
        reason: request.reason,
        at,
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

  const operatorFields = (action: OperatorAction): EventFields => ({
    ...(action.by ? { actor: action.by } : {}),
    ...(action.reason ? { reason: action.reason } : {}),
    ...(action.requestId ? { requestId: action.requestId } : {}),
  });
  setHandler(pauseSignal, async (action) => {
    if (status.state !== 'running') return;
    status.state = 'paused';
    await record('rollout.paused', operatorFields(action));
  });
  setHandler(resumeSignal, async (action) => {
    if (status.state !== 'paused' && status.state !== 'held') return;
    status.state = 'running';
    delete status.heldReason;
    await record('rollout.resumed', operatorFields(action));
  });
  setHandler(abortSignal, (action) => {
    if (status.state === 'completed' || status.state === 'aborted') return;
    abort(action);
  });

  /** escalate runs a stage's escalation chain while it waits for sign-off; it returns when the stage settles. */
  async function escalate(id: string, steps: readonly EscalationStep[]): Promise<void> {
    const since = Date.parse(stage(id).awaitingSince!);
    const settled = () => isAborted() || stage(id).state === 'passed';
    const dueBy = (index: number) => (steps[index] ? iso(since + parseDuration(steps[index].after)!) : undefined);
    if (stage(id).escalationsApplied === 0) {
      notify('stage.awaiting-approval', { stageId: id, action: signOffAction(stage(id), scopeOf(id), dueBy(0)), ...(dueBy(0) ? { dueBy: dueBy(0) } : {}) });
    }
    for (const [index, step] of steps.entries()) {
      if (index < stage(id).escalationsApplied) continue;
      const dueAt = since + parseDuration(step.after)!;
      if (await condition(settled, Math.max(1, dueAt - Date.now()))) return;
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

  /** runStage drives one stage from where it is: a new run after continue-as-new resumes it mid-way. */
  async function runStage(id: string): Promise<void> {
    const definition = plan.stages[stageAt(id)]!;
    if (stage(id).state === 'pending') {
      const minDurationMs = parseDuration(definition.minDuration)!;
      const startedAt = Date.now();
      setStage({ ...stage(id), state: 'running', startedAt: iso(startedAt), endsNoEarlierThan: iso(startedAt + minDurationMs) });
      await record('stage.started', { stageId: id });
    }
    if (stage(id).state === 'running') {
      const remaining = Date.parse(stage(id).endsNoEarlierThan!) - Date.now();
      if (remaining > 0 ? await condition(isAborted, remaining) : isAborted()) return;
      setStage({ ...stage(id), state: 'awaiting-approval', awaitingSince: now() });
      await record('stage.awaiting-approval', { stageId: id, detail: { required: definition.approvals } });
    }
    await escalate(id, definition.escalation);
    await condition(() => isAborted() || stage(id).state === 'passed');
  }

  /** continueAsNewNow hands the rollout's state to a fresh run, keeping history bounded. */
  async function continueAsNewNow(): Promise<never> {
    await condition(allHandlersFinished);
    await recording;
    await Promise.race([Promise.all(deliveries), sleep(CONTINUE_AS_NEW_DELIVERY_GRACE)]);
    const carried = { status, eventSeq, notificationSeq, ...(abortedBy ? { abortedBy } : {}) };
    return continueAsNew<typeof rolloutWorkflow>({ ...input, carried });
  }

  if (!input.carried) {
    await record('rollout.started', { ...(input.startedBy ? { actor: input.startedBy } : {}), detail: { planDigest: input.planDigest } });
  }
  const runners: Promise<void>[] = [];
  // Stages under way when the previous run continued as new pick up where they were.
  for (const s of status.stages) if (ACTIVE_STATES.has(s.state)) runners.push(runStage(s.id));
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
  if (isAborted()) {
    for (const s of status.stages) if (s.state !== 'passed') setStage({ ...s, state: 'aborted' });
    notify('rollout.aborted', { detail: { by: abortedBy?.by, reason: abortedBy?.reason } });
    await record('rollout.aborted', operatorFields(abortedBy ?? {}));
  } else {
    status.state = 'completed';
    notify('rollout.completed');
    await record('rollout.completed');
  }
  await condition(allHandlersFinished);
  await Promise.all(deliveries);
  return status;
}

function activeStageIds(status: RolloutStatus): string[] {
  return status.stages.filter((stage) => ACTIVE_STATES.has(stage.state)).map((stage) => stage.id);
}

function now(): string {
  return new Date().toISOString();
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
