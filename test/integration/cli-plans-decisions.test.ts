import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startHarness, type Harness } from '../support/harness';
import { submitDecision, waitForActiveStages } from '../support/decisions';
import { planYaml, startRollout, trailWritten, waitForRollout, waitForStage } from '../support/rollouts';
import { rollgateAs, rollgateWith } from '../support/rollgate-cli';

/** plans show|versions|diff, resolve and decisions list|show|resolve, through the binary, against the real stack. */

// Each command is a process of its own that loads the TypeScript sources: allow for a busy machine.
jest.setTimeout(300_000);

let h: Harness;
let dir: string;
let lead: Record<string, string>;
let viewer: Record<string, string>;

/** as runs rollgate with a token of its own in the environment and no stored profile. */
const as = (headers: Record<string, string>, ...args: string[]) => rollgateAs({ url: h.url, configHome: join(dir, 'none') }, headers, ...args);

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'rollgate-cli-more-'));
  lead = await h.as('lena', ['deployment-lead']);
  viewer = await h.as('vic', ['viewer']);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h?.close();
});

describe('plans show, versions and diff', () => {
  const first = planYaml('cli-plan', { pilot: [] }, '1s');
  const second = planYaml('cli-plan', { pilot: [] }, '2s');

  beforeAll(async () => {
    for (const [file, yaml] of [['v1.yaml', first], ['v2.yaml', second]] as const) {
      writeFileSync(join(dir, file), yaml);
      expect((await as(lead, 'plans', 'push', join(dir, file))).code).toBe(0);
    }
  });

  it('shows the latest version as uploaded, or the one asked for', async () => {
    expect(await as(lead, 'plans', 'show', 'cli-plan')).toMatchObject({ code: 0, stdout: second, stderr: expect.stringMatching(/^cli-plan version 2 \(/) });
    const one = await as(lead, 'plans', 'show', 'cli-plan', '--version', '1', '--output', 'json');
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ name: 'cli-plan', version: 1, source: first });
    expect(await as(lead, 'plans', 'show', 'cli-plan', '--version', 'latest')).toMatchObject({ code: 2 });
    const missing = await as(lead, 'plans', 'show', 'cli-plan', '--version', '3');
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/^rollgate plans show: 404 .*plan cli-plan has no version 3/) });
  });

  it('lists the versions and what changed between two of them', async () => {
    const versions = await as(lead, 'plans', 'versions', 'cli-plan');
    expect(versions.code).toBe(0);
    expect(versions.stdout.trim().split('\n').map((line) => line.split('\t')[0])).toEqual(['v1', 'v2']);
    const json = JSON.parse((await as(lead, 'plans', 'versions', 'cli-plan', '--output', 'json')).stdout);
    expect(json.versions.map((entry: { version: number }) => entry.version)).toEqual([1, 2]);

    const diff = await as(lead, 'plans', 'diff', 'cli-plan', '1', '2');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^~ stages\S*minDuration: "1s" -> "2s"$/m);
    const diffJson = JSON.parse((await as(lead, 'plans', 'diff', 'cli-plan', '1', '2', '--output', 'json')).stdout);
    expect(diffJson).toMatchObject({ name: 'cli-plan', from: 1, to: 2, changes: [expect.objectContaining({ change: 'changed', from: '1s', to: '2s' })] });
    expect(await as(lead, 'plans', 'diff', 'cli-plan', '2', '2')).toMatchObject({ code: 0, stdout: '', stderr: 'cli-plan: versions 2 and 2 are the same plan\n' });
    expect((await as(lead, 'plans', 'diff', 'cli-plan', '1')).code).toBe(2);
    expect((await as(lead, 'plans', 'diff', 'nope', '1', '2')).stderr).toMatch(/^rollgate plans diff: 404 .*no plan named nope/);
  });
});

