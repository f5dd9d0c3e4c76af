import { parse } from 'yaml';
import { storePlanVersion } from '../../db/plans';
import { planDigest } from '../../definitions';
import type { Plan } from '../../definitions/schema';
import { startHarness, type Harness } from '../support/harness';

/**
 * A plan version stored before the plan rules bounded its values (here a minimum duration no
 * date can hold) is not started: the rollout would fail on every workflow task. The start is
 * refused with the problems at their lines in the stored source, and nothing is written.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const SOURCE = `name: stored-before-bounds
owner: maria
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 99999999999999999999999w
    approvals: [{ role: deployment-lead }]
`;

it('refuses to start a stored version that no longer validates, naming the problem at its line', async () => {
  // Stored as the API stored it before the bound existed: the parsed plan with its defaults.
  const written = parse(SOURCE) as { stages: Array<Record<string, unknown>> };
  const defaults = { dependsOn: [], evaluationInterval: '1h', criteria: [], escalation: [], onFailure: 'hold' };
  const plan = { allowSelfApproval: false, prerequisites: [], notifications: [], ...written, stages: written.stages.map((stage) => ({ ...defaults, ...stage })) } as unknown as Plan;
  const stored = await storePlanVersion(h.pool, plan, SOURCE, planDigest(plan));

  const started = await h.http('POST', '/v1/rollouts', { plan: stored.name, version: stored.version, rolloutId: 'too-long' });
  expect(started.status).toBe(422);
  expect(started.headers.get('content-type')).toContain('application/problem+json');
  expect(started.body).toMatchObject({
    title: 'Plan version no longer valid',
    detail: expect.stringContaining(`plan stored-before-bounds version ${stored.version} was stored before a rule it breaks`),
    errors: [
      {
        line: 7,
        column: 18,
        path: 'stages[0].minDuration',
        message: 'stages[0].minDuration: "99999999999999999999999w" is longer than 10 years (3653d), the longest duration a plan may give',
      },
    ],
  });
  expect((await h.pool.query('SELECT count(*)::int AS n FROM rollouts')).rows[0].n).toBe(0);
  expect((await h.http('GET', '/v1/rollouts/too-long')).status).toBe(404);
});
