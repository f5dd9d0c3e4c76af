import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metricWarnings, offsetText, simulateCommand } from '../../../cli/commands/simulate';
import { loadPlan } from '../../../definitions/load';
import type { SimulationResult } from '../../../simulator/simulate';
import { REPO as repo, rollgate, type Run } from '../../support/rollgate-cli';

/** `rollgate simulate` end to end (`node cli/bin.js …`, as `npx rollgate …` runs it), and its options in-process. */

const example = 'definitions/examples/factory-line.yaml';
const good = 'test/fixtures/scenarios/factory-good.yaml';
const guardrail = 'test/fixtures/scenarios/factory-guardrail.yaml';


/** inProcess runs the command with captured output; the files are relative to the repository. */
function inProcess(...args: string[]): Run {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = process.cwd();
  process.chdir(repo);
  try {
    const code = simulateCommand(args, { out: (line) => out.push(line), err: (line) => err.push(line) }, new Date('2026-01-05T09:30:00Z'));
    return { code, stdout: out.map((line) => `${line}\n`).join(''), stderr: err.map((line) => `${line}\n`).join('') };
  } finally {
    process.chdir(cwd);
  }
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-simulate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rollgate simulate, end to end', () => {
  it('runs the example plan over a good scenario to its finish, wave by wave', async () => {
    const run = await rollgate('simulate', example, '--metrics', good, '--until', '150w');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = lines(run.stdout);
    const date = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z';
    expect(out[0]).toMatch(new RegExp(`^Simulation of body-shop-defect-detection from ${date}: every sign-off arrives 1d after it is asked for; horizon \\+150w \\(${date}\\)\\.$`));
    expect(out[1]).toBe('Timeline:');
    expect(out[2]).toMatch(new RegExp(`^  \\+0 +${date}  single-line-pilot +started \\(attempt 1\\): runs at least 2w, at most 6w; criteria every 1h$`));
    // Each wave runs 8w and is signed off a day later; the next starts after the 4w feedback cycle and a day for its sign-off.
    const waves = out.flatMap((line) => {
      const wave = / (wave \d of 3 (?:started|passed)):/.exec(line);
      return wave === null ? [] : [`${line.trim().split(/\s+/)[0]} ${wave[1]}`];
    });
    expect(waves).toEqual([
      '+22w4d wave 1 of 3 started',
      '+30w5d wave 1 of 3 passed',
      '+34w6d wave 2 of 3 started',
      '+43w wave 2 of 3 passed',
      '+47w1d wave 3 of 3 started',
    ]);
    expect(out).toContainEqual(expect.stringMatching(/ site-by-site-deployment +wave 2 of 3 started: plant-b, plant-c$/));
    expect(out).toContainEqual(expect.stringMatching(/^ {2}\+55w2d .* steady-state-governance +started \(attempt 1\): runs at least 78w, judged from its horizon 78w; criteria every 1d$/));
    expect(out).toContainEqual(expect.stringMatching(new RegExp(`^  \\+133w2d +${date}  rollout +completed: every stage passed$`)));
    const stages = out.slice(out.indexOf('Stages:') + 1, out.indexOf('Stages:') + 7).map((line) => line.trim().split(/\s+/).slice(0, 3));
    expect(stages).toEqual([
      ['single-line-pilot', 'passed', '+2w1d'],
      ['single-shift-shadow', 'passed', '+8w2d'],
      ['full-shift-single-line', 'passed', '+16w3d'],
      ['multi-line-shadow', 'passed', '+22w4d'],
      ['site-by-site-deployment', 'passed', '+55w2d'],
      ['steady-state-governance', 'passed', '+133w2d'],
    ]);
    expect(out[out.length - 2]).toMatch(new RegExp(`^Earliest finish: ${date} \\(\\+133w2d\\), with every sign-off 1d after it is asked for\\.$`));
    expect(out[out.length - 1]).toMatch(/^\d+ criteria evaluations; the timeline shows the first of each attempt and every change of verdict\.$/);
  });

  it('prints the result as JSON with --json', async () => {
    const run = await rollgate('simulate', example, '--metrics', good, '--start', '2026-01-05', '--until', '150w', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as SimulationResult;
    expect(result).toMatchObject({ start: Date.parse('2026-01-05T00:00:00Z'), outcome: 'completed', finishedAt: Date.parse('2028-07-26T00:00:00Z') });
    expect(result.stages.map((stage) => stage.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
  });

  it('reports a broken scenario as file:line:col errors with exit 1', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'samples:\n  - { metric: precision, value: 0.9, at: +1d }\n  - { metric: precision, value: 0.9, at: next week }\n');
    const run = await rollgate('simulate', example, '--metrics', file);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([
      `${file}:3:42: error: samples[1].at: "next week" is not a time: write an ISO 8601 time with its zone such as 2026-03-01T06:00Z, a date such as 2026-03-01, or an offset from the start such as +3d or -4w`,
      `${file}: 1 error; fix the scenario first`,
    ]);
  });
});

