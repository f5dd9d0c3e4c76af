import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlan } from '../../definitions/load';
import { LINT_RULES } from '../../definitions/lint';
import { explainPlan } from '../../cli/plan-explain';
import { renderDot, renderMermaid } from '../../cli/plan-graph';
import { REPO as repo, rollgate } from '../support/rollgate-cli';

/** The rollgate command end to end: `node cli/bin.js …` as `npx rollgate …` runs it. */

const example = 'definitions/examples/factory-line.yaml';


const lines = (text: string) => text.split('\n').filter((line) => line !== '');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writePlan(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const shortShadow = `name: short-shadow
owner: lead
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 2w
    criteria: [{ metric: precision, threshold: 0.9, window: 7d }]
    approvals: [{ role: lead }]
  - id: shadow
    title: Shadow
    dependsOn: [pilot]
    mode: shadow
    minDuration: 2w
    criteria: [{ metric: precision, threshold: 0.9, window: 7d }]
    approvals: [{ role: lead }]
`;
const shadowWarning =
  'stages[1].minDuration: shadow stage "shadow" runs at least 2w; give operators 4 to 6 weeks of visible recommendations before they are asked to act on them [shadow-too-short]';

describe('rollgate validate', () => {
  it('passes a valid plan with exit 0 and a summary', async () => {
    const run = await rollgate('validate', example);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '1 file: 0 errors, 0 warnings\n' });
  });

  it('prints every error as file:line:col, counts warnings, and exits 1', async () => {
    const broken = writePlan('broken.yaml', shortShadow.replace('minDuration: 2w\n    criteria', 'minDuration: two weeks\n    criteria'));
    const warned = writePlan('warned.yaml', shortShadow);
    const run = await rollgate('validate', broken, warned);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([
      `${broken}:7:18: error: stages[0].minDuration: "two weeks" is not a duration: use e.g. 6w, 14d, 36h, 90m, 30s, or ISO 8601 such as P6W or PT36H`,
      `${warned}:14:18: warning: ${shadowWarning}`,
      '2 files: 1 error, 1 warning',
    ]);
  });

  it('hides warnings with --quiet', async () => {
    const warned = writePlan('quiet.yaml', shortShadow);
    expect(await rollgate('validate', '--quiet', warned)).toEqual({ code: 0, stdout: '', stderr: '1 file: 0 errors\n' });
  });

  it('catches text that is not UTF-8', async () => {
    const file = join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('name: caf'), Buffer.from([0xe9]), Buffer.from('\nowner: lead\n')]));
    const run = await rollgate('validate', file);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([`${file}:1:10: error: the file is not valid UTF-8: bad byte 0xE9; save the plan as UTF-8`, '1 file: 1 error, 0 warnings']);
  });

  it('says which file it cannot read, checks the others, and exits 2', async () => {
    const run = await rollgate('validate', 'no/such/plan.yaml', example);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual(['no/such/plan.yaml: cannot read: no such file', '2 files: 0 errors, 0 warnings, 1 unreadable']);
  });
});

describe('rollgate lint', () => {
  it('explains the rules that fired, and fails on warnings only with --strict', async () => {
    const file = writePlan('lint.yaml', shortShadow);
    const relaxed = await rollgate('lint', file);
    expect(relaxed.code).toBe(0);
    expect(lines(relaxed.stderr)).toEqual([
      `${file}:14:18: warning: ${shadowWarning}`,
      `shadow-too-short (1 warning): ${LINT_RULES['shadow-too-short']}`,
      "Switch a warning off on the stage it points at (for unwatched-guardrail, the plan's first stage) with lint: { ignore: [{ rule: <rule>, reason: <why it does not apply> }] }.",
      '1 file: 0 errors, 1 warning',
    ]);
    const strict = await rollgate('lint', '--strict', file);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(relaxed.stderr);
    expect(await rollgate('lint', '--strict', example)).toEqual({ code: 0, stdout: '', stderr: '1 file: 0 errors, 0 warnings\n' });
  });

  it('lists the rules with --rules', async () => {
    const run = await rollgate('lint', '--rules');
    expect(run.code).toBe(0);
    const listed = lines(run.stdout).map((line) => line.split(/\s{2,}/));
    expect(listed).toEqual(Object.entries(LINT_RULES));
  });
});

