import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RolloutActivities } from '../activities';
import { parseDuration } from '../definitions/duration';
import { readyStages } from '../definitions/graph';
import { abortSignal, approveStageUpdate, pauseSignal, resumeSignal, statusQuery } from './messages';
import type { OperatorAction, RolloutInput, RolloutStatus, StageState, StageStatus } from './rollout-types';
import { RolloutStageKey, RolloutStateKey } from './search-attributes';
import { applyDecision, checkDecision } from './sign-off';

/**
 * Audit writes retry without limit: the trail must not lose an event, so the workflow waits
 * for the database rather than move on without it.
 */
const { recordEvent } = proxyActivities<RolloutActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Stage states in which a stage is under way (it shows in RolloutStage and activeStages). */
const ACTIVE_STATES: ReadonlySet<StageState> = new Set(['running', 'awaiting-approval', 'held']);

/**
 * rolloutWorkflow runs a plan's stage graph. A stage starts once every stage it depends on has
 * passed, so independent stages run in parallel. Each stage waits its minDuration on a durable
 * timer, then waits for sign-off (approveStageUpdate), then passes. The rollout completes when
 * every stage has passed, or ends early on abortSignal.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutStatus> {
  const status: RolloutStatus = {
    rolloutId: input.rolloutId,
    plan: input.planName,
    version: input.planVersion,
    digest: input.planDigest,
    state: 'running',
    startedAt: now(),
    stages: input.plan.stages.map((stage) => ({
      id: stage.id,
      title: stage.title,
      state: 'pending',
      dependsOn: stage.dependsOn,
      required: stage.approvals,
      approvals: [],
      history: [],
    })),
  };
  const started = new Set<string>();
  let abortedBy: OperatorAction | undefined;

  const stageAt = (id: string): number => status.stages.findIndex((stage) => stage.id === id);
  const stage = (id: string): StageStatus => status.stages[stageAt(id)]!;
  const setStage = (next: StageStatus): void => {
    status.stages[stageAt(next.id)] = next;
  };
  const passedIds = (): Set<string> => new Set(status.stages.filter((s) => s.state === 'passed').map((s) => s.id));
  const allPassed = (): boolean => status.stages.every((s) => s.state === 'passed');
  const isAborted = (): boolean => status.state === 'aborted';

  // Events are written one after another, so the trail's order and the registry's status
  // snapshot follow the workflow's own order even when stages run in parallel.
  let eventSeq = 0;
  let publishedAttributes = '';
  // RolloutState and RolloutStage are upserted only when they change, to keep history small.
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
  let recording: Promise<void> = Promise.resolve();
  const record = (type: string, fields: { stageId?: string; actor?: string; detail?: Record<string, unknown> } = {}): Promise<void> => {
    syncSearchAttributes();
    eventSeq += 1;
    const event = {
      eventId: `${input.rolloutId}:${eventSeq}`,
      rolloutId: input.rolloutId,
      planName: input.planName,
      planVersion: input.planVersion,
      type,
      actor: fields.actor ?? 'rollgate',
      occurredAt: now(),
      ...(fields.stageId ? { stageId: fields.stageId } : {}),
      ...(fields.detail ? { detail: fields.detail } : {}),
    };
    const progress = { state: status.state, activeStages: activeStageIds(status), status: JSON.parse(JSON.stringify(status)) as RolloutStatus };
    recording = recording.then(() => recordEvent({ event, progress }));
    return recording;
  };

  setHandler(statusQuery, () => status);

  setHandler(
    approveStageUpdate,
    async (decision) => {
      const next = applyDecision(stage(decision.stageId), decision, now());
      setStage(next);
      const signOff = next.history[next.history.length - 1]!;
      // Both events are queued before the first await, so they precede whatever the pass unblocks.
      const recorded = [
        record(decision.decision === 'approve' ? 'stage.approved' : 'stage.rejected', {
          stageId: next.id,
          actor: decision.approver,
          detail: { role: signOff.role, comment: decision.comment, stageState: next.state },
        }),
      ];
      if (next.state === 'passed') recorded.push(record('stage.passed', { stageId: next.id }));
      await Promise.all(recorded);
      return stage(decision.stageId);
    },
    {
      validator: (decision) => {
        const index = stageAt(decision.stageId);
        const refusal = checkDecision(status.state, index < 0 ? undefined : status.stages[index], decision);
        if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
      },
    },
  );

  setHandler(pauseSignal, async (action) => {
    if (status.state !== 'running') return;
    status.state = 'paused';
    await record('rollout.paused', { actor: action.by, detail: { reason: action.reason } });
  });
  setHandler(resumeSignal, async (action) => {
    if (status.state !== 'paused') return;
    status.state = 'running';
    await record('rollout.resumed', { actor: action.by, detail: { reason: action.reason } });
  });
  setHandler(abortSignal, (action) => {
    if (status.state !== 'running' && status.state !== 'paused') return;
    status.state = 'aborted';
    abortedBy = action;
  });

  async function runStage(id: string): Promise<void> {
    const minDurationMs = parseDuration(input.plan.stages[stageAt(id)]!.minDuration)!;
    const startedAt = Date.now();
    setStage({
      ...stage(id),
      state: 'running',
      startedAt: iso(startedAt),
      endsNoEarlierThan: iso(startedAt + minDurationMs),
    });
    await record('stage.started', { stageId: id });
    if (await condition(isAborted, minDurationMs)) return;
    setStage({ ...stage(id), state: 'awaiting-approval' });
    await record('stage.awaiting-approval', { stageId: id, detail: { required: stage(id).required } });
    await condition(() => isAborted() || stage(id).state === 'passed');
  }

  await record('rollout.started', { actor: input.startedBy, detail: { planDigest: input.planDigest } });
  const runners: Promise<void>[] = [];
  const startable = () => readyStages(input.plan.stages, passedIds(), started);
  for (;;) {
    await condition(() => isAborted() || allPassed() || (status.state === 'running' && startable().length > 0));
    if (isAborted() || allPassed()) break;
    for (const id of startable()) {
      started.add(id);
      runners.push(runStage(id));
    }
  }
  await Promise.all(runners);

  status.endedAt = now();
  if (isAborted()) {
    for (const s of status.stages) if (s.state !== 'passed') setStage({ ...s, state: 'aborted' });
    await record('rollout.aborted', { actor: abortedBy?.by, detail: { reason: abortedBy?.reason } });
  } else {
    status.state = 'completed';
    await record('rollout.completed');
  }
  await condition(allHandlersFinished);
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
