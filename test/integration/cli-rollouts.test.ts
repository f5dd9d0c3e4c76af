import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startHarness, type Harness } from '../support/harness';
import { planYaml, waitForStage } from '../support/rollouts';
import { rollgateAs, rollgateWith, tokenOf } from '../support/rollgate-cli';

/** The rollout commands of the rollgate CLI, through its own binary, against the real stack. */

// Each command is a process of its own that loads the TypeScript sources: allow for a busy machine.
jest.setTimeout(300_000);

let h: Harness;
let dir: string;
let lead: Record<string, string>;
let viewer: Record<string, string>;
let approver: Record<string, string>;

/** as runs rollgate with a token of its own in the environment and no stored profile. */
const as = (headers: Record<string, string>, ...args: string[]) => rollgateAs({ url: h.url, configHome: join(dir, 'none') }, headers, ...args);

beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'rollgate-cli-api-'));
  lead = await h.as('lena', ['deployment-lead']);
  viewer = await h.as('vic', ['viewer']);
  approver = await h.as('ann', ['deployment-lead']);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h?.close();
});

describe('rollgate against the API', () => {
  it('stores a login profile readable by its owner only, and uses it', async () => {
    const config = { XDG_CONFIG_HOME: join(dir, 'config'), ROLLGATE_URL: '', ROLLGATE_TOKEN: '' };
    const login = await rollgateWith(config, 'login', '--url', h.url, '--token', tokenOf(lead), '--profile', 'test');
    expect(login.code).toBe(0);
    expect(statSync(join(dir, 'config', 'rollgate', 'profiles.json')).mode & 0o777).toBe(0o600);
    const listed = await rollgateWith(config, 'rollouts', 'list', '--profile', 'test');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const missing = await rollgateWith(config, 'rollouts', 'list');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/rollgate login --url URL --token TOKEN/);
  });

  it('pushes plans after checking them locally: errors as file:line:col, and nothing uploaded', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, planYaml('cli-broken', { pilot: [] }).replace('minDuration: 1s', 'minDuration: soon'));
    const refused = await as(lead, 'plans', 'push', broken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^${broken.replace(/[.]/g, '\\.')}:\\d+:\\d+: error: `, 'm'));
    expect((await h.http('GET', '/v1/plans/cli-broken')).status).toBe(404);
  });

  it('starts a rollout, shows it in the inbox, refuses a sign-off with the roles it takes, and follows it to completion', async () => {
    const file = join(dir, 'quick.yaml');
    writeFileSync(file, planYaml('cli-quick', { pilot: [] }, '1s'));
    expect(await as(lead, 'plans', 'push', file)).toMatchObject({ code: 0, stdout: `${file}: stored cli-quick version 1\n` });
    const started = await as(lead, 'rollouts', 'start', 'cli-quick', '--id', 'cli-quick-1', '--output', 'json');
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ rolloutId: 'cli-quick-1', plan: 'cli-quick', version: 1 });

    // The inbox offers the sign-off once the stage awaits it (its minimum duration is 1s) and the
    // snapshot says so; not to lena, who started the rollout and may not sign it off too.
    await waitForStage(h, 'cli-quick-1', 'pilot', 'awaiting-approval');
    await eventually(async () => ((await h.http('GET', '/v1/inbox?rolloutId=cli-quick-1', undefined, approver)).body.items.length > 0 ? true : undefined), 'the inbox item');
    const inbox = await as(approver, 'inbox', '--output', 'json');
    expect(JSON.parse(inbox.stdout).items).toEqual([expect.objectContaining({ kind: 'stage-sign-off', rolloutId: 'cli-quick-1', stageId: 'pilot' })]);
    expect(JSON.parse((await as(lead, 'inbox', '--output', 'json')).stdout).items).toEqual([]);
    const text = await as(approver, 'inbox');
    expect(text.stdout).toContain('rollgate approve cli-quick-1 pilot');

    const refused = await as(viewer, 'approve', 'cli-quick-1', 'pilot');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rollgate approve: 403 /);
    expect(refused.stderr).toMatch(/hint: stage pilot takes sign-off from deployment-lead/);
    expect((await as(approver, 'reject', 'cli-quick-1', 'pilot')).code).toBe(2);

    const approved = await as(approver, 'approve', 'cli-quick-1', 'pilot', '--comment', 'looks good');
    expect(approved).toMatchObject({ code: 0, stdout: 'approved stage pilot: it is now passed\n' });
    const watched = await as(lead, 'status', 'cli-quick-1', '--watch');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^cli-quick-1 {2}cli-quick v1 {2}completed$/m);
    expect(watched.stdout).toMatch(/└ pilot \(pilot\) {2}passed/);
    const events = await as(lead, 'events', 'cli-quick-1', '--follow');
    expect(events.code).toBe(0);
    const types = events.stdout.trim().split('\n').map((line) => line.split('\t')[1]);
    expect(types).toEqual(expect.arrayContaining(['rollout.started', 'stage.approved', 'rollout.completed']));
  });

  it('pauses and aborts a rollout, and answers a problem with its detail and exit 1', async () => {
    const file = join(dir, 'long.yaml');
    writeFileSync(file, planYaml('cli-long', { pilot: [] }, '1h'));
    expect((await as(lead, 'plans', 'push', file)).code).toBe(0);
    expect((await as(lead, 'rollouts', 'start', 'cli-long', '--id', 'cli-long-1')).code).toBe(0);
    expect((await as(viewer, 'pause', 'cli-long-1')).stderr).toMatch(/^rollgate pause: 403 /);
    const aborted = await as(lead, 'abort', 'cli-long-1', '--reason', 'wrong line');
    expect(aborted).toMatchObject({ code: 0, stdout: expect.stringMatching(/^rollout cli-long-1 is aborted/) });
    expect((await as(lead, 'status', 'cli-long-1', '--watch')).stdout).toMatch(/cli-long v1 {2}aborted/);
    const bogus = await as(lead, 'rollouts', 'list', '--state', 'bogus');
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/state: .*"running"/);
  });
});
