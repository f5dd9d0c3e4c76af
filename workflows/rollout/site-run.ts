import { condition, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { nextWindowStart } from '../../definitions/sites';
import { iso, now } from '../../policy/clock';
import { childProgressSignal } from './messages';
import type { ChildOutcome, OperatorAction } from '../../policy/rollout-types';
import type { RolloutInput, SiteRun } from '../rollout-types';
import type { EventFields } from '../trail';
import { RolloutRun } from './run';

/** SiteRunInput starts the run of one site of a forEach stage: the parent's input, its plan cut to that stage and site. */
export type SiteRunInput = RolloutInput & { site: SiteRun };

/**
 * SiteRolloutRun is the run of one site of a parent's forEach stage (siteRunWorkflow). It runs
 * the one-stage plan the parent cut for the site like a rollout, and differs in what it tells:
 * its ids start with its own workflow id (it shares its parent's rollout id); its events are
 * written to the parent's trail, named site-run.* for its own start and end and carrying its
 * site; it reports its stage state to the parent instead of writing the registry; its stage
 * enters only in one of its site's execution windows; its criteria read its site's (or line's)
 * evidence; and on abort it compensates only its own failure, under onSiteFailure rollback-site.
 */
export class SiteRolloutRun extends RolloutRun {
  /** reported is the last stage state, window and hold told to the parent. */
  private reported = '';
  /** reporting is the last report sent, on a lean trail: reports go one after another (see reportToParent). */
  private reporting: Promise<void> = Promise.resolve();

  constructor(input: SiteRunInput) {
    super(input);
  }

  protected override ownRunKey(): string {
    return workflowInfo().workflowId;
  }

  protected override registryProgress(): undefined {
    return undefined;
  }

  protected override beforeRecord(): void {
    super.beforeRecord();
    void this.reportToParent();
  }

  protected override notificationSite(): { site: string } {
    return { site: this.siteOf().site };
  }

  override record(type: string, fields: EventFields = {}): Promise<void> {
    return this.trail.record(type.replace(/^rollout\./, 'site-run.'), { ...fields, detail: { ...fields.detail, site: this.siteOf().site } });
  }

  /** Only a site (not a line) of a per-site stage has a previous wave's sites to compare with. */
  override previousWave(): string[] | undefined {
    const { over, previousWave } = this.siteOf();
    return over === 'sites' ? previousWave : undefined;
  }

  override evidenceScope(): { site: string } | { line: string } {
    const { over, site } = this.siteOf();
    return over === 'sites' ? { site } : { line: site };
  }

  override executionWindow(id: string): Promise<boolean> {
    return this.waitForExecutionWindow(id);
  }

  /** A site run's abort comes from its parent: it then settles aborted, not failed, and compensates nothing. */
  override abortRequested(action: OperatorAction): void {
    if (this.status.state === 'completed' || this.status.state === 'aborted') return;
    this.abortedByParent = true;
    this.abort(action);
  }

  override compensatesOnAbort(): boolean {
    return this.siteOf().compensate && !this.abortedByParent;
  }

  /** The parent announces the rollout's end; a site's end reaches it as a report. */
  override announceEnd(): void {}

  override reportEnd(settled: ChildOutcome, reason: string | undefined): Promise<void> {
    return this.reportToParent(settled, reason);
  }

  /** siteOf is the site this run is for; the base constructor already asks for it, before any field of this class is set. */
  private siteOf(): SiteRun {
    return this.input.site!;
  }

  /**
   * waitForExecutionWindow holds the run until one of its site's execution windows is open
   * (at once when the site has none); false when the run was aborted meanwhile.
   */
  private async waitForExecutionWindow(id: string): Promise<boolean> {
    const opensAt = nextWindowStart(this.plan.sites?.[this.siteOf().site], Date.now());
    if (opensAt <= Date.now()) return !this.isAborted();
    this.setStage({ ...this.stage(id), notBefore: iso(opensAt) });
    await this.record('site.waiting-for-window', { stageId: id, detail: { opensAt: iso(opensAt) } });
    await condition(() => this.isAborted(), Math.max(1, opensAt - Date.now()));
    const { notBefore: _notBefore, ...rest } = this.stage(id);
    this.setStage(rest);
    return !this.isAborted();
  }

  /**
   * reportToParent tells the parent the run's stage state, when its execution window opens and
   * whether the run itself is held (an escalation hold, which the rollout's resume ends),
   * whenever one of them changed; and at the end how the run settled.
   */
  private reportToParent(settled?: ChildOutcome, reason?: string): Promise<void> {
    const site = this.siteOf();
    const { state, notBefore } = this.status.stages[0]!;
    const heldReason = this.status.state === 'held' ? this.status.heldReason : undefined;
    const current = JSON.stringify([state, notBefore, heldReason]);
    if (settled === undefined && current === this.reported) return Promise.resolve();
    this.reported = current;
    const detail = { ...(notBefore ? { notBefore } : {}), ...(heldReason ? { heldReason } : {}) };
    const progress = {
      stageId: site.stageId,
      site: site.site,
      workflowId: workflowInfo().workflowId,
      state,
      at: now(),
      ...(settled ? { settled } : {}),
      ...(reason ? { reason } : {}),
      ...(Object.keys(detail).length > 0 ? { detail } : {}),
    };
    // A parent that already ended has nothing left to learn.
    const send = () => getExternalWorkflowHandle(site.parentWorkflowId).signal(childProgressSignal, progress).catch(() => undefined);
    if (!this.trail.lean) return send();
    // Signals sent in one workflow task may reach the parent in any order, and a lean trail lets
    // several reports go in one task (the run no longer waits for each event's write): the
    // next report waits for the last one to be delivered, so the parent keeps the latest.
    this.reporting = this.reporting.then(send);
    return this.reporting;
  }
}
