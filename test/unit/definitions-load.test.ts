import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topologicalOrder } from '../../definitions/graph';
import { MAX_PLAN_BYTES, formatIssue, loadPlan, type LoadResult, type PlanIssue } from '../../definitions/load';

const examples = join(__dirname, '../../definitions/examples');
const valid = join(__dirname, '../fixtures/plans/valid');

const minimal = `name: minimal
owner: test-lead
stages:
  - id: only
    title: Only stage
    mode: pilot
    minDuration: 1s
    criteria: [{ metric: precision, threshold: 0.9, window: 1s }]
    approvals: [{ role: approver }]
`;

function errorsOf(result: LoadResult): Array<Omit<PlanIssue, 'severity' | 'file'>> {
  if (result.ok) throw new Error('expected the plan to be rejected');
  expect(result.errors.every((issue) => issue.severity === 'error')).toBe(true);
  return result.errors.map(({ line, column, path, message }) => ({ line, column, path, message }));
}

function bytes(...parts: Array<string | number[]>): Uint8Array {
  const encoder = new TextEncoder();
  return new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? [...encoder.encode(part)] : part)));
}

describe('loadPlan on valid plans', () => {
  it('loads the factory line example', () => {
    const result = loadPlan(readFileSync(join(examples, 'factory-line.yaml'), 'utf8'));
    if (!result.ok) throw new Error(result.errors.map((issue) => formatIssue(issue, 'factory-line.yaml')).join('\n'));
    expect(result.warnings).toEqual([]);
    expect(topologicalOrder(result.plan.stages)).toEqual([
      'single-line-pilot',
      'single-shift-shadow',
      'full-shift-single-line',
      'multi-line-shadow',
      'site-by-site-deployment',
      'steady-state-governance',
    ]);
    expect(result.plan.stages.map((stage) => stage.mode)).toEqual(['pilot', 'shadow', 'supervised', 'shadow', 'supervised', 'supervised']);
    expect(result.plan.stages[1]?.minDuration).toBe('6w');
    expect(result.plan.stages[4]?.forEach).toMatchObject({ over: 'sites', waves: [1, 2, 'rest'], feedbackCycle: '4w' });
    expect(result.plan.stages[5]?.steadyState).toMatchObject({ reviewEvery: '4w', retrainEvery: '13w', horizon: '78w' });
    expect(result.plan.sites?.['plant-d']?.timeZone).toBe('Asia/Kolkata');
  });

  it('loads the logistics example, whose supervised stages run in parallel', () => {
    const result = loadPlan(readFileSync(join(examples, 'logistics-carrier-selection.yaml')));
    if (!result.ok) throw new Error(result.errors.map((issue) => formatIssue(issue, 'logistics-carrier-selection.yaml')).join('\n'));
    const stages = result.plan.stages;
    expect(stages.map((stage) => stage.id)).toEqual([
      'single-lane-pilot',
      'regional-shadow',
      'supervised-ftl',
      'supervised-ltl',
      'autonomous-core-lanes',
    ]);
    expect(stages[4]?.dependsOn).toEqual(['supervised-ftl', 'supervised-ltl']);
    expect(result.warnings).toEqual([]);
    // The anchored criteria and deferral of the FTL desk are the LTL desk's too.
    expect(stages[3]?.criteria).toEqual(stages[2]?.criteria);
    expect(stages[3]?.deferral).toMatchObject({ confidenceThreshold: 0.8, irreversible: true, safeDefault: 'hold' });
  });

  it('keeps the valid fixtures of the examples identical to them, apart from the schema comment', () => {
    for (const file of ['factory-line.yaml', 'logistics-carrier-selection.yaml']) {
      const [exampleHead, ...example] = readFileSync(join(examples, file), 'utf8').split('\n');
      const [fixtureHead, ...fixture] = readFileSync(join(valid, file), 'utf8').split('\n');
      expect(exampleHead).toBe('# yaml-language-server: $schema=../plan.schema.json');
      expect(fixtureHead).toBe('# yaml-language-server: $schema=../../../../definitions/plan.schema.json');
      expect({ file, lines: fixture }).toEqual({ file, lines: example });
    }
  });

  it('fills in defaults', () => {
    const lint = { ignore: [{ rule: 'no-exit-criterion', reason: 'workflow test plan; stages pass on time and sign-off' }] };
    const stage = (id: string, dependsOn: string[], count = 1) => ({
      id,
      title: `Stage ${id.toUpperCase()}`,
      dependsOn,
      mode: 'pilot',
      minDuration: '1s',
      evaluationInterval: '1h',
      criteria: [],
      approvals: [{ role: 'approver', count }],
      escalation: [],
      onFailure: 'hold',
      lint,
    });
    expect(loadPlan(readFileSync(join(valid, 'diamond.yaml')))).toEqual({
      ok: true,
      warnings: [],
      plan: {
        name: 'diamond',
        owner: 'test-lead',
        allowSelfApproval: false,
        prerequisites: [],
        notifications: [],
        stages: [stage('a', []), stage('b', ['a']), stage('c', ['a']), stage('d', ['b', 'c'], 2)],
      },
    });
  });

  it('reads aliases of anchored values', () => {
    const result = loadPlan(readFileSync(join(valid, 'shared-approvals.yaml')));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.stages[1]?.approvals).toEqual([
      { role: 'operator', count: 1 },
      { role: 'supervisor', count: 1 },
    ]);
  });

  it('reads bytes and text alike, and skips a byte order mark', () => {
    expect(loadPlan(bytes(minimal))).toEqual(loadPlan(minimal));
    expect(loadPlan(bytes([0xef, 0xbb, 0xbf], minimal))).toEqual(loadPlan(minimal));
    expect(errorsOf(loadPlan(bytes([0xef, 0xbb, 0xbf], minimal.replace('minimal', 'Minimal'))))).toEqual([
      {
        line: 1,
        column: 7,
        path: 'name',
        message: 'name: "Minimal" must be lower-case letters, digits and dashes (at most 63), starting with a letter or digit',
      },
    ]);
  });

  it('passes YAML warnings on with the plan', () => {
    const result = loadPlan(minimal.replace('owner: test-lead', 'owner: !!custom test-lead'));
    expect(result).toMatchObject({ ok: true, plan: { owner: 'test-lead' } });
    expect(result.ok && result.warnings).toEqual([
      { line: 2, column: 8, path: 'owner', message: 'unresolved tag: tag:yaml.org,2002:custom', severity: 'warning' },
    ]);
  });
});

