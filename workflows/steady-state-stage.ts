import { condition, getExternalWorkflowHandle, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { abortSignal } from './messages';
import type { OperatorAction, StageStatus } from '../policy/rollout-types';
import type { ChildProgress, RolloutInput } from './rollout-types';
import { steadyStateWorkflowId } from '../policy/steady-state-types';
import type { SteadyStateInput } from './steady-state-types';

/** What the steady-state runner needs from the rollout workflow it runs in. */
export interface SteadyStateHost {
  input: RolloutInput;
  stage(id: string): StageStatus;
  maybeStage(id: string): StageStatus | undefined;
  setStage(next: StageStatus): void;
  record(type: string, fields: { stageId?: string; detail?: Record<string, unknown> }): Promise<void>;
  isAborted(): boolean;
  passStage(id: string, detail: Record<string, unknown>): Promise<void>;
  failStage(id: string, reason: string): Promise<void>;
  abort(action: OperatorAction): void;
}

/**
 * createSteadyStateRunner runs steady-state stages in the rollout: each is handed to its own
 * child workflow (steadyStateWorkflow: reviews, retraining reminders, the lagging-KPI verdict
 * at the horizon), whose reports arrive through childProgressSignal and are kept in the stage's
 * status. How the child settles decides the stage: passed passes it, failed applies onFailure,
 * aborted aborts the rollout.
 */
export function createSteadyStateRunner(host: SteadyStateHost) {
  /** Child starts in flight: continue-as-new waits for them, so no start is lost between runs. */
  let startsInFlight = 0;

  async function run(id: string): Promise<void> {
    const attempt = host.stage(id).attempt;
    const current = () => !host.isAborted() && host.stage(id).attempt === attempt && host.stage(id).state === 'running';
    if (!host.stage(id).steadyState) {
      const workflowId = steadyStateWorkflowId(host.input.rolloutId, id, attempt);
      host.setStage({ ...host.stage(id), steadyState: { workflowId } });
      const childInput: SteadyStateInput = {
        rolloutId: host.input.rolloutId,
        parentWorkflowId: workflowInfo().workflowId,
        stageId: id,
        planName: host.input.planName,
        planVersion: host.input.planVersion,
        plan: host.input.plan,
        startedAt: host.stage(id).windowStartedAt!,
        ...(host.input.startedBy ? { startedBy: host.input.startedBy } : {}),
      };
      startsInFlight += 1;
      try {
        await startChild('steadyStateWorkflow', { workflowId, parentClosePolicy: ParentClosePolicy.ABANDON, args: [childInput] });
      } catch (error) {
        // A start the server refuses fails the stage, with the reason, instead of the rollout.
        if (current()) await host.failStage(id, `its steady-state run could not start: ${(error as Error).message}`);
        return;
      } finally {
        startsInFlight -= 1;
      }
      await host.record('steady-state.started', { stageId: id, detail: { workflowId } });
    }
    await condition(() => !current() || host.stage(id).steadyState?.settled !== undefined);
    if (!current()) return;
    const { settled, reason, report } = host.stage(id).steadyState!;
    if (settled === 'passed') await host.passStage(id, { laggingVerdict: report?.laggingVerdict ?? 'pass' });
    else if (settled === 'failed') await host.failStage(id, reason ?? 'the lagging KPIs did not meet their criteria at the horizon');
    else host.abort({ reason: `the steady-state governance of stage ${id} was aborted${reason ? `: ${reason}` : ''}` });
  }

  /** onProgress keeps a steady-state child's latest report; a superseded child is ignored. */
  function onProgress(progress: ChildProgress): void {
    const current = host.maybeStage(progress.stageId);
    const summary = current?.steadyState;
    if (!current || !summary || summary.abandoned || summary.settled !== undefined || (progress.workflowId !== undefined && progress.workflowId !== summary.workflowId)) return;
    host.setStage({
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
    for (const stage of running) host.setStage({ ...host.stage(stage.id), steadyState: { ...stage.steadyState!, abandoned: true } });
    return Promise.all(running.map((stage) => getExternalWorkflowHandle(stage.steadyState!.workflowId).signal(abortSignal, { reason }).catch(() => undefined)));
  }

  return { run, onProgress, abortChildren, idle: () => startsInFlight === 0 };
}
