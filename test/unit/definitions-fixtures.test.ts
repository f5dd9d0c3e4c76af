import { LINT_RULES } from '../../definitions/lint';
import { loadPlan, type PlanIssue } from '../../definitions/load';
import { expectationFiles, planFixtures, type ExpectedIssue } from '../fixtures/plans/plan-fixtures';

/**
 * The plan fixtures (test/fixtures/plans, layout in plan-fixtures.ts), each loaded as bytes
 * like an upload: invalid/ plans must produce exactly their expected errors, lint/ plans
 * exactly their expected warnings and no errors, valid/ plans neither.
 */

const invalid = planFixtures('invalid');
const lint = planFixtures('lint');
const valid = planFixtures('valid');

const shape = (issues: PlanIssue[]): ExpectedIssue[] => issues.map(({ line, column, path, message }) => ({ line, column, path, message }));

describe('invalid plan fixtures', () => {
  it('exist, each with its expected errors', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
    expect(expectationFiles('invalid')).toEqual(invalid.map((fixture) => `${fixture.name}.expected.json`).sort());
  });

  it.each(invalid.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    expect(fixture.expected.length).toBeGreaterThan(0);
    const result = loadPlan(new Uint8Array(fixture.source()));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : shape(result.errors)).toEqual(fixture.expected);
  });
});

describe('lint fixtures', () => {
  it('exist, each with its expected warnings', () => {
    expect(expectationFiles('lint')).toEqual(lint.map((fixture) => `${fixture.name}.expected.json`).sort());
  });

  it('cover every rule, both firing and switched off with a reason', () => {
    const fired = new Set(lint.flatMap((fixture) => fixture.expected.map((warning) => /\[([a-z-]+)\]$/.exec(warning.message)?.[1])));
    const silenced = new Set(lint.filter((fixture) => fixture.name.endsWith('-suppressed')).flatMap((fixture) => fixture.source().toString('utf8').match(/rule: ([a-z-]+)/g) ?? []));
    for (const rule of Object.keys(LINT_RULES)) {
      expect({ rule, fired: fired.has(rule), silenced: silenced.has(`rule: ${rule}`) }).toEqual({ rule, fired: true, silenced: true });
    }
  });

  it.each(lint.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    const result = loadPlan(new Uint8Array(fixture.source()));
    if (!result.ok) throw new Error(`unexpected errors: ${JSON.stringify(shape(result.errors))}`);
    expect(shape(result.warnings)).toEqual(fixture.expected);
    expect(result.warnings.every((warning) => warning.severity === 'warning' && warning.message.endsWith(`[${warning.rule}]`))).toBe(true);
  });
});

describe('valid plan fixtures', () => {
  it('exist', () => {
    expect(valid.length).toBeGreaterThanOrEqual(10);
    expect(valid.map((fixture) => fixture.name)).toEqual(expect.arrayContaining(['diamond', 'factory-line', 'logistics-carrier-selection']));
  });

  it.each(valid.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    expect(loadPlan(fixture.source().toString('utf8'))).toMatchObject({ ok: true, warnings: [] });
  });
});
