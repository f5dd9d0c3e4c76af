import { condition, getExternalWorkflowHandle, ParentClosePolicy, patched, startChild, workflowInfo, type SignalDefinition } from '@temporalio/workflow';
import { parseDuration } from '../../definitions/duration';
import { iso, now } from '../../policy/clock';
import { UNDER_WAY_STATES, type OperatorAction, type SiteStatus, type StageStatus, type WaveStatus } from '../../policy/rollout-types';
import type { ChildProgress } from '../rollout-types';
import { comparesWithPreviousWave, previousWaveSites, sitePlan, siteWorkflowId } from '../site-plan';
import type { RolloutRun } from './run';
import type { SiteRunInput } from './site-run';

/**
 * SITE_RUN_WORKFLOW_PATCH marks runs that start each site as a siteRunWorkflow. Runs recorded
 * before it started rolloutWorkflow children with a `site` in their input, and go on doing so,
 * since the type of a child is part of its start command.
 */
const SITE_RUN_WORKFLOW_PATCH = 'site-run-workflow-type';
/** PREVIOUS_WAVE_PATCH marks runs that tell a site of a stage comparing with the previous wave which sites that wave had. */
const PREVIOUS_WAVE_PATCH = 'previous-wave-control';

/** Site states after which a site's child sends nothing more. */
const SETTLED: ReadonlySet<SiteStatus['state']> = new Set(['passed', 'failed', 'rolled-back', 'aborted']);
const isSettled = (site: SiteStatus) => SETTLED.has(site.state);

/**
 * createSiteRunner runs forEach stages: one child workflow per site, wave by wave. A wave
 * after the first opens once the previous wave passed, its feedback cycle is over and its wave
 * approvals are signed (through the stage's ordinary sign-off, see openSignedWave). Children
 * report through childProgressSignal; all state lives in the stage's status, so a run after
 * continue-as-new resumes where the last one was, with the children still running.
 */
