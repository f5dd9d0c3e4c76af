import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PLAN_BYTES } from '../../definitions/load';
import { isLintRule } from '../../definitions/lint';
import { planFixtures, type ExpectedIssue, type FixtureSet, type PlanFixture } from '../fixtures/plans/plan-fixtures';
import { startHarness, type Harness } from '../support/harness';
import { rollgate, type Run } from '../support/rollgate-cli';

/**
 * Every plan fixture (test/fixtures/plans/{valid,invalid,lint}) goes through the two ways a
 * deployment lead meets the checks: `rollgate validate` (spawned, as `npx rollgate` runs it)
 * must print exactly the expected issues as file:line:col lines, and `POST /v1/plans` must
 * answer with exactly the expected errors (422) or warnings (201). New fixtures are picked up
 * as they are added.
 */

const SETS: FixtureSet[] = ['valid', 'invalid', 'lint'];

type Case = { fixture: PlanFixture; file: string };

let h: Harness;
let dir: string;
/** Each set is validated by one `rollgate validate` run over all its files; every line starts with its file. */
const runs = new Map<FixtureSet, Run>();
const cases = new Map<FixtureSet, Case[]>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-fixtures-'));
  for (const set of SETS) {
    cases.set(
      set,
      planFixtures(set).map((fixture) => {
        if (fixture.file.endsWith('.yaml')) return { fixture, file: fixture.file };
        // A generated fixture has no .yaml file: the CLI reads it from a temporary one.
        const file = join(dir, `${set}-${fixture.name}.yaml`);
        writeFileSync(file, fixture.source());
        return { fixture, file };
      }),
    );
  }
  const validateSet = async (set: FixtureSet) => {
    const files = cases.get(set)!.map((c) => c.file);
    // The invalid set expects errors only; --quiet leaves out the warnings a rejected plan may also have.
    runs.set(set, await validate(set === 'invalid' ? ['--quiet', ...files] : files));
  };
  await Promise.all([startHarness().then((harness) => (h = harness)), ...SETS.map(validateSet)]);
}, 120_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const line = (file: string, severity: 'error' | 'warning') => (issue: ExpectedIssue) => `${file}:${issue.line}:${issue.column}: ${severity}: ${issue.message}`;
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const positioned = (issues: Array<ExpectedIssue & Record<string, unknown>>) => issues.map(({ line, column, path, message }) => ({ line, column, path, message }));

function validate(args: string[]): Promise<Run> {
  return rollgate('validate', ...args);
}

function caseOf(set: FixtureSet, fixture: PlanFixture): Case {
  const found = cases.get(set)?.find((c) => c.fixture.name === fixture.name);
  if (!found) throw new Error(`fixture ${set}/${fixture.name} was not prepared`);
  return found;
}

describe.each(SETS)('%s plan fixtures', (set) => {
  const fixtures = planFixtures(set);

  it('exist, and rollgate validate sums them up with the right exit status', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    const run = runs.get(set)!;
    const expected = fixtures.reduce((sum, fixture) => sum + fixture.expected.length, 0);
    const summary =
      set === 'invalid' ? `${plural(fixtures.length, 'file')}: ${plural(expected, 'error')}` : `${plural(fixtures.length, 'file')}: 0 errors, ${plural(expected, 'warning')}`;
    // Nothing but the fixtures' issues and the summary.
    const printed = run.stderr.split('\n');
    expect({ code: run.code, stdout: run.stdout, lines: printed.length, last: printed.slice(-2) }).toEqual({
      code: set === 'invalid' ? 1 : 0,
      stdout: '',
      lines: expected + 2,
      last: [summary, ''],
    });
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s: rollgate validate', (_name, fixture) => {
    const { file } = caseOf(set, fixture);
    const printed = runs.get(set)!.stderr.split('\n').filter((printedLine) => printedLine.startsWith(`${file}:`));
    expect(printed).toEqual(fixture.expected.map(line(file, set === 'invalid' ? 'error' : 'warning')));
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s: POST /v1/plans', async (_name, fixture) => {
    const source = fixture.source();
    const response = await h.http('POST', '/v1/plans', new Uint8Array(source));
    if (source.byteLength > MAX_PLAN_BYTES) {
      // The API refuses a body over the limit before reading it, so there are no positions to report.
      expect({ status: response.status, detail: response.body.detail }).toEqual({ status: 413, detail: `the limit is ${MAX_PLAN_BYTES} bytes` });
      return;
    }
    if (set === 'invalid') {
      expect({ status: response.status, errors: response.body.errors }).toEqual({ status: 422, errors: fixture.expected });
      return;
    }
    // A fixture with the same content as one uploaded before answers 200 with the stored version.
    expect([200, 201]).toContain(response.status);
    expect(positioned(response.body.warnings)).toEqual(fixture.expected);
    for (const warning of response.body.warnings as Array<{ message: string; rule: string }>) {
      expect(isLintRule(warning.rule)).toBe(true);
      expect(warning.message.endsWith(`[${warning.rule}]`)).toBe(true);
    }
  });
});
