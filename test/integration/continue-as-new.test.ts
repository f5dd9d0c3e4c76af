import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../cli/search-attributes';
import { resolveTemporalCli } from '../../cli/temporal-cli';
import { startHarness, type Harness } from '../support/harness';
import { approve, planYaml, startRollout, waitForRollout, waitForStage } from '../support/rollouts';

/** A dev server of its own that suggests continue-as-new once a run's history has this many events. */
const SUGGEST_AFTER_EVENTS = 12;

let server: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  const path = await resolveTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH });
  server = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(path ? { executable: { type: 'existing-path' as const, path } } : {}),
      searchAttributes: [...ROLLOUT_SEARCH_ATTRIBUTES],
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_AFTER_EVENTS}`],
    },
  });
  h = await startHarness({ temporalAddress: server.address });
});
afterAll(async () => {
  await h?.close();
  await server?.teardown();
});

it('continues as new partway through stages and loses nothing', async () => {
  const id = await startRollout(h, planYaml('long-running', { pilot: [], shadow: ['pilot'] }, '3s'));
  const handle = h.temporal.workflow.getHandle(`rollout-${id}`);
  const first = await handle.describe();
  const running = await waitForStage(h, id, 'pilot', 'running');
  await waitForStage(h, id, 'pilot', 'awaiting-approval', 20_000);
  const firstRun = await h.temporal.workflow.getHandle(`rollout-${id}`, first.runId).describe();
  expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
  expect((await handle.describe()).runId).not.toBe(first.runId);

  const afterTimer = (await h.http('GET', `/v1/rollouts/${id}`)).body;
  expect(afterTimer.stages[0]).toMatchObject({ startedAt: running.stages[0].startedAt, endsNoEarlierThan: running.stages[0].endsNoEarlierThan });
  expect(Date.parse(afterTimer.stages[0].awaitingSince)).toBeGreaterThanOrEqual(Date.parse(running.stages[0].endsNoEarlierThan));

  await approve(h, id, 'pilot');
  await waitForStage(h, id, 'shadow', 'awaiting-approval', 20_000);
  await approve(h, id, 'shadow');
  const done = await waitForRollout(h, id, 'completed');
  const runs: string[] = [];
  for await (const run of h.temporal.workflow.list({ query: `WorkflowId = 'rollout-${id}'` })) runs.push(run.status.name);
  expect(runs.filter((name) => name === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
  expect(done.stages.map((s: { state: string }) => s.state)).toEqual(['passed', 'passed']);

  const events = (await h.http('GET', `/v1/rollouts/${id}/events?limit=500`)).body.events;
  expect(events.map((e: { type: string; stageId?: string }) => (e.stageId ? `${e.type}:${e.stageId}` : e.type))).toEqual([
    'rollout.started',
    'stage.started:pilot',
    'stage.awaiting-approval:pilot',
    'stage.approved:pilot',
    'stage.passed:pilot',
    'stage.started:shadow',
    'stage.awaiting-approval:shadow',
    'stage.approved:shadow',
    'stage.passed:shadow',
    'rollout.completed',
  ]);
});