describe('resolve a held stage', () => {
  /** A pilot judged on evidence that never comes: held as inconclusive at its maxDuration. */
  const HELD = `
name: cli-held
owner: lena
roles:
  deployment-lead: { members: [lena] }
metrics:
  detection-rate: { unit: ratio, direction: higher-is-better }
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 1s
    maxDuration: 3s
    evaluationInterval: 1s
    approvals: [{ role: deployment-lead }]
    criteria:
      - { metric: detection-rate, threshold: 0.9, window: 1h, minSamples: 3 }
`;

  it('refuses a wrong use, answers 403 with exit 1, and retries a held stage', async () => {
    const id = await startRollout(h, HELD, 'cli-held-1');
    await waitForStage(h, id, 'pilot', 'held');
    // The inbox offers the resolution as the command to run.
    await eventually(async () => ((await h.http('GET', `/v1/inbox?rolloutId=${id}`, undefined, lead)).body.items.length > 0 ? true : undefined), 'the held stage in the inbox');
    expect((await as(lead, 'inbox')).stdout).toContain(`rollgate resolve ${id} pilot --action retry-window|rollback|abort --reason TEXT`);

    expect(await as(lead, 'resolve', id, 'pilot', '--action', 'retry')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--action is retry-window, rollback, abort, not retry/) });
    expect(await as(lead, 'resolve', id, 'pilot', '--action', 'abort')).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs a reason/) });
    expect((await as(viewer, 'resolve', id, 'pilot', '--action', 'abort', '--reason', 'no')).stderr).toMatch(/^rollgate resolve: 403 /);

    const resolved = await as(lead, 'resolve', id, 'pilot', '--action', 'retry-window', '--reason', 'the historian export is back', '--output', 'json');
    expect(resolved).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(resolved.stdout)).toMatchObject({ rolloutId: id, stage: { id: 'pilot', attempt: 2 } });
    await trailWritten(h, id);
    const trail = await h.http('GET', `/v1/rollouts/${id}/events`);
    expect(trail.body.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'stage.resolved', stageId: 'pilot', actor: 'lena' })]));

    // Held again (no evidence came): an abort in text ends the rollout.
    await waitForStage(h, id, 'pilot', 'held');
    const aborted = await as(lead, 'resolve', id, 'pilot', '--action', 'abort', '--reason', 'the line is rebuilt');
    expect(aborted).toMatchObject({ code: 0, stdout: expect.stringMatching(/^resolved stage pilot \(abort\): it is now /) });
    await waitForRollout(h, id, 'aborted');
  });
});

