import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installRuntimeLogger } from '../../workers/main';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { historyFromJSON } from '../histories/history-json';
import { quietLogger } from '../support/temporal';

/**
 * The history of a rollout that got stuck after a worker crash (test/histories/evidence). Its
 * first workflow task after the crash took stage a's evaluation result and the two sign-offs that
 * passed the stage; the run that wrote it used timer 3 for a wait that a sign-off cancelled
 * within that task, so the history goes on with timer 4. A replay hands the workflow the
 * sign-offs and the result in one activation, and the stage loop must use timer 3 all the same.
 */
const EVIDENCE = path.join(__dirname, '..', 'histories', 'evidence', 'nondeterminism-after-worker-kill.history.json');
const PATCH_ID = 'stage-wait-reserved-after-evaluation';

let workflowBundle: WorkflowBundle;
beforeAll(async () => {
  installRuntimeLogger('ERROR');
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});

const replay = (json: string) => Worker.runReplayHistory({ workflowBundle, replayName: 'evidence' }, historyFromJSON(json), 'rollout-cmx7saqxh-25');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- history JSON as the CLI exports it
type Json = any;

/**
 * withPatchMarker is the history as the patched stage loop would have written it: just before
 * the first evaluation is scheduled (the workflow asks for the patch there), the patch's marker
 * and the TemporalChangeVersion search attribute the SDK upserts with it; every later event
 * two ids further on.
 */
function withPatchMarker(json: string, patchId: string): string {
  const history = JSON.parse(json) as { events: Json[] };
  const at = history.events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateStage');
  const firstShifted = Number(history.events[at].eventId);
  const shift = (value: Json, key?: string): Json => {
    if (Array.isArray(value)) return value.map((item) => shift(item));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shift(v, k)]));
    if (key !== undefined && /EventId$|^eventId$/.test(key) && Number(value) >= firstShifted) return String(Number(value) + 2);
    return value;
  };
  const events = history.events.map((e) => shift(e));
  const json64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
  const encoding = Buffer.from('json/plain').toString('base64');
  const completedId = String(firstShifted - 1);
  const marker = {
    eventId: String(firstShifted),
    eventTime: history.events[at].eventTime,
    eventType: 'EVENT_TYPE_MARKER_RECORDED',
    markerRecordedEventAttributes: {
      markerName: 'core_patch',
      details: { 'patch-data': { payloads: [{ metadata: { encoding }, data: json64({ id: patchId, deprecated: false }) }] } },
      workflowTaskCompletedEventId: completedId,
    },
  };
  const changeVersion = {
    eventId: String(firstShifted + 1),
    eventTime: history.events[at].eventTime,
    eventType: 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
    upsertWorkflowSearchAttributesEventAttributes: {
      workflowTaskCompletedEventId: completedId,
      searchAttributes: { indexedFields: { TemporalChangeVersion: { metadata: { type: Buffer.from('KeywordList').toString('base64'), encoding }, data: json64([patchId]) } } },
    },
  };
  events.splice(at, 0, marker, changeVersion);
  return JSON.stringify({ ...history, events });
}

it('does not replay as recorded: it predates the patch, so replay takes the stage loop of its day', async () => {
  const error = await replay(fs.readFileSync(EVIDENCE, 'utf8')).then(() => undefined, (e: Error) => e);
  expect(error).toBeInstanceOf(DeterminismViolationError);
  expect(error!.message).toContain('Timer fired event did not have expected timer id 3, it was 4');
});

it('replays with the patch marker: the wait is reserved whether the sign-offs come before or after the evaluation result', async () => {
  await expect(replay(withPatchMarker(fs.readFileSync(EVIDENCE, 'utf8'), PATCH_ID))).resolves.toBeUndefined();
});