describe('rollgate graph and explain', () => {
  const plan = (() => {
    const result = loadPlan(readFileSync(join(repo, example)));
    if (!result.ok) throw new Error('the example plan does not load');
    return result.plan;
  })();

  it('prints the stage graph as Mermaid by default, and as dot on request', async () => {
    const mermaid = await rollgate('graph', example);
    expect(mermaid).toEqual({ code: 0, stdout: renderMermaid(plan), stderr: '' });
    expect(mermaid.stdout).toContain('  subgraph s_site_by_site_deployment["Phased site-by-site deployment<br/>');
    expect(mermaid.stdout).toContain(
      '    w_site_by_site_deployment_1 -->|"4w feedback, then sign-off: deployment-lead, production-manager"| w_site_by_site_deployment_2\n',
    );
    expect(mermaid.stdout).toContain('  s_steady_state_governance{{"Steady-state governance across all plants<br/>');
    const dot = await rollgate('graph', '--format', 'dot', example);
    expect(dot).toEqual({ code: 0, stdout: renderDot(plan), stderr: '' });
    expect(dot.stdout).toContain('    "site-by-site-deployment/wave-2" [label="wave 2\\nplant-b, plant-c"];\n');
  });

  it('explains the plan from the given start date, with the waves, per-site sign-off and steady-state calendar', async () => {
    const run = await rollgate('explain', '--start', '2026-12-01', example);
    expect(run).toEqual({ code: 0, stdout: explainPlan(plan, new Date('2026-12-01T00:00:00Z')), stderr: '' });
    expect(run.stdout).toMatch(/\nEarliest finish: \d{4}-\d{2}-\d{2}, when started 2026-12-01\.\n/);
    expect(run.stdout).toContain('\n                  wave 2: plant-b, plant-c; earliest 2027-07-27 → 2027-09-21\n');
    expect(run.stdout).toContain('\n                    plant-b: 1 × plant-manager@plant-b: n.jansen\n');
    expect(run.stdout).toContain('\n                  plant-b (Europe/Budapest): sun–thu 22:00–06:00 next day (night shift)\n');
    expect(run.stdout).toContain('\n   horizon:       78w: warranty-claims judged from 2029-06-12; until then the verdict is too-early\n');
  });

  it('refuses an invalid plan with its errors and exit 1', async () => {
    const broken = writePlan('cycle.yaml', shortShadow.replace('    mode: pilot\n', '    mode: pilot\n    dependsOn: [shadow]\n'));
    const run = await rollgate('graph', broken);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([
      `${broken}:7:17: error: stages[0].dependsOn[0]: dependency cycle: pilot → shadow → pilot`,
      `${broken}: 1 error; fix the plan first (rollgate validate ${broken})`,
    ]);
  });
});

describe('rollgate usage', () => {
  it('shows help with exit 0, for rollgate and for each command', async () => {
    const top = await rollgate('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^usage: rollgate <command> \[options\]\n/);
    for (const command of ['validate', 'lint', 'graph', 'explain', 'token']) {
      const run = await rollgate(command, '--help');
      const usage = run.stdout.split('\n').slice(0, 2).join('\n');
      expect({ command, code: run.code, usage }).toEqual({ command, code: 0, usage: expect.stringMatching(new RegExp(`^usage:\\s+rollgate ${command} `)) });
    }
  });

  it.each<[string[], string | RegExp]>([
    [['frobnicate'], /^rollgate: unknown command "frobnicate"; the commands are validate, lint, graph, explain, (\w+, )*token$/],
    [['validate', '--bogus', example], 'rollgate validate: unknown option --bogus'],
    [['validate'], 'rollgate validate: give at least one plan file'],
    [['graph', '--format', 'svg', example], 'rollgate graph: --format must be mermaid or dot, not "svg"'],
    [['explain', '--start', '2026-02-30', example], 'rollgate explain: --start must be a date such as 2026-12-01, not "2026-02-30"'],
    [['explain', example, example], 'rollgate explain: give exactly one plan file'],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = await rollgate(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const first = lines(run.stderr)[0];
    if (typeof message === 'string') expect(first).toBe(message);
    else expect(first).toMatch(message);
  });

  it('exits 2 when the one plan cannot be read', async () => {
    expect(await rollgate('explain', 'missing.yaml')).toEqual({ code: 2, stdout: '', stderr: 'missing.yaml: cannot read: no such file\n' });
  });
});
