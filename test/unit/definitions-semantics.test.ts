import { BUILT_IN_METRICS, isBuiltInMetric } from '../../definitions/built-in-metrics';
import { downstreamStages, upstreamStages } from '../../definitions/graph';
import { Plan, type PlanInput } from '../../definitions/schema';
import { checkSemantics } from '../../definitions/semantics';
import { closestMatch } from '../../definitions/suggest';

type StageInput = PlanInput['stages'][number];

function stage(id: string, extra: Partial<StageInput> = {}): StageInput {
  return { id, title: id, mode: 'pilot', minDuration: '1s', approvals: [{ role: 'approver' }], criteria: [{ metric: 'precision', threshold: 0.9, window: '1s' }], ...extra };
}

function plan(stages: StageInput[], extra: Partial<PlanInput> = {}): Plan {
  return Plan.parse({ name: 'p', owner: 'lead', stages, ...extra });
}

describe('checkSemantics', () => {
  it('accepts a plan whose names all resolve', () => {
    const roles = { approver: { members: ['ann'] }, 'plant-manager': { members: ['bo'] } };
    const stages = [stage('a'), stage('b', { dependsOn: ['a'], mode: 'supervised', overrideAuthority: 'plant-manager@plant-b', onFailure: { rollback: 'a' } })];
    expect(checkSemantics(plan(stages, { roles }))).toEqual([]);
  });

  it('checks roles only when the plan declares them', () => {
    expect(checkSemantics(plan([stage('a', { approvals: [{ role: 'anyone' }] })]))).toEqual([]);
    expect(checkSemantics(plan([stage('a', { approvals: [{ role: 'anyone' }] })], { roles: { approver: { members: ['ann'] } } }))).toEqual([
      { path: ['stages', 0, 'approvals', 0, 'role'], message: 'stages[0].approvals[0].role: unknown role "anyone": declare it under roles' },
    ]);
  });

  it('accepts a scoped role declared exactly, but not its base role then', () => {
    const roles = { 'plant-manager@plant-b': { members: ['bo'] } };
    expect(checkSemantics(plan([stage('a', { approvals: [{ role: 'plant-manager@plant-b' }, { role: 'plant-manager' }] })], { roles }))).toEqual([
      { path: ['stages', 0, 'approvals', 1, 'role'], message: 'stages[0].approvals[1].role: unknown role "plant-manager": roles declares it only per site, as plant-manager@plant-b' },
    ]);
  });

  it('reports a missing overrideAuthority at the stage, for the missing key', () => {
    expect(checkSemantics(plan([stage('a', { mode: 'supervised' })]))).toEqual([
      {
        path: ['stages', 0, 'overrideAuthority'],
        at: ['stages', 0],
        message: 'stages[0]: a supervised stage needs overrideAuthority: the role that may override the model',
      },
    ]);
  });

  it('names every upstream stage when a rollback target is not one of them', () => {
    const stages = [stage('a'), stage('b', { dependsOn: ['a'] }), stage('x'), stage('c', { dependsOn: ['b'], onFailure: { rollback: 'x' } })];
    expect(checkSemantics(plan(stages))).toEqual([
      {
        path: ['stages', 3, 'onFailure', 'rollback'],
        message: 'stages[3].onFailure.rollback: stage "c" can only roll back to a stage upstream of it, and "x" is not; its upstream stages are a, b',
      },
    ]);
  });

  it('accepts waves that leave the rest to a last rest wave or match the sites exactly', () => {
    const scope = { sites: ['s1', 's2', 's3'] };
    expect(checkSemantics(plan([stage('a', { scope, forEach: { over: 'sites', waves: [1, 2, 'rest'] } })]))).toEqual([]);
    expect(checkSemantics(plan([stage('a', { scope, forEach: { over: 'sites', waves: [1, 2] } })]))).toEqual([]);
    expect(checkSemantics(plan([stage('a', { scope, forEach: { over: 'sites', waves: ['rest'] } })]))).toEqual([]);
  });

  it('lets a last numbered wave take what remains, but leaves no wave empty', () => {
    const scope = { sites: ['s1', 's2', 's3'] };
    const waves = (list: Array<number | 'rest'>) => checkSemantics(plan([stage('a', { scope, forEach: { over: 'sites', waves: list } })]));
    expect(waves([1, 5])).toEqual([]);
    expect(waves([2, 1, 'rest'])).toEqual([]);
    expect(waves([3, 1, 1]).map((problem) => problem.path)).toEqual([
      ['stages', 0, 'forEach', 'waves', 1],
      ['stages', 0, 'forEach', 'waves', 2],
    ]);
  });

  it('takes an unscoped role of a per-site stage as role@site, declared by the base role or for every site', () => {
    const scope = { sites: ['plant-a', 'plant-b'] };
    const perSite = (roles: Record<string, { members: string[] }>) =>
      checkSemantics(plan([stage('a', { scope, forEach: { over: 'sites', waves: [1, 'rest'] }, approvals: [{ role: 'plant-manager' }] })], { roles }));
    expect(perSite({ 'plant-manager': { members: ['bo'] } })).toEqual([]);
    expect(perSite({ 'plant-manager@plant-a': { members: ['bo'] }, 'plant-manager@plant-b': { members: ['cy'] } })).toEqual([]);
    expect(perSite({ 'plant-manager@plant-a': { members: ['bo'] } }).map((problem) => problem.message)).toEqual([
      'stages[0].approvals[0].role: role "plant-manager" signs per site, as plant-manager@<site>: declare plant-manager, or plant-manager@plant-b, under roles',
    ]);
    const escalated = stage('a', { scope, forEach: { over: 'sites', waves: [1] }, escalation: [{ after: '1d', action: 'escalate', to: 'plant-manager' }] });
    const roles = { approver: { members: ['ann'] }, 'plant-manager@plant-a': { members: ['bo'] }, 'plant-manager@plant-b': { members: ['cy'] } };
    expect(checkSemantics(plan([escalated], { roles }))).toEqual([]);
  });

  it('checks the time zone of every site of the catalog', () => {
    const sites = { 'plant-a': { timeZone: 'Asia/Kolkata' }, 'plant-b': { timeZone: 'America/Chicgo' } };
    expect(checkSemantics(plan([stage('a')], { sites }))).toEqual([
      { path: ['sites', 'plant-b', 'timeZone'], message: 'sites.plant-b.timeZone: unknown time zone "America/Chicgo" (did you mean "America/Chicago"?)' },
    ]);
  });

  it('accepts a steady-state horizon as long as one review cycle, and retraining with its owner', () => {
    const steady = (horizon: string) =>
      checkSemantics(plan([stage('a', { steadyState: { reviewEvery: '4w', horizon, retrainEvery: '13w', retrainingOwner: 'approver' } })]));
    expect(steady('4w')).toEqual([]);
    expect(steady('27d').map((problem) => problem.path)).toEqual([['stages', 0, 'steadyState', 'horizon']]);
  });

  it('lets an irreversible decision default to hold or escalate, and a reversible one to execute', () => {
    const deferral = (irreversible: boolean, safeDefault: 'hold' | 'escalate' | 'execute') => plan([stage('a', { deferral: { confidenceThreshold: 0.8, irreversible, safeDefault } })]);
    expect(checkSemantics(deferral(true, 'hold'))).toEqual([]);
    expect(checkSemantics(deferral(true, 'escalate'))).toEqual([]);
    expect(checkSemantics(deferral(false, 'execute'))).toEqual([]);
    expect(checkSemantics(deferral(true, 'execute')).map((problem) => problem.message)).toEqual([
      'stages[0].deferral.safeDefault: never execute an irreversible decision by default: use hold or escalate',
    ]);
  });

  it('lets a metric of the catalog share a built-in name', () => {
    const metrics = { precision: { unit: '%', direction: 'higher-is-better' as const } };
    expect(checkSemantics(plan([stage('a')], { metrics }))).toEqual([]);
  });
});

