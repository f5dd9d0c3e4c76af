import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eventually, startHarness, type Harness } from '../support/harness';
import { approve, auditTrail, planYaml, startRollout, waitForRollout, waitForStage } from '../support/rollouts';
import { startDevServer } from '../support/temporal';

/** A dev server of its own that suggests continue-as-new once a run's history has this many events. */
const SUGGEST_AFTER_EVENTS = 12;

let server: TestWorkflowEnvironment;
let h: Harness;
beforeAll(async () => {
  server = await startDevServer({ suggestContinueAsNewAfter: SUGGEST_AFTER_EVENTS });
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

  // The live status says completed a moment before the last event is written.
  const events = await eventually(async () => {
    const all = await auditTrail(h, id);
    return all.at(-1)?.type === 'rollout.completed' ? all : undefined;
  }, 'the rollout.completed event');
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

it('continues as new in the middle of waves, with site children still running, and loses no site', async () => {
  const yaml = [
    'name: phased-long-running',
    'owner: test-lead',
    'stages:',
    '  - id: phased',
    '    title: Phased deployment',
    '    mode: supervised',
    '    overrideAuthority: deployment-lead',
    '    scope: { sites: [plant-a, plant-b, plant-c] }',
    '    minDuration: 2s',
    '    approvals: [{ role: deployment-lead }]',
    '    forEach: { over: sites, waves: [1, rest], feedbackCycle: 1s }',
    '',
  ].join('\n');
  const id = await startRollout(h, yaml);
  const siteState = async (name: string) =>
    (await h.http('GET', `/v1/rollouts/${id}`)).body.stages[0].sites.find((s: { site: string }) => s.site === name)?.state;
  const approveWhenReady = async (site?: string) => {
    await eventually(async () => ((await approve(h, id, 'phased', 'dana', site ? { site } : {})).status === 200 ? true : undefined), `sign-off of ${site ?? 'wave 2'}`, 30_000);
  };

  await approveWhenReady('plant-a');
  await approveWhenReady();
  await approveWhenReady('plant-b');
  await approveWhenReady('plant-c');
  const done = await waitForRollout(h, id, 'completed');
  expect(done.stages[0].sites.map((s: { state: string }) => s.state)).toEqual(['passed', 'passed', 'passed']);
  expect(await siteState('plant-b')).toBe('passed');

  const parentRuns: string[] = [];
  for await (const run of h.temporal.workflow.list({ query: `WorkflowId = 'rollout-${id}'` })) parentRuns.push(run.status.name);
  expect(parentRuns.filter((name) => name === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);

  // Every site and wave event is in the trail exactly once, whichever run recorded it.
  const events = await auditTrail(h, id);
  const parentEvents = events.filter((e) => e.type.startsWith('site.') || e.type.startsWith('wave.')).map((e) => `${e.type}:${e.detail?.site ?? e.detail?.wave}`);
  expect(parentEvents.sort()).toEqual(
    [
      'site.started:plant-a',
      'site.passed:plant-a',
      'site.started:plant-b',
      'site.passed:plant-b',
      'site.started:plant-c',
      'site.passed:plant-c',
      'wave.started:1',
      'wave.passed:1',
      'wave.feedback-cycle:2',
      'wave.awaiting-approval:2',
      'wave.approved:2',
      'wave.started:2',
      'wave.passed:2',
    ].sort(),
  );
}, 120_000);
