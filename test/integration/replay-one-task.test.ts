import { spawn } from 'node:child_process';
import path from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../../activities';
import { approveStageUpdate } from '../../workflows/rollout/messages';
import type { StageDecision } from '../../policy/rollout-types';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { eventually, startHarness, type Harness } from '../support/harness';
import { approve, startRollout, waitForRollout, waitForStage } from '../support/rollouts';
import { quietLogger } from '../support/temporal';

/**
 * A worker restart can hand the next worker one workflow task holding both a stage's
 * evaluation result and the sign-off Updates that pass the stage. Whether the SDK gives the
 * workflow those in one activation or in two differs between a live run and its replay, so the
 * stage loop's commands, timer numbers included, must not depend on it (docs/operations.md,
 * "Messages and activity results in one workflow task").
 *
 * The test makes that task the way a crash does: a workflow-only worker in its own process,
 * SIGKILLed while an activity-only worker holds the stage's next evaluation; the evaluation
 * then completes and the Updates are sent while no workflow worker polls, and a new workflow
 * worker takes the task. It checks that the task held all three, that the evaluation's wait
 * used its timer number, and that the history replays.
 */
const { EventType: E } = temporal.api.enums.v1;
const EventType = {
  activityScheduled: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  activityCompleted: E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
  workflowTaskScheduled: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  workflowTaskStarted: E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  workflowTaskCompleted: E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  workflowTaskTimedOut: E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  workflowTaskFailed: E.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  updateAccepted: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  timerStarted: E.EVENT_TYPE_TIMER_STARTED,
} as const;

const WORKER_PROCESS = path.join(__dirname, '..', 'support', 'workflow-worker-process.ts');

const PLAN = `
name: one-task-sign-off
owner: lead.one
roles:
  deployment-lead: { members: [lead.one] }
  safety-officer: { members: [safe.one] }
  operations: { members: [ops.one] }
metrics:
  defect-rate: { unit: ppm, direction: lower-is-better }
stages:
  - id: a
    title: Stage A
    mode: pilot
    minDuration: 1s
    evaluationInterval: 1s
    criteria:
      - { metric: defect-rate, threshold: 50, window: 1h, minSamples: 3 }
    approvals: [{ role: safety-officer }, { role: operations }]
  - id: b
    title: Stage B
    mode: pilot
    dependsOn: [a]
    minDuration: 2s
    evaluationInterval: 1s
    criteria:
      - { metric: defect-rate, threshold: 50, window: 1h, minSamples: 3 }
    approvals: [{ role: operations }]
`;

let h: Harness;
let connection: NativeConnection;
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  h = await startHarness();
  await h.stopWorker(); // this test runs its own workers on the harness's task queue
  connection = await NativeConnection.connect({ address: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS! });
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});
afterAll(async () => {
  await connection?.close();
  await h?.close();
});

/** A gate holds the next evaluation of one stage until it is opened. */
interface Gate {
  stageId: string;
  entered: Promise<void>;
  open(): void;
}

function createGate(stageId: string): Gate & { enter(): Promise<void> } {
  let entered!: () => void;
  let open!: () => void;
  const enteredP = new Promise<void>((resolve) => (entered = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { stageId, entered: enteredP, open, enter: () => (entered(), opened) };
}

async function running(worker: Worker): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const run = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await run;
    },
  };
}

/** spawnWorkflowWorker starts a workflow-only worker in a child process, to be killed with SIGKILL. */
async function spawnWorkflowWorker(taskQueue: string): Promise<{ kill(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS, process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS!, taskQueue], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`the workflow worker process exited with ${code} before it was ready`)));
  });
  return { kill: () => void child.kill('SIGKILL') };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const typeOf = (event: HistoryEvent) => Number(event.eventType);

/**
 * sameTaskSignOff finds the workflow task that took the evaluation result and the sign-offs:
 * an evaluateStage completion, then workflow task events only, then the task's completion and
 * the Updates it accepted.
 */
function sameTaskSignOff(events: HistoryEvent[], evaluationScheduledId: number): number | undefined {
  const completed = events.findIndex((e) => typeOf(e) === EventType.activityCompleted && Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === evaluationScheduledId);
  if (completed < 0) return undefined;
  let i = completed + 1;
  const taskEvents: number[] = [EventType.workflowTaskScheduled, EventType.workflowTaskStarted, EventType.workflowTaskTimedOut, EventType.workflowTaskFailed];
  while (events[i] && taskEvents.includes(typeOf(events[i]!))) i += 1;
  if (typeOf(events[i]!) !== EventType.workflowTaskCompleted) return undefined;
  // The task's commands follow its completion, the Updates' acceptances among them.
  const next = events.findIndex((e, at) => at > i && typeOf(e) === EventType.workflowTaskScheduled);
  const accepted = events.slice(i + 1, next < 0 ? undefined : next).filter((e) => typeOf(e) === EventType.updateAccepted);
  return accepted.length === 2 ? Number(events[i]!.eventId) : undefined;
}

