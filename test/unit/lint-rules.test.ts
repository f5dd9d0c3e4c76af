import { LINT_RULES, isLintRule, lintPlan } from '../../definitions/lint';
import { Plan, type PlanInput } from '../../definitions/schema';

type StageInput = PlanInput['stages'][number];

function stage(id: string, extra: Partial<StageInput> = {}): StageInput {
  return { id, title: id, mode: 'pilot', minDuration: '1s', approvals: [{ role: 'approver' }], criteria: [{ metric: 'precision', threshold: 0.9, window: '1s' }], ...extra };
}

function plan(stages: StageInput[], extra: Partial<PlanInput> = {}): Plan {
  return Plan.parse({ name: 'p', owner: 'lead', stages, ...extra });
}

const ignore = (rule: string) => ({ ignore: [{ rule, reason: 'because' }] });
const rules = (p: Plan) => lintPlan(p).map((warning) => `${warning.rule} @ ${JSON.stringify(warning.path)}`);

describe('LINT_RULES', () => {
  it('keeps its ids: plans name them in suppressions', () => {
    expect(Object.keys(LINT_RULES)).toEqual([
      'shadow-too-short',
      'skipped-sequence',
      'no-exit-criterion',
      'lagging-window-too-short',
      'lagging-horizon-too-short',
      'irreversible-without-threshold',
      'production-without-integration-debt-assessment',
      'unwatched-guardrail',
      'repeated-threshold-looks',
      'min-samples-too-small',
      'compare-without-margin',
      'webhook-target-refused',
      'untracked-label-version',
      'unwatched-feed',
    ]);
    expect(Object.values(LINT_RULES).every((description) => description.length > 0 && !description.includes('\n'))).toBe(true);
    expect(isLintRule('no-exit-criterion')).toBe(true);
    expect(isLintRule('constructor')).toBe(false);
  });
});

describe('lintPlan', () => {
  it('draws the line for shadow stages at four weeks', () => {
    expect(rules(plan([stage('s', { mode: 'shadow', minDuration: '27d23h' })]))).toEqual(['shadow-too-short @ ["stages",0,"minDuration"]']);
    expect(rules(plan([stage('s', { mode: 'shadow', minDuration: '4w' })]))).toEqual([]);
  });

  it('draws the line for lagging metrics at 365 days', () => {
    const metrics = { claims: { unit: 'ppm', direction: 'lower-is-better' as const, kind: 'lagging' as const } };
    const at = (window: string) => plan([stage('a', { criteria: [{ metric: 'claims', threshold: 1, window }] })], { metrics });
    expect(rules(at('52w'))).toEqual(['lagging-window-too-short @ ["stages",0,"criteria",0,"window"]']);
    expect(rules(at('365d'))).toEqual([]);
  });

  it('draws the line for a steady-state horizon over lagging metrics at 52 weeks', () => {
    const metrics = { claims: { unit: 'ppm', direction: 'lower-is-better' as const, kind: 'lagging' as const } };
    const criteria = [{ metric: 'claims', threshold: 1, window: '365d' }];
    const at = (horizon: string, extra: Partial<StageInput> = { criteria }) => plan([stage('a', { steadyState: { reviewEvery: '4w', horizon }, ...extra })], { metrics });
    expect(rules(at('51w6d'))).toEqual(['lagging-horizon-too-short @ ["stages",0,"steadyState","horizon"]']);
    expect(rules(at('52w'))).toEqual([]);
    expect(rules(at('8w', {}))).toEqual([]);
    expect(rules(at('8w', { criteria, lint: ignore('lagging-horizon-too-short') }))).toEqual([]);
  });

  it('counts a stage as wide with several sites or lines, or forEach; one of each is not', () => {
    const after = (extra: Partial<StageInput>) => plan([stage('p'), stage('w', { dependsOn: ['p'], ...extra })]);
    expect(rules(after({ scope: { sites: ['a'], lines: ['l1'], shifts: ['early', 'late'] } }))).toEqual([]);
    expect(rules(after({ scope: { sites: ['a', 'b'] } }))).toEqual(['skipped-sequence @ ["stages",1,"dependsOn",0]']);
    expect(rules(after({ scope: { lines: ['a'] }, forEach: { over: 'lines', waves: ['rest'] } }))).toEqual(['skipped-sequence @ ["stages",1,"dependsOn",0]']);
  });

  it('takes an integration-debt assessment before a stage to cover that stage and everything downstream', () => {
    const stages = [stage('p'), stage('s', { dependsOn: ['p'], mode: 'supervised', overrideAuthority: 'op' }), stage('t', { dependsOn: ['s'], mode: 'autonomous' })];
    const assessed = (before?: string) =>
      plan(stages, { prerequisites: [{ id: 'ida', kind: 'integration-debt-assessment', title: 'Assessment', signedBy: 'approver', ...(before ? { before } : {}) }] });
    expect(rules(assessed())).toEqual([]);
    expect(rules(assessed('p'))).toEqual([]);
    expect(rules(assessed('s'))).toEqual([]);
    expect(rules(assessed('t'))).toEqual(['production-without-integration-debt-assessment @ ["stages",1]']);
    expect(rules(plan(stages))).toEqual(['production-without-integration-debt-assessment @ ["stages",1]']);
  });

  it('switches plan-wide rules off only where they point', () => {
    const stages = [stage('p'), stage('s', { dependsOn: ['p'], mode: 'supervised', overrideAuthority: 'op' })];
    const metrics = { cost: { unit: 'EUR', direction: 'lower-is-better' as const, guardrail: true } };
    const expected = ['production-without-integration-debt-assessment @ ["stages",1]', 'unwatched-guardrail @ ["metrics","cost"]'];
    expect(rules(plan(stages, { metrics }))).toEqual(expected);
    // On another stage than the one it points at, a suppression changes nothing.
    const elsewhere = [stage('p', { lint: ignore('production-without-integration-debt-assessment') }), stage('s', { ...stages[1], lint: ignore('unwatched-guardrail') })];
    expect(rules(plan(elsewhere, { metrics }))).toEqual(expected);
    const where = [stage('p', { lint: ignore('unwatched-guardrail') }), stage('s', { ...stages[1], lint: ignore('production-without-integration-debt-assessment') })];
    expect(rules(plan(where, { metrics }))).toEqual([]);
  });

  it('words each finding with its path and ends it with the rule', () => {
    expect(lintPlan(plan([stage('a', { criteria: [] })]))).toEqual([
      {
        rule: 'no-exit-criterion',
        path: ['stages', 0],
        message: 'stages[0]: stage "a" has no exit criteria, so only its duration and the sign-off decide when it passes [no-exit-criterion]',
      },
    ]);
  });
});