describe('rollgate simulate, in process', () => {
  it('shows where a tripped guardrail leads: rollbacks, then a stage held for a person', () => {
    const run = inProcess(example, '--metrics', guardrail, '--start', '2026-01-05');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = lines(run.stdout);
    // The throughput guardrail is a sequential comparison with the weeks before the stage: each
    // attempt rolls back on a real erosion, judged on a week of hourly readings (minSamples), never on one.
    const rollbacks = out.filter((line) => / rolled back: /.test(line));
    expect(rollbacks.map((line) => line.trim().split(/\s+/)[0])).toEqual(['+10w2d17h', '+17w3d17h', '+24w4d17h']);
    for (const line of rollbacks) expect(line).toMatch(/line-throughput: significantly worse than the baseline: .*, (336|168) vs 336 samples, look \d+\)/);
    const summary = out.slice(out.indexOf('Stages:') + 1, out.indexOf('Stages:') + 7).map((line) => line.trim().split(/\s+/).slice(0, 2));
    expect(summary).toEqual([
      ['single-line-pilot', 'passed'],
      ['single-shift-shadow', 'passed'],
      ['full-shift-single-line', 'held'],
      ['multi-line-shadow', 'pending'],
      ['site-by-site-deployment', 'pending'],
      ['steady-state-governance', 'pending'],
    ]);
    expect(out[out.length - 2]).toBe('No finish: from 2026-08-15T17:00Z (+31w5d17h) on, the rollout waits for a person.');
  });

  it('starts today at midnight UTC by default and takes --sign-off-after and --until', () => {
    const run = inProcess(example, '--metrics', good, '--sign-off-after', '4d', '--until', '20w');
    expect(run.code).toBe(0);
    const out = lines(run.stdout);
    expect(out[0]).toBe(
      'Simulation of body-shop-defect-detection from 2026-01-05T00:00Z: every sign-off arrives 4d after it is asked for; horizon +20w (2026-05-25T00:00Z).',
    );
    // Four days is past the first escalation step (3d) of the shadow and of full-shift-single-line, not past their later steps.
    expect(out.filter((line) => / escalated /.test(line)).map((line) => line.trim().replace(/\s+/g, ' '))).toEqual([
      '+9w 2026-03-09T00:00Z single-shift-shadow escalated to production-manager: sign-off of stage single-shift-shadow is not complete after 3d',
      '+17w4d 2026-05-08T00:00Z full-shift-single-line escalated to production-manager: sign-off of stage full-shift-single-line is not complete after 3d',
    ]);
    expect(out[out.length - 2]).toBe('No finish by 2026-05-25T00:00Z (+20w); the rollout is still under way.');
  });

  it.each([
    [[example], 'rollgate simulate: give the metric scenario with --metrics <scenario.yaml|csv>'],
    [['--metrics', good], 'rollgate simulate: give exactly one plan file'],
    [[example, example, '--metrics', good], 'rollgate simulate: give exactly one plan file'],
    [[example, '--metrics', good, '--start', 'monday'], 'rollgate simulate: --start must be a date such as 2026-12-01 or an ISO 8601 time with its zone, not "monday"'],
    [[example, '--metrics', good, '--sign-off-after', 'soon'], 'rollgate simulate: --sign-off-after must be a duration such as 1d or 36h, not "soon"'],
    [[example, '--metrics', good, '--until', '0s'], 'rollgate simulate: --until must be a duration longer than 0 such as 78w or 730d, not "0s"'],
    [[example, '--metrics', good, '--until', '99999999999999999999999w'], 'rollgate simulate: --until must be at most 10 years (3653d), not "99999999999999999999999w"'],
    [[example, '--metrics', good, '--sign-off-after', '3654d'], 'rollgate simulate: --sign-off-after must be at most 10 years (3653d), not "3654d"'],
    [[example, '--metrics', good, '--bogus'], 'rollgate simulate: unknown option --bogus'],
  ])('refuses %j with exit 2', (args, message) => {
    const run = inProcess(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)[0]).toBe(message);
  });

  it('exits 2 when the scenario cannot be read, and 1 when the plan has errors', () => {
    expect(inProcess(example, '--metrics', 'no/such/scenario.yaml')).toEqual({ code: 2, stdout: '', stderr: 'no/such/scenario.yaml: cannot read: no such file\n' });
    const plan = join(dir, 'bad-plan.yaml');
    writeFileSync(plan, 'name: x\nowner: lead\nstages: []\n');
    const run = inProcess(plan, '--metrics', good);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)[lines(run.stderr).length - 1]).toBe(`${plan}: 1 error; fix the plan first (rollgate validate ${plan})`);
  });

  it('prints its usage with --help', () => {
    const run = inProcess('--help');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)[0]).toBe('usage: rollgate simulate <plan.yaml> --metrics <scenario.yaml|csv> [options]');
  });
});

describe('metric warnings', () => {
  const plan = (() => {
    const result = loadPlan(readFileSync(join(repo, example)));
    if (!result.ok) throw new Error('the example plan does not load');
    return result.plan;
  })();

  it('names metrics the plan judges without samples, and scenario metrics no criterion reads', () => {
    const metrics = new Map([
      ['precision', { line: 2, column: 15 }],
      ['false-positive-rate', { line: 3, column: 15 }],
      ['override-rate', { line: 4, column: 15 }],
      ['image-capture-completeness', { line: 5, column: 15 }],
      ['escaped-defects', { line: 6, column: 15 }],
      ['line-througput', { line: 7, column: 15 }],
    ]);
    expect(metricWarnings(plan, 's.yaml', metrics)).toEqual([
      's.yaml: warning: no samples of "line-throughput", which full-shift-single-line, site-by-site-deployment, steady-state-governance judge on: those criteria stay inconclusive',
      's.yaml: warning: no samples of "oee", which full-shift-single-line judges on: those criteria stay inconclusive',
      's.yaml: warning: no samples of "warranty-claims", which steady-state-governance judges on: those criteria stay inconclusive',
      's.yaml:7:15: warning: no criterion of the plan judges "line-througput" (did you mean "line-throughput"?)',
    ]);
  });
});

describe('offsets', () => {
  it.each([
    [0, '+0'],
    [44 * 86_400_000, '+6w2d'],
    [-3_600_000, '-1h'],
  ])('renders %d ms as %s', (ms, text) => {
    expect(offsetText(ms)).toBe(text);
  });
});