describe('BUILT_IN_METRICS', () => {
  it('lists the metrics of recommendations, outcomes and feedback, and of deferred decisions', () => {
    expect(Object.keys(BUILT_IN_METRICS)).toEqual([
      'precision',
      'recall',
      'false-positive-rate',
      'acceptance-rate',
      'override-rate',
      'time-to-action',
      'deferral-rate',
      'human-override-rate',
      'auto-decision-accuracy',
      'decision-timeout-count',
    ]);
    expect(BUILT_IN_METRICS['false-positive-rate']).toMatchObject({ unit: 'ratio', direction: 'lower-is-better' });
    expect(isBuiltInMetric('recall')).toBe(true);
    expect(isBuiltInMetric('toString')).toBe(false);
  });
});

describe('upstreamStages and downstreamStages', () => {
  const stages = [
    { id: 'a', dependsOn: [] },
    { id: 'b', dependsOn: ['a'] },
    { id: 'c', dependsOn: ['a', 'missing'] },
    { id: 'd', dependsOn: ['c', 'b'] },
    { id: 'e', dependsOn: [] },
  ];

  it('follow dependsOn transitively, in plan order, skipping unknown ids', () => {
    expect(upstreamStages(stages, 'd')).toEqual(['a', 'b', 'c']);
    expect(upstreamStages(stages, 'a')).toEqual([]);
    expect(downstreamStages(stages, 'a')).toEqual(['b', 'c', 'd']);
    expect(downstreamStages(stages, 'e')).toEqual([]);
    expect(upstreamStages(stages, 'nope')).toEqual([]);
  });

  it('tolerate cycles, listing the stage itself when it is on one', () => {
    const cyclic = [
      { id: 'a', dependsOn: ['c'] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['b'] },
    ];
    expect(upstreamStages(cyclic, 'a')).toEqual(['a', 'b', 'c']);
  });
});

describe('closestMatch', () => {
  it('prefers a candidate as long as the word among equally near ones', () => {
    expect(closestMatch('=>', ['<', '<=', '>', '>='])).toBe('>=');
    expect(closestMatch('hodl', ['hold', 'abort'])).toBe('hold');
    expect(closestMatch('xyz', ['hold', 'abort'])).toBeUndefined();
  });
});