export function createSiteRunner(rollout: RolloutRun) {
  const parentWorkflowId = workflowInfo().workflowId;
  /** Child starts in flight: continue-as-new waits for them, so no start is lost between runs. */
  let startsInFlight = 0;

  const sitesOf = (id: string): SiteStatus[] => rollout.stage(id).sites ?? [];
  const wavesOf = (id: string): WaveStatus[] => rollout.stage(id).waves ?? [];
  const updateSite = (id: string, name: string, change: Partial<SiteStatus>): void => {
    rollout.setStage({ ...rollout.stage(id), sites: sitesOf(id).map((site) => (site.site === name ? { ...site, ...change } : site)) });
  };
  const updateWave = (id: string, index: number, change: Partial<WaveStatus>): void => {
    rollout.setStage({ ...rollout.stage(id), waves: wavesOf(id).map((wave, k) => (k === index ? { ...wave, ...change } : wave)) });
  };
  const siteOf = (id: string, name: string): SiteStatus | undefined => sitesOf(id).find((site) => site.site === name);

  /** startSite waits until the site may start (wave open, prerequisites, no halt, not paused), then starts its child. */
  async function startSite(id: string, name: string, stageAttempt: number): Promise<void> {
    const current = () => !rollout.isAborted() && rollout.stage(id).attempt === stageAttempt && siteOf(id, name)?.state === 'waiting';
    await condition(() => !current() || (rollout.mayStartWork() && rollout.stage(id).state === 'running' && rollout.sitePrerequisitesSigned(id, name)));
    if (!current()) return;
    const site = siteOf(id, name)!;
    const attempt = site.attempt + 1;
    const workflowId = siteWorkflowId(parentWorkflowId, id, name, stageAttempt, attempt);
    const policy = rollout.definition(id).forEach!.onSiteFailure;
    updateSite(id, name, { state: 'starting', attempt, workflowId, startedAt: now() });
    startsInFlight += 1;
    try {
      const input: SiteRunInput = {
        ...rollout.input,
        plan: sitePlan(rollout.input.plan, id, name),
        carried: undefined,
        site: {
          parentWorkflowId,
          stageId: id,
          site: name,
          wave: site.wave,
          compensate: policy === 'rollback-site',
          over: rollout.definition(id).forEach!.over,
          ...(comparesWithPreviousWave(rollout.definition(id)) && patched(PREVIOUS_WAVE_PATCH) ? { previousWave: previousWaveSites(wavesOf(id), site.wave) } : {}),
        },
      };
      await startChild(patched(SITE_RUN_WORKFLOW_PATCH) ? 'siteRunWorkflow' : 'rolloutWorkflow', { workflowId, parentClosePolicy: ParentClosePolicy.ABANDON, args: [input] });
    } catch (error) {
      // A start the server refuses fails the site, with the reason, instead of the rollout.
      await onProgress({ stageId: id, site: name, workflowId, state: 'running', settled: 'failed', reason: `its run could not start: ${(error as Error).message}`, at: now() });
      return;
    } finally {
      startsInFlight -= 1;
    }
    await rollout.record('site.started', { stageId: id, detail: { site: name, wave: site.wave, attempt, workflowId } });
  }

  /** onProgress applies a child's report; reports from a superseded run of the site are ignored. */
  async function onProgress(progress: ChildProgress): Promise<void> {
    const id = progress.stageId;
    const site = progress.site === undefined ? undefined : siteOf(id, progress.site);
    if (!site || (progress.workflowId !== undefined && progress.workflowId !== site.workflowId) || isSettled(site)) return;
    if (!progress.settled) {
      // Only the settled report ends a site: a child's passed or aborted stage is not yet its outcome.
      const { notBefore: _notBefore, heldReason: _heldReason, ...rest } = site;
      const text = (key: string) => (typeof progress.detail?.[key] === 'string' ? { [key]: progress.detail[key] as string } : {});
      const next: SiteStatus = { ...rest, ...(UNDER_WAY_STATES.has(progress.state) ? { state: progress.state } : text('notBefore')), ...text('heldReason') };
      rollout.setStage({ ...rollout.stage(id), sites: sitesOf(id).map((s) => (s.site === site.site ? next : s)) });
      return;
    }
    const at = progress.at;
    const detail = { site: site.site, wave: site.wave, attempt: site.attempt };
    if (progress.settled === 'passed') {
      updateSite(id, site.site, { state: 'passed', settledAt: at });
      await rollout.record('site.passed', { stageId: id, detail });
      return;
    }
    if (progress.settled === 'aborted') {
      updateSite(id, site.site, { state: 'aborted', settledAt: at, ...(progress.reason ? { reason: progress.reason } : {}) });
      await rollout.record('site.aborted', { stageId: id, ...(progress.reason ? { reason: progress.reason } : {}), detail });
      return;
    }
    const reason = progress.reason ?? 'the site failed';
    const policy = rollout.definition(id).forEach!.onSiteFailure;
    const state = policy === 'rollback-site' ? 'rolled-back' : 'failed';
    updateSite(id, site.site, { state, settledAt: at, reason });
    // An aborted rollout only takes note: its own abort decides what happens to its sites.
    if (rollout.isAborted()) {
      await rollout.record(state === 'rolled-back' ? 'site.rolled-back' : 'site.failed', { stageId: id, reason, detail: { ...detail, policy } });
      return;
    }
    rollout.notify('site.failed', {
      stageId: id,
      action: `Site ${site.site} of stage "${rollout.definition(id).title}" failed: ${reason}. ${siteFailureConsequence(policy)}`,
      detail: { ...detail, policy },
    });
    await rollout.record(state === 'rolled-back' ? 'site.rolled-back' : 'site.failed', { stageId: id, reason, detail: { ...detail, policy } });
    if (policy === 'abort-all') rollout.abort({ reason: `site ${site.site} of stage ${id} failed: ${reason}` });
    else if (policy === 'halt' && rollout.stage(id).state !== 'held') await rollout.holdStage(id, 'site-failed', `site ${site.site} failed: ${reason}`);
  }

  /**
   * run drives a running forEach stage to the end of its waves: it returns when the stage
   * passed, was aborted, rolled back, or re-entered (a new runner takes over).
   */
  async function run(id: string): Promise<void> {
    const attempt = rollout.stage(id).attempt;
    const current = () => !rollout.isAborted() && rollout.stage(id).attempt === attempt && rollout.stage(id).state !== 'pending' && rollout.stage(id).state !== 'passed';
    const def = rollout.definition(id);
    const feedbackMs = def.forEach?.feedbackCycle ? parseDuration(def.forEach.feedbackCycle)! : 0;
    // A run after continue-as-new resumes the site starts the last run had not made yet.
    for (const site of sitesOf(id)) if (site.state === 'waiting') void startSite(id, site.site, attempt);

    while (current()) {
      const index = wavesOf(id).findIndex((wave) => wave.state !== 'passed');
      if (index === -1) {
        const sites = sitesOf(id);
        await rollout.passStage(id, { sites: sites.length, rolledBack: sites.filter((site) => site.state === 'rolled-back').map((site) => site.site) });
        return;
      }
      const wave = wavesOf(id)[index]!;
      if (wave.state === 'pending' || wave.state === 'feedback') {
        if (index > 0) {
          const opensAt = Date.parse(wavesOf(id)[index - 1]!.passedAt!) + feedbackMs;
          if (wave.state === 'pending') {
            updateWave(id, index, { state: 'feedback', opensAt: iso(opensAt) });
            await rollout.record('wave.feedback-cycle', { stageId: id, detail: { wave: wave.number, opensAt: iso(opensAt) } });
          }
          if (await condition(() => !current(), Math.max(1, opensAt - Date.now()))) continue;
          await openWaveGate(id, index);
          continue;
        }
        updateWave(id, index, { state: 'running', startedAt: now() });
        continue;
      }
      if (wave.state === 'awaiting-approval') {
        await condition(() => !current() || wavesOf(id)[index]!.state !== 'awaiting-approval');
        continue;
      }
      // running: start the wave's sites not started yet (a run after continue-as-new may find
      // the wave approved but its sites pending), then wait until every site settled without
      // failing, or a failure is resolved.
      if (startPendingSites(id, wave.number, attempt)) await rollout.record('wave.started', { stageId: id, detail: { wave: wave.number, sites: wave.sites } });
      const waveSites = () => sitesOf(id).filter((site) => site.wave === wave.number);
      await condition(() => !current() || (waveSites().every(isSettled) && !waveSites().some(blocksWave) && rollout.stage(id).state === 'running'));
      if (!current()) continue;
      updateWave(id, index, { state: 'passed', passedAt: now() });
      await rollout.record('wave.passed', { stageId: id, detail: { wave: wave.number, sites: wave.sites } });
    }
  }

  /** startPendingSites starts the wave's pending sites; false when there were none. */
  function startPendingSites(id: string, wave: number, attempt: number): boolean {
    const pending = sitesOf(id).filter((site) => site.wave === wave && site.state === 'pending');
    for (const site of pending) {
      updateSite(id, site.site, { state: 'waiting' });
      void startSite(id, site.site, attempt);
    }
    return pending.length > 0;
  }

  /** openWaveGate asks for the wave approvals through the stage's sign-off (state awaiting-approval). */
  async function openWaveGate(id: string, index: number): Promise<void> {
    const def = rollout.definition(id);
    const wave = wavesOf(id)[index]!;
    const required = def.forEach?.waveApprovals ?? def.approvals;
    updateWave(id, index, { state: 'awaiting-approval' });
    rollout.setStage({ ...rollout.stage(id), state: 'awaiting-approval', required, approvals: [], awaitingSince: now() });
    rollout.notify('wave.awaiting-approval', {
      stageId: id,
      action: `Wave ${wave.number} of stage "${def.title}" (${wave.sites.join(', ')}) needs sign-off by ${required.map((r) => r.role).join(' and ')} before it starts.`,
      detail: { wave: wave.number, sites: wave.sites },
    });
    await rollout.record('wave.awaiting-approval', { stageId: id, detail: { wave: wave.number, sites: wave.sites, required } });
  }

  /**
   * openSignedWave opens the wave whose gate a complete sign-off of a forEach stage approved:
   * `signed` is the stage with that sign-off (see signDecision). The stage goes on running, its
   * sign-off requirement back to the stage's own, and the wave keeps the approvals that opened
   * it. Returns false, changing nothing, when no wave gate was open.
   */
  function openSignedWave(id: string, signed: StageStatus): boolean {
    const index = (signed.waves ?? []).findIndex((wave) => wave.state === 'awaiting-approval');
    if (index === -1) return false;
    const { hold: _hold, passedAt: _passed, awaitingSince: _since, ...rest } = signed;
    rollout.setStage({ ...rest, state: 'running', required: rollout.definition(id).approvals });
    updateWave(id, index, { state: 'running', startedAt: now(), approvals: signed.approvals });
    return true;
  }

  /**
   * retryFailedSites answers a retry-window on a halted forEach stage: its failed and aborted
   * sites start again, each with a new child.
   */
  function retryFailedSites(id: string): string[] {
    const retried = sitesOf(id).filter((site) => site.state === 'failed' || site.state === 'aborted').map((site) => site.site);
    const { hold: _hold, ...rest } = rollout.stage(id);
    rollout.setStage({ ...rest, state: 'running' });
    for (const name of retried) {
      // Until its new run starts, the site names no run: actions sent to it get 409, not the old rollout.
      const { settledAt: _settled, reason: _reason, workflowId: _workflowId, ...site } = siteOf(id, name)!;
      rollout.setStage({ ...rollout.stage(id), sites: sitesOf(id).map((s) => (s.site === name ? { ...site, state: 'waiting' } : s)) });
      void startSite(id, name, rollout.stage(id).attempt);
    }
    return retried;
  }

  /**
   * signalSites sends signal to every site run of the given stages still under way, all at
   * once: the rollout's pause and resume (so a paused rollout takes no sign-off at any site,
   * and a resume also ends a site's escalation hold), and its abort. A run that already ended
   * is skipped silently.
   */
  async function signalSites(stages: readonly StageStatus[], signal: SignalDefinition<[OperatorAction]>, action: OperatorAction): Promise<void> {
    const running = stages.flatMap((stage) => (stage.sites ?? []).filter((site) => site.workflowId && !isSettled(site)));
    await Promise.all(running.map((site) => getExternalWorkflowHandle(site.workflowId!).signal(signal, action).catch(() => undefined)));
  }

  return { run, onProgress, openSignedWave, retryFailedSites, signalSites, idle: () => startsInFlight === 0 };
}

/** A failed or aborted site keeps its wave from passing until a retry; a rolled-back one does not. */
const blocksWave = (site: SiteStatus) => site.state === 'failed' || site.state === 'aborted';

function siteFailureConsequence(policy: 'halt' | 'rollback-site' | 'abort-all'): string {
  switch (policy) {
    case 'halt':
      return 'No new sites start; running sites go on. A deployment lead chooses retry-window or abort.';
    case 'rollback-site':
      return 'That site is compensated; the other sites go on.';
    case 'abort-all':
      return 'The rollout is aborted.';
  }
}
