import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { RecordEventInput } from '../../activities';
import { parseDuration } from '../../definitions/duration';
import { topologicalOrder } from '../../definitions/graph';
import type { NotificationEvent, Stage } from '../../definitions/schema';
import { iso, now } from '../../policy/clock';
import { compensationAction } from '../interventions';
import { abortSignal } from './messages';
import type { ChildOutcome, HoldCause, OperatorAction, RolloutStatus, StageStatus } from '../../policy/rollout-types';
import type { RolloutInput } from '../rollout-types';
import { RolloutStageKey, RolloutStateKey } from '../search-attributes';
import { planSiteStage } from '../site-plan';
import { activeStageIds, initialStatus, withoutAttempt } from './status';
import { createSiteRunner } from './site-waves';
import type { SignOffContext } from '../../policy/sign-off';
import { rollbackScope } from '../../policy/stage-policy';
import { failureAction, type FailureAction } from '../../policy/stage-machine';
import { createSteadyStateRunner } from './steady-state';
import { createNotifier, createTrail, type EventFields, type NotificationFields } from '../trail';

/**
 * The patch under which the trail is lean (workflows/trail.ts): one write per transition, with
 * one snapshot, that nobody waits for but the workflow's end, continue-as-new and compensation.
 */
export const LEAN_TRAIL_PATCH = 'audit-trail-transitions';

/** The reason an abort carries when it came as a cancellation requested through Temporal. */
export const CANCELLED_THROUGH_TEMPORAL = 'cancellation requested through Temporal';

/**
 * RolloutRun owns one run of a rollout: its status and every transition of it. The workflow
 * file wires Temporal's messages to it, the stage runner (stage-runner.ts) drives each stage
 * through it, and the site and steady-state runners reach the rollout only through it.
 * A site run, one site of a parent's forEach stage, is a SiteRolloutRun (site-run.ts).
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
  /** freshEvidence counts the evidenceArrivedSignals heard; stage runners compare it with what their last evaluation saw. */
  freshEvidence = 0;
  /** runKey prefixes event, delivery and evaluation ids: a site run shares its parent's rollout id. */
  readonly runKey: string;
  readonly trail: ReturnType<typeof createTrail>;
  readonly notifier: ReturnType<typeof createNotifier>;
  readonly sites: ReturnType<typeof createSiteRunner>;
  readonly steadyStates: ReturnType<typeof createSteadyStateRunner>;
  /** RolloutState and RolloutStage are upserted only when they change, to keep history small. */
  private publishedAttributes = '';

  constructor(input: RolloutInput) {
    this.input = input;
    this.plan = input.plan;
    this.status = input.carried?.status ?? initialStatus(input);
    this.started = new Set<string>(this.status.stages.filter((s) => s.state !== 'pending').map((s) => s.id));
    this.abortedBy = input.carried?.abortedBy;
    this.runKey = this.ownRunKey();
    // Every recorded change publishes the search attributes first.
    const progress = this.registryProgress();
    this.trail = createTrail({
      idPrefix: this.runKey,
      base: { rolloutId: input.rolloutId, planName: input.planName, planVersion: input.planVersion },
      seq: input.carried?.eventSeq ?? 0,
      beforeRecord: () => this.beforeRecord(),
      ...(progress ? { progress } : {}),
      lean: patched(LEAN_TRAIL_PATCH),
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
        ...this.notificationSite(),
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

  /** ownRunKey is the rollout id: event, delivery and evaluation ids start with it. */
  protected ownRunKey(): string {
    return this.input.rolloutId;
  }

  /** registryProgress is the snapshot every event writes to the rollout registry. */
  protected registryProgress(): (() => NonNullable<RecordEventInput['progress']>) | undefined {
    return () => ({ state: this.status.state, activeStages: activeStageIds(this.status), status: JSON.parse(JSON.stringify(this.status)) as RolloutStatus });
  }

  /** beforeRecord runs as each event is recorded, before it is numbered. */
  protected beforeRecord(): void {
    this.syncSearchAttributes();
  }

  /** notificationSite is what a notification says of the site it concerns: nothing, for a whole rollout. */
  protected notificationSite(): { site?: string } {
    return {};
  }

  /**
   * record writes an audit event to the rollout's trail. On a lean trail it returns at once and
   * the write follows in order; await `recorded()` where an effect outside the trail must come
   * after it.
   */
  record(type: string, fields: EventFields = {}): Promise<void> {
    return this.trail.record(type, fields);
  }

  /** transition records every event fn records in one write (on a lean trail). */
  transition<T>(fn: () => T): T {
    return this.trail.transition(fn);
  }

  /** recorded waits until every event recorded so far is written: on a classic trail, the callers' own awaits already did. */
  recorded(): Promise<void> {
    return this.trail.lean ? this.trail.recording : Promise.resolve();
  }

  notify(type: NotificationEvent, fields: NotificationFields = {}): void {
    this.notifier.notify(type, fields);
  }

  /** previousWave: the control sites of `control: { wave: previous }` comparisons; a whole rollout has none. */
  previousWave(): string[] | undefined {
    return undefined;
  }

  /** evidenceScope narrows the evidence a stage's criteria read: a whole rollout reads all of it. */
  evidenceScope(): { site: string } | { line: string } | undefined {
    return undefined;
  }

  /**
   * executionWindow is the wait before a stage may enter, if there is one: a whole rollout has
   * none (a site run waits for its site's execution windows). It resolves false when the run
   * was aborted meanwhile.
   */
  executionWindow(_id: string): Promise<boolean> | undefined {
    return undefined;
  }

  /** abortRequested applies an abort that came as a message: an operator's, for a whole rollout. */
  abortRequested(action: OperatorAction): void {
    if (this.status.state === 'completed' || this.status.state === 'aborted') return;
    this.abort(action);
  }

  /** compensatesOnAbort: an aborted rollout compensates every stage it started. */
  compensatesOnAbort(): boolean {
    return true;
  }

  /** announceEnd notifies the targets that the rollout completed or was aborted. */
  announceEnd(type: 'rollout.completed' | 'rollout.aborted', fields?: NotificationFields): void {
    this.notify(type, fields);
  }

  /** reportEnd tells whoever waits for this run how it settled: nobody, for a whole rollout. */
  reportEnd(_settled: ChildOutcome, _reason: string | undefined): Promise<void> {
    return Promise.resolve();
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

  /** failStage applies a failure action to failing criteria: by default the stage's onFailure, as the stage machine reads it. */
  async failStage(id: string, reason: string, action: FailureAction = failureAction(this.definition(id).onFailure)): Promise<void> {
    await this.record('stage.criteria-failed', { stageId: id, reason });
    if (action.type === 'abort') {
      this.abort({ reason: `stage ${id}: ${reason}` });
    } else if (action.type === 'rollback') {
      await this.rollback(id, action.to, reason);
    } else {
      await this.holdStage(id, 'criteria-failed', reason);
    }
  }

  /** compensate asks every notification target to undo each stage, in reverse order, and waits for the answers. */
  async compensate(ids: readonly string[]): Promise<void> {
    const order = topologicalOrder(this.plan.stages).filter((id) => ids.includes(id)).reverse();
    // Receivers are asked to undo only what the trail already says (the abort or rollback before it).
    if (this.trail.lean) await this.recorded();
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
