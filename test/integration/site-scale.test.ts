import { eventually, startHarness, type Harness } from '../support/harness';
import { startRollout, waitForRollout } from '../support/rollouts';

/**
 * A forEach stage over 200 sites keeps every workflow's history bounded: children report to
 * the parent by signal, and the parent continues as new when the server suggests it.
 */
const SITES = Array.from({ length: 200 }, (_, k) => `site-${String(k + 1).padStart(3, '0')}`);
const HISTORY_BOUND = 10_000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

it('runs 200 sites in three waves with every history under 10,000 events', async () => {
  const yaml = [
    'name: two-hundred-sites',
    'owner: test-lead',
    'stages:',
    '  - id: phased',
    '    title: Phased deployment',
    '    mode: supervised',
    '    overrideAuthority: deployment-lead',
    `    scope: { sites: [${SITES.join(', ')}] }`,
    '    minDuration: 0s',
    '    approvals: [{ role: deployment-lead }]',
    '    forEach: { over: sites, waves: [10, 60, rest] }',
    '',
  ].join('\n');
  const rolloutId = await startRollout(h, yaml, 'two-hundred-sites');
  const signer = await h.as('dana', ['deployment-lead']);
  const signed = new Set<string>();
  const signOff = (body: Record<string, unknown>) => h.http('POST', `/v1/rollouts/${rolloutId}/stages/phased/approvals`, { decision: 'approve', ...body }, signer);

  // An approver working through the sign-off queue: every site awaiting it, and each wave gate.
  const status = await eventually(
    async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${rolloutId}`);
      if (body.state === 'completed') return body;
      const stage = body.stages[0];
      if (stage.state === 'awaiting-approval') await signOff({});
      const waiting = stage.sites.filter((s: { site: string; state: string }) => s.state === 'awaiting-approval' && !signed.has(s.site));
      for (let k = 0; k < waiting.length; k += 20) {
        const batch = waiting.slice(k, k + 20);
        const answers = await Promise.all(batch.map((s: { site: string }) => signOff({ site: s.site })));
        answers.forEach((answer, i) => answer.status === 200 && signed.add(batch[i].site));
      }
      return undefined;
    },
    'all 200 sites to pass',
    240_000,
  );
  expect(status.stages[0].sites.filter((s: { state: string }) => s.state === 'passed')).toHaveLength(200);
  expect(status.stages[0].waves.map((w: { sites: string[] }) => w.sites.length)).toEqual([10, 60, 130]);
  await waitForRollout(h, rolloutId, 'completed');

  const lengths = async (query: string) => {
    const found: number[] = [];
    for await (const run of h.temporal.workflow.list({ query })) found.push(run.historyLength);
    return found;
  };
  const parentRuns = await lengths(`WorkflowId = 'rollout-${rolloutId}'`);
  const children = await lengths(`WorkflowId STARTS_WITH 'rollout-${rolloutId}/'`);
  expect(children).toHaveLength(200);
  expect(Math.max(...parentRuns)).toBeLessThan(HISTORY_BOUND);
  expect(Math.max(...children)).toBeLessThan(HISTORY_BOUND);
  process.stdout.write(`200 sites: parent runs ${parentRuns.length}, longest ${Math.max(...parentRuns)} events; longest child ${Math.max(...children)} events\n`);
}, 300_000);
