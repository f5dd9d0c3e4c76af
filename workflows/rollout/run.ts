import { ApplicationFailure, getExternalWorkflowHandle, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { parseDuration } from '../../definitions/duration';
import { topologicalOrder } from '../../definitions/graph';
import type { NotificationEvent, Stage } from '../../definitions/schema';
import { iso, now } from '../../policy/clock';
import { compensationAction } from '../interventions';
import { abortSignal, childProgressSignal } from '../messages';
import { UNDER_WAY_STATES, type ChildOutcome, type HoldCause, type OperatorAction, type RolloutStatus, type StageStatus } from '../../policy/rollout-types';
import type { RolloutInput } from '../rollout-types';
import { RolloutStageKey, RolloutStateKey } from '../search-attributes';
import { planSiteStage, plannedSiteStages, rolloutPrerequisites } from '../site-plan';
import { createSiteRunner } from '../site-waves';
import type { Refusal, SignOffContext } from '../../policy/sign-off';
import { rollbackScope } from '../../policy/stage-policy';
import { createSteadyStateRunner } from '../steady-state-stage';
import { createNotifier, createTrail, type EventFields, type NotificationFields } from '../trail';

/** The reason an abort carries when it came as a cancellation requested through Temporal. */
export const CANCELLED_THROUGH_TEMPORAL = 'cancellation requested through Temporal';

/**
 * RolloutRun owns one run of a rollout: its status and every transition of it. The workflow
 * file wires Temporal's messages to it, the stage runner (stage-runner.ts) drives each stage
 * through it, and the site and steady-state runners reach the rollout only through it.
 * A site run (input.site) is one site of a parent's forEach stage: see SiteRun.
 */
export class RolloutRun {
  readonly input: RolloutInput;
  readonly plan: RolloutInput['plan'];
  readonly status: RolloutStatus;
  /**
   * started holds the stages whose runner this run has begun: a stage joins it while still
   * pending (waiting for its prerequisites or execution window), so it is not started twice.
   * It is not carried across continue-as-new but rebuilt from the stage states, as the stages
   * past pending: a stage still pending then is started again by the new run.
   */
  readonly started: Set<string>;
  /** runners are the stage coroutines; a retry-window adds one from its update handler. */
  readonly runners: Promise<void>[] = [];
  abortedBy: OperatorAction | undefined;
  abortedByParent = false;
  /** cancelledThroughTemporal: this run was aborted by a cancellation requested through Temporal. */
  cancelledThroughTemporal = false;
  /** Rollbacks under way: continue-as-new waits for them, so none is cut between compensation and reset. */
  rollbacksInFlight = 0;
  /** A site run (input.site) is one site of a parent's forEach stage: see SiteRun. */
  readonly siteRun: RolloutInput['site'];
  /** runKey prefixes event, delivery and evaluation ids: a site run shares its parent's rollout id. */
  readonly runKey: string;
  readonly trail: ReturnType<typeof createTrail>;
  readonly notifier: ReturnType<typeof createNotifier>;
  readonly sites: ReturnType<typeof createSiteRunner>;
  readonly steadyStates: ReturnType<typeof createSteadyStateRunner>;
  /** RolloutState and RolloutStage are upserted only when they change, to keep history small. */
  private publishedAttributes = '';
  private reported = '';

  constructor(input: RolloutInput) {
    this.input = input;
    this.plan = input.plan;
    this.status = input.carried?.status ?? initialStatus(input);
    this.started = new Set<string>(this.status.stages.filter((s) => s.state !== 'pending').map((s) => s.id));
    this.abortedBy = input.carried?.abortedBy;
    this.siteRun = input.site;
    this.runKey = this.siteRun ? workflowInfo().workflowId : input.rolloutId;
    const siteRun = this.siteRun;
    // Every recorded change publishes the search attributes first. A site run then reports to
    // its parent instead of writing the registry, which holds the parent's status.
    this.trail = createTrail({
      idPrefix: this.runKey,
      base: { rolloutId: input.rolloutId, planName: input.planName, planVersion: input.planVersion },
      seq: input.carried?.eventSeq ?? 0,
      beforeRecord: () => {
        this.syncSearchAttributes();
        if (siteRun) void this.reportToParent();
      },
      ...(siteRun
        ? {}
        : { progress: () => ({ state: this.status.state, activeStages: activeStageIds(this.status), status: JSON.parse(JSON.stringify(this.status)) as RolloutStatus }) }),
    });
    // Notifications go to every target that wants the event. A failing receiver is retried and
    // recorded by the activity, and shows in the rollout's status, but never blocks a state
    // change: the workflow waits for deliveries only at its end, and compensation for its own.
    this.notifier = createNotifier({
      idPrefix: this.runKey,
      targets: this.plan.notifications,
      base: () => ({
        rolloutId: input.rolloutId,
        plan: input.planName,
        version: input.planVersion,
        state: this.status.state,
        ...(siteRun ? { site: siteRun.site } : {}),
      }),
      seq: input.carried?.notificationSeq ?? 0,
    });
    this.sites = createSiteRunner(this);
    this.steadyStates = createSteadyStateRunner(this);
  }

  private stageAt(id: string): number {
    return this.status.stages.findIndex((stage) => stage.id === id);
  }
  stage(id: string): StageStatus {
    return this.status.stages[this.stageAt(id)]!;
  }
  maybeStage(id: string): StageStatus | undefined {
    return this.status.stages[this.stageAt(id)];
  }
  definition(id: string): Stage {
    return this.plan.stages[this.stageAt(id)]!;
  }
  setStage(next: StageStatus): void {
    this.status.stages[this.stageAt(next.id)] = next;
  }
  passedIds(): Set<string> {
    return new Set(this.status.stages.filter((s) => s.state === 'passed').map((s) => s.id));
  }
  allPassed(): boolean {
    return this.status.stages.every((s) => s.state === 'passed');
  }
  isAborted(): boolean {
    return this.status.state === 'aborted';
  }
  /** mayStartWork: the rollout is running (not paused or held). */
  mayStartWork(): boolean {
    return this.status.state === 'running';
  }
  scopeOf(id: string): Stage['scope'] {
    return this.definition(id).scope;
  }
  signOffContext(): SignOffContext {
    return {
      rolloutState: this.status.state,
      roles: this.plan.roles,
      allowSelfApproval: this.plan.allowSelfApproval,
      ...(this.input.startedBy ? { startedBy: this.input.startedBy } : {}),
    };
  }
  /** Prerequisites without `before` gate every stage; the others gate the stage they name; per-site ones gate their site. */
  prerequisitesSigned(id: string): boolean {
    return this.status.prerequisites.every((p) => p.site !== undefined || p.signed || (p.before !== undefined && p.before !== id));
  }
  sitePrerequisitesSigned(id: string, site: string): boolean {
    return this.status.prerequisites.every((p) => p.site !== site || p.before !== id || p.signed !== undefined);
  }
  rollbackTarget(id: string): string | undefined {
    const policy = this.maybeStage(id) ? this.definition(id).onFailure : undefined;
    return typeof policy === 'object' ? policy.rollback : undefined;
  }
  childrenIdle(): boolean {
    return this.sites.idle() && this.steadyStates.idle() && this.rollbacksInFlight === 0;
  }

  private syncSearchAttributes(): void {
    const active = activeStageIds(this.status).join(',');
    const current = `${this.status.state}|${active}`;
    if (current === this.publishedAttributes) return;
    this.publishedAttributes = current;
    upsertSearchAttributes([
      { key: RolloutStateKey, value: this.status.state },
      { key: RolloutStageKey, value: active === '' ? null : active },
    ]);
  }

  /**
   * record writes an audit event. In the parent's trail, a site run's own start and end read
   * site-run.started and so on, and every event of a site run names its site.
   */
  record(type: string, fields: EventFields = {}): Promise<void> {
    const siteRun = this.siteRun;
    return siteRun
      ? this.trail.record(type.replace(/^rollout\./, 'site-run.'), { ...fields, detail: { ...fields.detail, site: siteRun.site } })
      : this.trail.record(type, fields);
  }

  notify(type: NotificationEvent, fields: NotificationFields = {}): void {
    this.notifier.notify(type, fields);
  }

  /**
   * reportToParent tells a site run's parent its stage state, when its execution window opens
   * and whether the run itself is held (an escalation hold, which the rollout's resume ends),
   * whenever one of them changed; and at the end how the run settled.
   */
  reportToParent(settled?: ChildOutcome, reason?: string): Promise<void> {
    const siteRun = this.siteRun;
    const { state, notBefore } = this.status.stages[0]!;
    const heldReason = this.status.state === 'held' ? this.status.heldReason : undefined;
    const current = JSON.stringify([state, notBefore, heldReason]);
    if (!siteRun || (settled === undefined && current === this.reported)) return Promise.resolve();
    this.reported = current;
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
  }

  abort(action: OperatorAction): void {
    this.status.state = 'aborted';
    this.abortedBy = action;
  }

  /** onCancellationRequest makes a cancellation requested through Temporal an abort. */
  onCancellationRequest(): void {
    if (this.status.state === 'completed' || this.status.state === 'aborted') return;
    this.cancelledThroughTemporal = true;
    this.abort({ reason: CANCELLED_THROUGH_TEMPORAL });
  }

  /** enterStage starts (or restarts) a stage's evidence window: a fresh attempt with nothing signed. */
  enterStage(id: string): void {
    const at = Date.now();
    const current = this.stage(id);
    const def = this.definition(id);
    this.setStage({
      ...withoutAttempt(current),
      state: 'running',
      startedAt: current.startedAt ?? iso(at),
      windowStartedAt: iso(at),
      endsNoEarlierThan: iso(at + parseDuration(def.minDuration)!),
      attempt: current.attempt + 1,
      ...(def.forEach ? planSiteStage(def, at) : {}),
    });
  }

  /**
   * announcePassed records and notifies that a stage passed. The approve handler records first,
   * passStage notifies first; each keeps its order, since the search-attribute upsert of the
   * record and the deliveries of the notification are commands in the workflow's history.
   */
  announcePassed(id: string, order: 'record-first' | 'notify-first', detail?: Record<string, unknown>): Promise<void> {
    if (order === 'notify-first') this.notify('stage.passed', { stageId: id });
    const recorded = this.record('stage.passed', { stageId: id, ...(detail ? { detail } : {}) });
    if (order === 'record-first') this.notify('stage.passed', { stageId: id });
    return recorded;
  }

  /** passStage passes a stage that needs no further sign-off here (a forEach stage whose sites all passed, a settled steady-state stage). */
  async passStage(id: string, detail: Record<string, unknown>): Promise<void> {
    const { awaitingSince: _awaiting, ...rest } = this.stage(id);
    this.setStage({ ...rest, state: 'passed', passedAt: now() });
    await this.announcePassed(id, 'notify-first', detail);
  }

  /**
   * holdStage stops a stage for a person: after failing criteria, criteria inconclusive at
   * maxDuration, or a failed site of a forEach stage whose onSiteFailure is halt.
   */
  async holdStage(id: string, cause: HoldCause, reason: string): Promise<void> {
    this.setStage({ ...this.stage(id), state: 'held', hold: { cause, reason, at: now() } });
    this.notify('stage.failed', {
      stageId: id,
      action: `Stage "${this.definition(id).title}" is held: ${reason}. A deployment lead chooses retry-window, rollback or abort.`,
      detail: { cause },
    });
    await this.record('stage.held', { stageId: id, reason, detail: { cause } });
  }

  /** failStage applies the stage's onFailure policy to failing criteria. */
  async failStage(id: string, reason: string): Promise<void> {
    const policy = this.definition(id).onFailure;
    await this.record('stage.criteria-failed', { stageId: id, reason });
    if (policy === 'abort') {
      this.abort({ reason: `stage ${id}: ${reason}` });
    } else if (typeof policy === 'object') {
      await this.rollback(id, policy.rollback, reason);
    } else {
      await this.holdStage(id, 'criteria-failed', reason);
    }
  }

  /** compensate asks every notification target to undo each stage, in reverse order, and waits for the answers. */
  async compensate(ids: readonly string[]): Promise<void> {
    const order = topologicalOrder(this.plan.stages).filter((id) => ids.includes(id)).reverse();
    for (const id of order) {
      const sent = this.notifier.send('stage.compensate', { stageId: id, action: compensationAction(this.definition(id).title, this.scopeOf(id)) });
      const results = await Promise.allSettled(sent);
      const failed = results.filter((result) => result.status === 'rejected').length;
      await this.record(failed ? 'stage.compensation-failed' : 'stage.compensated', {
        stageId: id,
        ...(failed ? { reason: `${failed} of ${results.length} notification targets did not confirm` } : {}),
      });
    }
  }

  /** rollback compensates the stages from target on, then re-enters target: they all return to pending. */
  async rollback(from: string, target: string, reason: string): Promise<void> {
    this.rollbacksInFlight += 1;
    try {
      const affected = rollbackScope(this.plan.stages, target, this.started);
      await this.record('stage.rolling-back', { stageId: from, reason, detail: { to: target, stages: affected } });
      await this.abortChildren(affected, `stage ${from} is rolling back: ${reason}`);
      await this.compensate(affected);
      for (const id of affected) {
        const { endsNoEarlierThan: _n, windowStartedAt: _w, passedAt: _p, sites: _s, waves: _v, ...rest } = withoutAttempt(this.stage(id));
        this.setStage({ ...rest, state: 'pending' });
        this.started.delete(id);
      }
      await this.record('stage.rolled-back', { stageId: target, reason, detail: { from, stages: affected } });
    } finally {
      this.rollbacksInFlight -= 1;
    }
  }

  /** abortChildren asks the site runs, then the steady-state runs, of the given stages still under way to abort. */
  async abortChildren(ids: readonly string[], reason: string): Promise<void> {
    await this.sites.signalSites(ids.map((id) => this.stage(id)), abortSignal, { reason });
    await this.steadyStates.abortChildren(ids.map((id) => this.stage(id)), reason);
  }
}

/** refuse turns a sign-off rule's refusal into the ApplicationFailure an update validator throws. */
export function refuse(refusal: Refusal | undefined): void {
  if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
}

/** operatorFields are the audit fields of a pause, resume or abort. */
export const operatorFields = (action: OperatorAction): EventFields => ({
  ...(action.by ? { actor: action.by } : {}),
  ...(action.reason ? { reason: action.reason } : {}),
  ...(action.requestId ? { requestId: action.requestId } : {}),
});

function initialStatus(input: RolloutInput): RolloutStatus {
  const { plan } = input;
  const wavePlans = plannedSiteStages(plan, Date.now());
  return {
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
      ...wavePlans.get(stage.id),
    })),
  };
}

export function activeStageIds(status: RolloutStatus): string[] {
  return status.stages.filter((stage) => UNDER_WAY_STATES.has(stage.state)).map((stage) => stage.id);
}

/** withoutAttempt is a stage without what belongs to its last attempt: its hold, evaluation, sign-off wait, steady-state run, approvals and escalations. */
export function withoutAttempt(current: StageStatus): StageStatus {
  const { hold: _hold, evaluation: _evaluation, awaitingSince: _awaiting, steadyState: _steadyState, ...rest } = current;
  return { ...rest, approvals: [], escalatedTo: [], escalationsApplied: 0 };
}
