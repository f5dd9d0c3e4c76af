import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { historyToJSON } from './history-json';
import type { RecordedHistory } from './manifest';

const SETTLE_TIMEOUT_MS = 30_000;
const POLL_MS = 500;

/**
 * captureHistories writes the history of every workflow run on taskQueue (children and
 * continue-as-new runs included) to labelDir/<scenario>/<workflow-id>.json, or, for a workflow
 * with several runs, <workflow-id>.run<n>.json in the order the runs started.
 */
export async function captureHistories(
  client: Client,
  taskQueue: string,
  scenario: string,
  labelDir: string,
  commit: string,
): Promise<RecordedHistory[]> {
  const runs = await settledRuns(client, taskQueue, scenario);
  const byWorkflow = new Map<string, WorkflowExecutionInfo[]>();
  for (const run of runs) byWorkflow.set(run.workflowId, [...(byWorkflow.get(run.workflowId) ?? []), run]);

  await fs.mkdir(path.join(labelDir, scenario), { recursive: true });
  const recorded: RecordedHistory[] = [];
  for (const [workflowId, chain] of [...byWorkflow].sort(([a], [b]) => a.localeCompare(b))) {
    chain.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    for (const [index, run] of chain.entries()) {
      const name = `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}${chain.length > 1 ? `.run${index + 1}` : ''}.json`;
      const file = path.posix.join(scenario, name);
      const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
      await fs.writeFile(path.join(labelDir, file), `${historyToJSON(history)}\n`);
      recorded.push({
        file,
        scenario,
        workflowType: run.type,
        workflowId,
        runId: run.runId,
        status: run.status.name,
        recordedAt: new Date().toISOString(),
        commit,
      });
    }
  }
  return recorded;
}

/**
 * settledRuns lists the runs on taskQueue once all are closed and two listings in a row agree,
 * since visibility lags a little behind the workflows themselves.
 */
async function settledRuns(client: Client, taskQueue: string, scenario: string): Promise<WorkflowExecutionInfo[]> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let previous = '';
  for (;;) {
    const runs: WorkflowExecutionInfo[] = [];
    for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) runs.push(run);
    const open = runs.filter((run) => run.status.name === 'RUNNING');
    const key = runs.map((run) => `${run.runId}:${run.status.name}`).sort().join(',');
    if (runs.length > 0 && open.length === 0 && key === previous) return runs;
    if (Date.now() > deadline) {
      const detail = open.length ? `still open: ${open.map((run) => `${run.type} ${run.workflowId}`).join(', ')}` : `${runs.length} runs listed`;
      throw new Error(`scenario ${scenario}: its workflows did not all close within ${SETTLE_TIMEOUT_MS / 1000} s (${detail}); a scenario must end every workflow it starts`);
    }
    previous = key;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
