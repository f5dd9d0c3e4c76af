import { rolloutInboxItems } from '../../api/inbox-items';
import { callerKeys, inboxCandidates } from '../../db/inbox-candidates';
import type { Plan } from '../../definitions/schema';
import type { Actor, RolloutStatus, StageStatus } from '../../policy/rollout-types';

/**
 * The inbox index narrows by holder keys, then the exact rules decide: it must select every
 * rollout where the rules would offer the caller something (a superset), and few others.
 */

const AT = '2026-01-01T00:00:00.000Z';
const roles: Plan['roles'] = { 'line-supervisor': { members: ['ann', 'mes-bridge'] }, 'plant-manager': { members: ['pia'] } };

function stage(id: string, overrides: Partial<StageStatus> = {}): StageStatus {
  return {
    id,
    title: id,
    mode: 'pilot',
    state: 'running',
    dependsOn: [],
    required: [{ role: 'deployment-lead', count: 1 }],
    approvals: [],
    history: [],
    escalatedTo: [],
    escalationsApplied: 0,
    evaluations: 0,
    attempt: 1,
    overrides: [],
    startedAt: AT,
    ...overrides,
  };
}

function status(stages: StageStatus[], overrides: Partial<RolloutStatus> = {}): RolloutStatus {
  return { rolloutId: 'r1', plan: 'p', version: 1, digest: '', state: 'running', startedAt: AT, startedBy: 'maria', prerequisites: [], stages, ...overrides };
}

const plan = (declared: Plan['roles']) => ({ roles: declared, allowSelfApproval: false, stages: [] }) as unknown as Plan;
const person = (name: string, ...tokenRoles: string[]): Actor => ({ name, kind: 'person', roles: tokenRoles });

const statuses: Array<[string, RolloutStatus, Plan['roles']]> = [
  ['a stage awaiting a token role', status([stage('pilot', { state: 'awaiting-approval', awaitingSince: AT })]), undefined],
  ['a stage awaiting a declared role', status([stage('pilot', { state: 'awaiting-approval', required: [{ role: 'line-supervisor', count: 1 }] })]), roles],
  ['a stage escalated to a declared role', status([stage('pilot', { state: 'awaiting-approval', escalatedTo: ['plant-manager'] })]), roles],
  ['a rejected stage', status([stage('pilot', { state: 'held', hold: { cause: 'rejected', reason: 'no', at: AT } })]), undefined],
  ['a stage held by its criteria', status([stage('pilot', { state: 'held', hold: { cause: 'criteria-failed', reason: 'low', at: AT } })], { state: 'held' }), undefined],
  [
    'a site awaiting sign-off',
    status([stage('lines', { state: 'running', sites: [{ site: 'plant-b', wave: 1, state: 'awaiting-approval', attempt: 1, startedAt: AT }] })]),
    undefined,
  ],
  [
    'a wave awaiting sign-off',
    status([stage('lines', { waves: [{ number: 2, sites: ['plant-c'], state: 'awaiting-approval', expectedStart: AT, expectedFinish: AT, approvals: [] }] })]),
    undefined,
  ],
  ['a prerequisite', status([stage('pilot')], { prerequisites: [{ id: 'contract', kind: 'data-contract', title: 'Contract', signedBy: 'line-supervisor', perSite: false }] }), roles],
  ['nothing waiting', status([stage('pilot'), stage('next', { state: 'pending' as StageStatus['state'] })]), undefined],
];

const actors: Actor[] = [
  person('ann'),
  person('dora', 'deployment-lead'),
  person('zed', 'line-supervisor'),
  person('pia'),
  person('maria', 'deployment-lead'),
  person('otto', 'rollout-operator'),
  person('root', 'admin'),
  { name: 'mes-bridge', kind: 'service', roles: [] },
  { name: 'ci', kind: 'service', roles: ['deployment-lead'] },
  person('vic', 'viewer'),
];

describe('the inbox index', () => {
  it.each(statuses)('selects %s for everyone the rules offer it to', (what, snapshot, declared) => {
    const candidates = inboxCandidates(snapshot, declared);
    const offeredTo = actors.filter((actor) => rolloutInboxItems({ rolloutId: 'r1', plan: plan(declared), planVersion: 1, startedBy: 'maria', status: snapshot }, actor).length > 0);
    expect(offeredTo.length > 0).toBe(what !== 'nothing waiting');
    for (const actor of actors) {
      const offered = rolloutInboxItems({ rolloutId: 'r1', plan: plan(declared), planVersion: 1, startedBy: 'maria', status: snapshot }, actor);
      const keys = callerKeys(actor);
      const selected = candidates.some((candidate) => candidate.holders.some((holder) => keys.includes(holder)));
      if (offered.length > 0) expect({ actor: actor.name, selected }).toEqual({ actor: actor.name, selected: true });
    }
  });

  it('selects no one who holds none of the roles, and nothing of a rollout that waits for no one or has ended', () => {
    const awaiting = status([stage('pilot', { state: 'awaiting-approval' })]);
    const viewerKeys = callerKeys(person('vic', 'viewer'));
    expect(inboxCandidates(awaiting, undefined).some((candidate) => candidate.holders.some((holder) => viewerKeys.includes(holder)))).toBe(false);
    expect(inboxCandidates(status([stage('pilot')]), undefined)).toEqual([]);
    expect(inboxCandidates({ ...awaiting, state: 'completed' }, undefined)).toEqual([]);
    // A service never holds a token role it was given unless the plan lists it as a member.
    const ciKeys = callerKeys({ name: 'ci', kind: 'service', roles: ['deployment-lead'] });
    expect(inboxCandidates(awaiting, undefined).some((candidate) => candidate.holders.some((holder) => ciKeys.includes(holder)))).toBe(false);
  });
});