it('replays the history of a workflow task that took an evaluation result and the sign-offs that pass the stage', async () => {
  const activities = createActivities(h.pool);
  let gate: (Gate & { enter(): Promise<void> }) | undefined;
  const evaluationsScheduled: number[] = [];
  const activityWorker = await running(
    await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: h.taskQueue,
      activities: {
        ...activities,
        async evaluateStage(input: Parameters<typeof activities.evaluateStage>[0]) {
          const held = gate?.stageId === input.stageId ? gate : undefined;
          if (held) {
            gate = undefined;
            await held.enter();
          }
          return activities.evaluateStage(input);
        },
      },
    }),
  );
  const crashing = await spawnWorkflowWorker(h.taskQueue);
  let workflows: { stop: () => Promise<void> } | undefined;
  try {
    const id = await startRollout(h, PLAN);
    const workflowId = `rollout-${id}`;
    // Evidence counts from the stage's start on, for stage a and then for stage b.
    const report = async () => {
      const samples = [10, 12, 11].map((value, i) => ({ metric: 'defect-rate', value, observedAt: new Date(Date.now() + i).toISOString() }));
      expect((await h.http('POST', `/v1/rollouts/${id}/metrics`, { samples }, await h.as('mes-bridge', [], 'service'))).status).toBeLessThan(300);
    };
    await waitForStage(h, id, 'a', 'running');
    await report();
    await waitForStage(h, id, 'a', 'awaiting-approval');

    // The next evaluation of stage a is held while the workflow worker goes away.
    const held = createGate('a');
    gate = held;
    await held.entered;
    const handle = h.temporal.workflow.getHandle(workflowId);
    const scheduled = (await handle.fetchHistory()).events!.filter((e) => typeOf(e) === EventType.activityScheduled && e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateStage');
    evaluationsScheduled.push(Number(scheduled.at(-1)!.eventId));
    crashing.kill();

    // The evaluation completes and both sign-offs arrive while no workflow worker polls.
    const completeEvaluation = async () => {
      held.open();
      await eventually(async () => {
        const events = (await handle.fetchHistory()).events!;
        return events.some((e) => typeOf(e) === EventType.activityCompleted && Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === evaluationsScheduled[0]) ? true : undefined;
      }, 'the held evaluation to complete');
    };
    const signOff = (name: string, role: string): StageDecision => ({ stageId: 'a', decision: 'approve', role, actor: { name, kind: 'person', roles: [] } });
    await completeEvaluation();
    const signOffs = [signOff('safe.one', 'safety-officer'), signOff('ops.one', 'operations')].map((decision) => handle.executeUpdate(approveStageUpdate, { args: [decision] }));
    // Updates are admitted by the server without a worker; give both time to reach it.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    workflows = await Worker.create({ connection, namespace: 'default', taskQueue: h.taskQueue, workflowBundle }).then(running);
    await Promise.all(signOffs);
    await waitForStage(h, id, 'b', 'running');
    await report();
    await waitForStage(h, id, 'b', 'awaiting-approval');
    expect((await approve(h, id, 'b', 'ops.one')).status).toBe(200);
    await waitForRollout(h, id, 'completed');

    const history = await handle.fetchHistory();
    const signOffTask = sameTaskSignOff(history.events!, evaluationsScheduled[0]!);
    expect(signOffTask).toBeDefined();
    // The wait the evaluation called for used a timer number, though the sign-offs gave it up
    // within the task and it left no event: the next timer's number is the one it has when the
    // sign-offs come in a later activation of the task, as in a run that crashed mid-way.
    const timers = history.events!.filter((e) => typeOf(e) === EventType.timerStarted).map((e) => ({ at: Number(e.eventId), id: Number(e.timerStartedEventAttributes!.timerId) }));
    const lastBefore = Math.max(...timers.filter((t) => t.at < signOffTask!).map((t) => t.id));
    expect(timers.find((t) => t.at > signOffTask!)?.id).toBe(lastBefore + 2);
    await expect(Worker.runReplayHistory({ workflowBundle, replayName: 'one-task-sign-off' }, history, workflowId)).resolves.toBeUndefined();
  } finally {
    crashing.kill();
    await workflows?.stop();
    await activityWorker.stop();
  }
});
