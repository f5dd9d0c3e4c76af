import { eventually, startHarness, type Harness } from '../support/harness';
import { planYaml, prerequisitePlanYaml, startRollout, waitForStage } from '../support/rollouts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

interface Item {
  id: string;
  kind: string;
  rolloutId: string;
  stageId?: string;
  prerequisiteId?: string;
  roles: string[];
  evidence?: { criteria?: unknown[] };
  action: { method: string; path: string };
}

const inbox = async (headers: Record<string, string>, query = ''): Promise<Item[]> => {
  const response = await h.http('GET', `/v1/inbox${query}`, undefined, headers);
  expect(response.status).toBe(200);
  return response.body.items as Item[];
};
const itemsOf = async (headers: Record<string, string>, rolloutId: string) => (await inbox(headers)).filter((item) => item.rolloutId === rolloutId);

describe('the inbox: what waits for the caller', () => {
  it('offers a prerequisite to its signer only, and drops it once signed', async () => {
    const id = await startRollout(h, prerequisitePlanYaml('inbox-prereq'));
    const lead = await h.as('lee', ['deployment-lead']);
    const viewer = await h.as('vic', ['viewer']);
    const [item] = await eventually(async () => {
      const items = await itemsOf(lead, id);
      return items.length > 0 ? items : undefined;
    }, 'the prerequisite in the inbox');
    expect(item).toMatchObject({ kind: 'prerequisite', prerequisiteId: 'data-contract', roles: ['deployment-lead'] });
    expect(await itemsOf(viewer, id)).toEqual([]);
    // The viewer is refused the action the inbox did not offer them; the lead may take it.
    expect((await h.http(item!.action.method, item!.action.path, {}, viewer)).status).toBe(403);
    expect((await h.http(item!.action.method, item!.action.path, {}, lead)).status).toBe(200);
    await eventually(async () => ((await itemsOf(lead, id)).length === 0 ? true : undefined), 'the signed prerequisite to leave the inbox');
  });

  it('offers a stage awaiting sign-off with its evidence, to those who may sign, until it is signed', async () => {
    const id = await startRollout(h, planYaml('inbox-stage', { pilot: [] }, '1s'));
    await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const dana = await h.as('dana', ['deployment-lead']);
    const viewer = await h.as('vic', ['viewer']);
    const item = await eventually(async () => (await itemsOf(dana, id)).find((candidate) => candidate.kind === 'stage-sign-off'), 'the sign-off in the inbox');
    expect(item).toMatchObject({ stageId: 'pilot', roles: ['deployment-lead'], action: { method: 'POST', path: `/v1/rollouts/${id}/stages/pilot/approvals` } });
    expect(await itemsOf(viewer, id)).toEqual([]);
    expect((await h.http('POST', item.action.path, { decision: 'approve' }, viewer)).status).toBe(403);
    expect((await inbox(dana, `?kind=prerequisite&rolloutId=${id}`))).toEqual([]);
    // The index holds the stage for token role deployment-lead, written with the snapshot.
    const candidates = async () => (await h.pool.query(`SELECT item_key, holders FROM inbox_candidates WHERE rollout_id = $1`, [id])).rows;
    expect(await candidates()).toEqual([{ item_key: 'stage:pilot', holders: ['role:deployment-lead'] }]);
    expect((await h.http('POST', item.action.path, { decision: 'approve' }, dana)).status).toBe(200);
    await eventually(async () => ((await itemsOf(dana, id)).length === 0 ? true : undefined), 'the signed stage to leave the inbox');
    await eventually(async () => ((await candidates()).length === 0 ? true : undefined), 'the index to drop the signed stage');
  });

  it('refuses an unknown kind, naming the kinds', async () => {
    const response = await h.http('GET', '/v1/inbox?kind=everything');
    expect(response.status).toBe(422);
    expect(response.body.errors[0]).toMatchObject({ path: 'kind', message: expect.stringMatching(/"stage-sign-off"/) });
  });
});
