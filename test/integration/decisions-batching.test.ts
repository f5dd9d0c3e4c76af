import { DecisionWriter, type InsertResult } from '../../db/decision-writer';
import type { NewDecision } from '../../db/decisions';
import { waitForActiveStages } from '../support/decisions';
import { startHarness, type Harness } from '../support/harness';
import { startRollout } from '../support/rollouts';

let h: Harness;
let rolloutId: string;
beforeAll(async () => {
  h = await startHarness();
  rolloutId = await startRollout(h, PLAN, 'batched');
  await waitForActiveStages(h, rolloutId, ['supervised']);
});
afterAll(() => h?.close());

const PLAN = `
name: batched-decisions
owner: lena
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1h
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, deferTo: transport-planner }
`;

const decision = (decisionId: string, fields: Partial<NewDecision> = {}): NewDecision => ({
  decisionId,
  rolloutId,
  expectedActiveStages: ['supervised'],
  planVersion: 1,
  stageId: 'supervised',
  stageMode: 'supervised',
  planThreshold: 0.8,
  kind: 'carrier-selection',
  confidence: 0.9,
  irreversible: false,
  decideBy: new Date(Date.now() + 3_600_000).toISOString(),
  recommendation: '{"carrier":"nordfracht"}',
  requestDigest: `digest-of-${decisionId}`,
  deferTo: 'transport-planner',
  safeDefault: 'hold',
  requestedBy: 'tms',
  requestId: `request-${decisionId}`,
  ...fields,
});

const stored = async (prefix: string) =>
  (await h.pool.query<{ id: string; digest: string }>('SELECT decision_id AS id, request_digest AS digest FROM decisions WHERE decision_id LIKE $1 ORDER BY 1', [`${prefix}%`]))
    .rows;

const digestOf = (result: InsertResult) => ('stale' in result ? 'stale' : `${result.inserted ? 'new' : 'stored'}:${result.answer.requestDigest}`);

describe('group commit of decisions', () => {
  it('answers each decision of a batch with what its statement wrote', async () => {
    const writer = new DecisionWriter(h.pool);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => writer.insert(decision(`many-${String(i).padStart(2, '0')}`, { confidence: i % 2 === 0 ? 0.9 : 0.5 }))),
    );
    expect(results.map((result) => ('stale' in result ? 'stale' : `${result.inserted}:${result.answer.disposition}:${result.answer.state}`))).toEqual(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'true:auto:auto' : 'true:deferred:pending')),
    );
    expect(await stored('many-')).toHaveLength(40);
  });

  it('answers a repeat inside one batch as a repeat of the stored decision, whatever its content', async () => {
    const writer = new DecisionWriter(h.pool);
    const results = await Promise.all([
      writer.insert(decision('twice', { requestDigest: 'first' })),
      writer.insert(decision('twice', { requestDigest: 'first' })),
      writer.insert(decision('twice', { requestDigest: 'second', confidence: 0.1 })),
      writer.insert(decision('once')),
    ]);
    expect(results.map(digestOf)).toEqual(['new:first', 'stored:first', 'stored:first', 'new:digest-of-once']);
    expect(await stored('twice')).toEqual([{ id: 'twice', digest: 'first' }]);
  });

  it('keeps exactly one row per decisionId when repeats arrive in several batches at once', async () => {
    const writer = new DecisionWriter(h.pool);
    const ids = Array.from({ length: 60 }, (_, i) => `race-${String(i).padStart(2, '0')}`);
    const submissions = [...ids, ...[...ids].reverse(), ...ids].map((id) => writer.insert(decision(id)));
    const results = await Promise.all(submissions);
    const inserted = results.filter((result) => !('stale' in result) && result.inserted);
    expect(inserted).toHaveLength(ids.length);
    expect(results.every((result) => !('stale' in result) && result.answer.requestDigest === `digest-of-${result.answer.decisionId}`)).toBe(true);
    expect((await stored('race-')).map((row) => row.id)).toEqual(ids);
  });

  it('fails only the decision PostgreSQL refuses, and stores the rest of its batch', async () => {
    const writer = new DecisionWriter(h.pool);
    const [before, refused, after] = await Promise.allSettled([
      writer.insert(decision('fine-1')),
      writer.insert(decision('nul', { recommendation: '{"note":"\\u0000"}' })),
      writer.insert(decision('fine-2')),
    ]);
    expect(before.status).toBe('fulfilled');
    expect(refused.status).toBe('rejected');
    expect(after.status).toBe('fulfilled');
    expect((await stored('fine-')).map((row) => row.id)).toEqual(['fine-1', 'fine-2']);
    expect(await stored('nul')).toEqual([]);
  });

  it('stores nothing and says stale when the active stages are no longer those expected', async () => {
    const writer = new DecisionWriter(h.pool);
    expect(await writer.insert(decision('outdated', { expectedActiveStages: ['pilot'] }))).toEqual({ stale: true });
    expect(await stored('outdated')).toEqual([]);
  });
});
