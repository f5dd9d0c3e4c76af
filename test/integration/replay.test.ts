import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installRuntimeLogger } from '../../workers/main';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { historyFromJSON } from '../histories/history-json';
import { recordedFiles, unlistedFiles, type RecordedFile } from '../histories/manifest';
import { quietLogger } from '../support/temporal';

/**
 * Every history recorded by `npm run histories:record`, from this and earlier versions, must
 * replay against the current workflow code: runs started by an older worker go on under the
 * new one. See docs/operations.md.
 */
const histories = recordedFiles();
const ALTERED_WORKFLOWS = path.join(__dirname, '..', 'fixtures', 'replay', 'altered-workflows.ts');
const REPO = path.join(__dirname, '..', '..');

interface Replayed {
  history: RecordedFile;
  error?: Error;
}

async function replay(workflowBundle: WorkflowBundle, files: RecordedFile[]): Promise<Replayed[]> {
  const inputs = files.map((file) => ({ workflowId: file.workflowId, history: historyFromJSON(fs.readFileSync(file.path, 'utf8')) }));
  const replayed: Replayed[] = [];
  // Histories replay one at a time, so results come back in the order they went in.
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'rollgate-replay' }, inputs)) {
    replayed.push({ history: files[replayed.length]!, ...(result.error ? { error: result.error } : {}) });
  }
  return replayed;
}

const bundle = (workflowsPath: string) => bundleWorkflowCode({ workflowsPath, logger: quietLogger });

beforeAll(() => installRuntimeLogger('ERROR'));

it('has recorded histories, each listed in its manifest', () => {
  expect(histories.length).toBeGreaterThan(0);
  expect(unlistedFiles().map((file) => path.relative(REPO, file))).toEqual([]);
});

it('replays every recorded history against the current workflow code', async () => {
  const replayed = await replay(await bundle(WORKFLOWS_PATH), histories);
  expect(replayed).toHaveLength(histories.length);
  const failures = replayed
    .filter((result) => result.error)
    .map(({ history, error }) => `${path.relative(REPO, history.path)} (${history.workflowType}, commit ${history.commit.slice(0, 12)}): ${error!.name}: ${error!.message}`);
  expect(failures).toEqual([]);
});

it('reports a DeterminismViolationError for workflow code that no longer matches a history', async () => {
  const rollout = histories.find((history) => history.workflowType === 'rolloutWorkflow');
  expect(rollout).toBeDefined();
  const [result] = await replay(await bundle(ALTERED_WORKFLOWS), [rollout!]);
  expect(result!.error).toBeInstanceOf(DeterminismViolationError);
  expect(result!.error!.message).toMatch(/nondetermin/i);
});
