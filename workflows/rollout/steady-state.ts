import { condition, getExternalWorkflowHandle, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import type { StageStatus } from '../../policy/rollout-types';
import { steadyStateWorkflowId } from '../../policy/steady-state-types';
import type { ChildProgress } from '../rollout-types';
import { abortSignal } from '../steady-state-messages';
import type { SteadyStateInput } from '../steady-state-types';
import type { RolloutRun } from './run';

/**
 * createSteadyStateRunner runs steady-state stages in the rollout: each is handed to its own
 * child workflow (steadyStateWorkflow: reviews, retraining reminders, the lagging-KPI verdict
 * at the horizon), whose reports arrive through childProgressSignal and are kept in the stage's
 * status. How the child settles decides the stage: passed passes it, failed applies onFailure,
 * aborted aborts the rollout.
 */
export function createSteadyStateRunner(rollout: RolloutRun) {
  /** Child starts in flight: continue-as-new waits for them, so no start is lost between runs. */
  let startsInFlight = 0;

  async function run(id: string): Promise<void> {
    const attempt = rollout.stage(id).attempt;
    const current = () => !rollout.isAborted() && rollout.stage(id).attempt === attempt && rollout.stage(id).state === 'running';
    if (!rollout.stage(id).steadyState) {
      const workflowId = steadyStateWorkflowId(rollout.input.rolloutId, id, attempt);
      rollout.setStage({ ...rollout.stage(id), steadyState: { workflowId } });
      const childInput: SteadyStateInput = {
        rolloutId: rollout.input.rolloutId,
        parentWorkflowId: workflowInfo().workflowId,
        stageId: id,
        planName: rollout.input.planName,
        planVersion: rollout.input.planVersion,
        plan: rollout.input.plan,
        startedAt: rollout.stage(id).windowStartedAt!,
        ...(rollout.input.startedBy ? { startedBy: rollout.input.startedBy } : {}),
      };
      startsInFlight += 1;
      try {
        await startChild('steadyStateWorkflow', { workflowId, parentClosePolicy: ParentClosePolicy.ABANDON, args: [childInput] });
      } catch (error) {
        // A start the server refuses fails the stage, with the reason, instead of the rollout.
        if (current()) await rollout.failStage(id, `its steady-state run could not start: ${(error as Error).message}`);
        return;
      } finally {
        startsInFlight -= 1;
      }
      await rollout.record('steady-state.started', { stageId: id, detail: { workflowId } });
    }
    await condition(() => !current() || rollout.stage(id).steadyState?.settled !== undefined);
    if (!current()) return;
    const { settled, reason, report } = rollout.stage(id).steadyState!;
    if (settled === 'passed') await rollout.passStage(id, { laggingVerdict: report?.laggingVerdict ?? 'pass' });
    else if (settled === 'failed') await rollout.failStage(id, reason ?? 'the lagging KPIs did not meet their criteria at the horizon');
    else rollout.abort({ reason: `the steady-state governance of stage ${id} was aborted${reason ? `: ${reason}` : ''}` });
  }

  /** onProgress keeps a steady-state child's latest report; a superseded child is ignored. */
  function onProgress(progress: ChildProgress): void {
    const current = rollout.maybeStage(progress.stageId);
    const summary = current?.steadyState;
    if (!current || !summary || summary.abandoned || summary.settled !== undefined || (progress.workflowId !== undefined && progress.workflowId !== summary.workflowId)) return;
    rollout.setStage({
      ...current,
      steadyState: {
        ...summary,
        ...(progress.detail ? { report: progress.detail } : {}),
        ...(progress.settled ? { settled: progress.settled } : {}),
        ...(progress.reason ? { reason: progress.reason } : {}),
      },
    });
  }

  /**
   * abortChildren asks the steady-state children of the given stages still under way to abort.
   * It returns the signals' Promise.all itself rather than awaiting it in an async function:
   * the rollout awaits it inside its own abortChildren, and so resumes as many microtasks after
   * the signals as it did when it awaited this directly, keeping the order of its commands.
   */
  function abortChildren(stages: readonly StageStatus[], reason: string): Promise<unknown> {
    const running = stages.filter((stage) => stage.steadyState && stage.steadyState.settled === undefined && !stage.steadyState.abandoned);
    // Marked first: the child's aborted report must not read as the stage's own outcome.
    for (const stage of running) rollout.setStage({ ...rollout.stage(stage.id), steadyState: { ...stage.steadyState!, abandoned: true } });
    return Promise.all(running.map((stage) => getExternalWorkflowHandle(stage.steadyState!.workflowId).signal(abortSignal, { reason }).catch(() => undefined)));
  }

  return { run, onProgress, abortChildren, idle: () => startsInFlight === 0 };
}