describe('decisions', () => {
  const PLAN = `
name: cli-decisions
owner: lena
roles:
  deployment-lead: { members: [lena] }
  transport-planner: { members: [pat] }
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: deployment-lead }]
    deferral: { confidenceThreshold: 0.8, safeDefault: hold, deferTo: transport-planner }
`;

  it('lists, shows and resolves a deferred decision', async () => {
    const id = await startRollout(h, PLAN, 'cli-decisions-1');
    await waitForActiveStages(h, id, ['supervised']);
    expect((await submitDecision(h, id, 'cli-d1', { confidence: 0.4 })).status).toBe(201);
    expect((await submitDecision(h, id, 'cli-d2', { confidence: 0.95 })).status).toBe(201);
    const pat = await h.as('pat', []);
    await eventually(async () => ((await h.http('GET', `/v1/inbox?rolloutId=${id}`, undefined, pat)).body.items.length > 0 ? true : undefined), 'the decision in the inbox');
    expect((await as(pat, 'inbox')).stdout).toContain(`rollgate decisions resolve ${id} cli-d1 --action accept|modify|reject`);

    const pending = await as(pat, 'decisions', 'list', id, '--state', 'pending', '--output', 'json');
    expect(pending.code).toBe(0);
    expect(JSON.parse(pending.stdout).decisions.map((d: { decisionId: string }) => d.decisionId)).toEqual(['cli-d1']);
    const all = await as(pat, 'decisions', 'list', id);
    expect(all.stdout.trim().split('\n').map((line) => line.split('\t').slice(0, 5))).toEqual([
      ['cli-d1', 'supervised', 'carrier-selection', 'deferred', 'pending'],
      ['cli-d2', 'supervised', 'carrier-selection', 'auto', expect.any(String)],
    ]);
    expect((await as(pat, 'decisions', 'list', id, '--state', 'bogus')).stderr).toMatch(/^rollgate decisions list: 422 /);

    const shown = await as(pat, 'decisions', 'show', id, 'cli-d1');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^decision cli-d1 of rollout cli-decisions-1, stage supervised/);
    expect(shown.stdout).toMatch(/deferred, pending: waits for transport-planner until /);
    expect(shown.stdout).toContain('recommendation: {"carrier":"nordfracht"}');
    expect(await as(pat, 'decisions', 'show', 'cli-other', 'cli-d1')).toMatchObject({ code: 1, stderr: expect.stringMatching(/is of rollout cli-decisions-1, not cli-other/) });

    expect((await as(pat, 'decisions', 'resolve', id, 'cli-d1', '--action', 'approve')).code).toBe(2);
    expect((await as(pat, 'decisions', 'resolve', id, 'cli-d1', '--action', 'modify', '--payload', '{nope')).code).toBe(2);
    const modifyWithout = await as(pat, 'decisions', 'resolve', id, 'cli-d1', '--action', 'modify');
    expect(modifyWithout).toMatchObject({ code: 1, stderr: expect.stringMatching(/payload: modify needs the changed decision/) });
    expect((await as(lead, 'decisions', 'resolve', id, 'cli-d1', '--action', 'accept')).stderr).toMatch(/^rollgate decisions resolve: 403 /);

    const changed = { carrier: 'baltic-haul' };
    const resolved = await as(pat, 'decisions', 'resolve', id, 'cli-d1', '--action', 'modify', '--payload', JSON.stringify(changed), '--comment', 'no capacity on Friday');
    expect(resolved).toMatchObject({ code: 0, stdout: 'resolved decision cli-d1 of rollout cli-decisions-1 (modify): it is now resolved\n' });
    const after = await eventually(async () => {
      const { body } = await h.http('GET', '/v1/decisions/cli-d1');
      return body.state === 'resolved' ? body : undefined;
    }, 'the decision to be resolved');
    expect(after).toMatchObject({ resolution: { resolution: 'modify', payload: changed, reason: 'no capacity on Friday', by: 'pat' } });
    expect(JSON.parse((await as(pat, 'decisions', 'list', id, '--state', 'pending', '--output', 'json')).stdout).decisions).toEqual([]);
  });
});

describe('usage', () => {
  it('documents the commands, and --help needs no server', async () => {
    const none = { XDG_CONFIG_HOME: join(dir, 'none'), ROLLGATE_URL: '', ROLLGATE_TOKEN: '' };
    const top = await rollgateWith(none, '--help');
    expect(top.stdout).toMatch(/^ {2}resolve <id> <stage> --action retry-window\|rollback\|abort$/m);
    expect(top.stdout).toMatch(/^ {2}decisions list\|show\|resolve <id>$/m);
    expect(await rollgateWith(none, 'decisions', '--help')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage:\n {2}rollgate decisions list ROLLOUT-ID \[--state STATE\]/) });
    expect(await rollgateWith(none, 'decisions', 'resolve', '--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('--action accept|modify|reject') });
    expect(await rollgateWith(none, 'resolve', '--help')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: rollgate resolve ROLLOUT-ID STAGE --action retry-window\|rollback\|abort --reason TEXT/) });
    expect((await rollgateWith(none, 'plans', '--help')).stdout).toMatch(/^ {2}rollgate plans diff NAME A B /m);
    expect(await rollgateWith(none, 'decisions', 'frob')).toMatchObject({ code: 2, stderr: expect.stringMatching(/the actions are list, show, resolve/) });
  });
});