describe('loadPlan warnings', () => {
  const shadow = minimal.replace('mode: pilot', 'mode: shadow').replace('minDuration: 1s', 'minDuration: 2w');
  const shadowWarning = {
    line: 7,
    column: 18,
    path: 'stages[0].minDuration',
    message:
      'stages[0].minDuration: shadow stage "only" runs at least 2w; give operators 4 to 6 weeks of visible recommendations before they are asked to act on them [shadow-too-short]',
    severity: 'warning',
    rule: 'shadow-too-short',
  };

  it('come with an accepted plan, naming their rule', () => {
    expect(loadPlan(shadow)).toMatchObject({ ok: true, warnings: [shadowWarning] });
  });

  it('come with the errors of a rejected plan too, each list sorted by position', () => {
    const text = shadow.replace('owner: test-lead', 'owner: test-lead\nroles: { approver: { members: [ann] } }').replace('role: approver', 'role: aprover');
    const result = loadPlan(text, { file: 'p.yaml' });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          line: 10,
          column: 25,
          path: 'stages[0].approvals[0].role',
          message: 'stages[0].approvals[0].role: unknown role "aprover" (did you mean "approver"?)',
          severity: 'error',
          file: 'p.yaml',
        },
      ],
      warnings: [{ ...shadowWarning, line: 8, file: 'p.yaml' }],
    });
  });

  it('leave out lint findings while the plan does not match the schema', () => {
    const result = loadPlan(shadow.replace('owner: test-lead', 'owner: !!custom test-lead\nlabels: [x]'));
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'labels', message: 'labels: expected a mapping, got a list' }] });
    expect(result.warnings.map((warning) => warning.message)).toEqual(['unresolved tag: tag:yaml.org,2002:custom']);
  });
});

describe('loadPlan limits', () => {
  it('rejects input over MAX_PLAN_BYTES with one error at 1:1', () => {
    expect(MAX_PLAN_BYTES).toBe(1_048_576);
    const padded = minimal + '#'.repeat(MAX_PLAN_BYTES - minimal.length);
    expect(loadPlan(padded).ok).toBe(true);
    const message = 'the plan is too large: 1048577 bytes, the limit is 1048576 bytes (1 MiB)';
    expect(errorsOf(loadPlan(padded + '#'))).toEqual([{ line: 1, column: 1, path: '', message }]);
    expect(errorsOf(loadPlan(bytes(padded + '#')))).toEqual([{ line: 1, column: 1, path: '', message }]);
  });

  it('counts the size in UTF-8 bytes', () => {
    const text = minimal + `# ${'é'.repeat(MAX_PLAN_BYTES / 2)}\n`;
    expect(errorsOf(loadPlan(text))).toEqual([
      { line: 1, column: 1, path: '', message: `the plan is too large: ${minimal.length + 3 + MAX_PLAN_BYTES} bytes, the limit is 1048576 bytes (1 MiB)` },
    ]);
  });

  it('rejects bytes that are not UTF-8 at the first bad byte', () => {
    // Columns count characters: "Zoë " is four.
    const input = bytes('name: minimal\nowner: Zoë ', [0xff], '\nstages: []\n');
    expect(errorsOf(loadPlan(input))).toEqual([
      { line: 2, column: 12, path: '', message: 'the file is not valid UTF-8: bad byte 0xFF; save the plan as UTF-8' },
    ]);
  });

  it('rejects a truncated multi-byte character at the end', () => {
    expect(errorsOf(loadPlan(bytes('name: x\n# ', [0xe2, 0x82])))).toEqual([
      { line: 2, column: 3, path: '', message: 'the file is not valid UTF-8: bad byte 0xE2; save the plan as UTF-8' },
    ]);
  });

  it('refuses nested aliases that expand too far, at the first alias', () => {
    let bomb = 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= 6; i++) bomb += `l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]\n`;
    expect(errorsOf(loadPlan(bomb))).toEqual([
      {
        line: 2,
        column: 10,
        path: 'l1[0]',
        message: 'YAML aliases expand too far (limit 100): refusing a possible alias bomb; write the repeated parts out instead',
      },
    ]);
  });

  it('reports an alias without an anchor', () => {
    expect(errorsOf(loadPlan(minimal.replace('approvals: [{ role: approver }]', 'approvals: *standard')))).toEqual([
      { line: 9, column: 16, path: 'stages[0].approvals', message: 'alias *standard refers to no anchor &standard defined before it' },
    ]);
  });

  it('reports nesting too deep to read', () => {
    expect(errorsOf(loadPlan(`${minimal}extra: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`))).toEqual([
      { line: 10, column: 8, path: 'extra', message: 'the YAML nests too deeply to be read' },
    ]);
  });
});

describe('loadPlan errors', () => {
  it('reports a scalar document', () => {
    expect(errorsOf(loadPlan('\n\njust some text\n'))).toEqual([
      {
        line: 3,
        column: 1,
        path: '',
        message: 'the plan must be a YAML mapping (key: value lines) with the keys name, owner, stages; found "just some text"',
      },
    ]);
  });

  it('reports an empty input', () => {
    expect(errorsOf(loadPlan(''))).toEqual([
      { line: 1, column: 1, path: '', message: 'the plan is empty: write a YAML mapping (key: value lines) with the keys name, owner, stages' },
    ]);
  });

  it('points at a key present without a value, and at unknown keys of the top level', () => {
    const text = minimal.replace('owner: test-lead', 'owner:\nowners: test-lead');
    expect(errorsOf(loadPlan(text))).toEqual([
      { line: 2, column: 7, path: 'owner', message: 'owner: expected text, got an empty value' },
      {
        line: 3,
        column: 1,
        path: 'owners',
        message:
          'unknown key "owners"; allowed here: name, description, labels, environment, owner, roles, metrics, sites, allowSelfApproval, prerequisites, notifications, stages',
      },
    ]);
  });

  it('suggests the nearest allowed key, counting swapped letters as one edit', () => {
    expect(errorsOf(loadPlan(minimal.replace('title:', 'titel:')))).toEqual([
      { line: 4, column: 5, path: 'stages[0].title', message: 'stages[0]: missing required key "title"' },
      { line: 5, column: 5, path: 'stages[0].titel', message: 'stages[0]: unknown key "titel" (did you mean "title"?)' },
    ]);
  });

  it('reports problems inside an aliased node where the anchor is', () => {
    const text = minimal.replace('approvals: [{ role: approver }]', 'approvals: &bad [{ role: Approver }]') +
      '  - id: next\n    title: Next\n    mode: pilot\n    dependsOn: [only]\n    minDuration: 1s\n    approvals: *bad\n';
    const message = '"Approver" must be a role id such as line-supervisor, optionally scoped to a site as plant-manager@plant-b';
    expect(errorsOf(loadPlan(text))).toEqual([
      { line: 9, column: 30, path: 'stages[0].approvals[0].role', message: `stages[0].approvals[0].role: ${message}` },
      { line: 9, column: 30, path: 'stages[1].approvals[0].role', message: `stages[1].approvals[0].role: ${message}` },
    ]);
  });

  it('names the file in the issues when given one, and formats them like a compiler', () => {
    const result = loadPlan(minimal.replace('minDuration: 1s', 'minDuration: 6 weeks'), { file: 'plans/line.yaml' });
    if (result.ok) throw new Error('expected the plan to be rejected');
    expect(result.errors.map((issue) => formatIssue(issue))).toEqual([
      'plans/line.yaml:7:18: error: stages[0].minDuration: "6 weeks" is not a duration: use e.g. 6w, 14d, 36h, 90m, 30s, or ISO 8601 such as P6W or PT36H',
    ]);
    expect(formatIssue({ line: 3, column: 4, path: 'owner', message: 'owner: must not be empty', severity: 'error' }, 'p.yaml')).toBe(
      'p.yaml:3:4: error: owner: must not be empty',
    );
  });
});
