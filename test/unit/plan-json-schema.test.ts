import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { parseDuration } from '../../definitions/duration';
import { DURATION_PATTERN, PLAN_SCHEMA_FILE, PLAN_SCHEMA_ID, planJsonSchema, planJsonSchemaText } from '../../definitions/json-schema';
import { planFixtures } from '../fixtures/plans/plan-fixtures';

const schema = planJsonSchema();
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const examples = join(__dirname, '../../definitions/examples');

describe('the plan JSON Schema', () => {
  it('is committed as generated: run npm run schema after changing definitions/schema.ts', () => {
    const committed = readFileSync(PLAN_SCHEMA_FILE, 'utf8');
    if (committed !== planJsonSchemaText()) throw new Error('definitions/plan.schema.json is stale: run npm run schema');
    expect(committed.endsWith('}\n')).toBe(true);
  });

  it('names itself and keeps the field descriptions', () => {
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: PLAN_SCHEMA_ID, title: 'rollgate rollout plan', type: 'object' });
    const stage = (schema as { properties: { stages: { items: { properties: Record<string, { description?: string }>; required: string[] } } } })
      .properties.stages.items;
    expect(stage.properties.minDuration!.description).toBe('minDuration: the least time the stage runs before it can pass, e.g. 6w.');
    // The input side: fields with defaults are optional.
    expect(stage.required).not.toContain('dependsOn');
    expect(stage.required).toEqual(expect.arrayContaining(['id', 'title', 'mode', 'minDuration', 'approvals']));
  });

  it('gives every duration field the duration pattern', () => {
    const found: string[] = [];
    walk(schema, '', (node, path) => {
      if (node.pattern === DURATION_PATTERN) found.push(path);
    });
    expect(found).toEqual([
      'metrics.cadence',
      'stages.minDuration',
      'stages.maxDuration',
      'stages.evaluationInterval',
      'stages.criteria.baseline.window',
      'stages.criteria.window',
      'stages.criteria.freshness',
      'stages.criteria.completeness.cadence',
      'stages.criteria.skew.max',
      'stages.criteria.skew.maxSpread',
      'stages.escalation.after',
      'stages.escalation.after',
      'stages.forEach.feedbackCycle',
      'stages.steadyState.reviewEvery',
      'stages.steadyState.retrainEvery',
      'stages.steadyState.horizon',
      'stages.deferral.decisionDeadline',
    ]);
  });

  it('accepts every valid plan, lint fixture and example', () => {
    const plans = [
      ...planFixtures('valid').map((f) => ({ name: `valid/${f.name}`, text: f.source().toString('utf8') })),
      ...planFixtures('lint').map((f) => ({ name: `lint/${f.name}`, text: f.source().toString('utf8') })),
      ...['factory-line.yaml', 'logistics-carrier-selection.yaml'].map((file) => ({ name: file, text: readFileSync(join(examples, file), 'utf8') })),
    ];
    expect(plans.length).toBeGreaterThan(20);
    const rejected = plans.filter(({ text }) => !validate(parse(text))).map(({ name }) => ({ name, errors: validate.errors }));
    expect(rejected).toEqual([]);
  });

  it.each([
    ['a duration in words', 'minDuration: 6 weeks', '/stages/0/minDuration', 'pattern'],
    ['a month, which has no fixed length', 'minDuration: P1M', '/stages/0/minDuration', 'pattern'],
    ['an unknown key', 'minDuraton: 6w', '/stages/0', 'additionalProperties'],
    ['an unknown mode', 'mode: canary', '/stages/0/mode', 'enum'],
  ])('rejects %s', (_what, line, instancePath, keyword) => {
    const base = { name: 'p', owner: 'lead', stages: [{ id: 'a', title: 'A', mode: 'pilot', minDuration: '6w', approvals: [{ role: 'lead' }] }] };
    const [key, value] = line.split(': ') as [string, string];
    const stage = { ...base.stages[0], [key]: value };
    if (key === 'minDuraton') delete (stage as Record<string, unknown>).minDuration;
    expect(validate({ ...base, stages: [stage] })).toBe(false);
    expect(validate.errors).toEqual(expect.arrayContaining([expect.objectContaining({ instancePath, keyword })]));
  });
});

describe('DURATION_PATTERN', () => {
  const pattern = new RegExp(DURATION_PATTERN, 'u');

  it.each(['6w', '14d', '36h', '90m', '30s', '500ms', '1d12h', '1.5h', '1m30s', 'P6W', 'P14D', 'PT36H', 'P1DT12H', 'PT1.5S', ' 6w '])('accepts %j', (text) => {
    expect(parseDuration(text)).toBeDefined();
    expect(pattern.test(text)).toBe(true);
  });

  it.each(['', ' ', 'P', 'PT', 'P1DT', '6 weeks', '6W', 'pt1h', '1y', 'P1M', '5ms5s', '1.5ms', 'w', '-1d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(pattern.test(text)).toBe(false);
  });

  it('agrees with parseDuration on every short text over the duration alphabet', () => {
    const alphabet = ['1', '0', '.', 'w', 'd', 'h', 'm', 's', 'P', 'T', 'W', 'D', 'H', 'M', 'S', ' '];
    const disagreements: string[] = [];
    let texts = [''];
    for (let length = 1; length <= 4; length++) {
      texts = texts.flatMap((text) => alphabet.map((c) => text + c));
      for (const text of texts) if (pattern.test(text) !== (parseDuration(text) !== undefined)) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
  });
});

type SchemaNode = Record<string, unknown>;

/** walk visits every subschema; the path names the properties on the way (array items add nothing). */
function walk(node: unknown, path: string, visit: (node: SchemaNode, path: string) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, path, visit);
    return;
  }
  const schemaNode = node as SchemaNode;
  visit(schemaNode, path);
  for (const [key, value] of Object.entries(schemaNode)) {
    if (key === 'properties' && value !== null && typeof value === 'object') {
      for (const [name, property] of Object.entries(value)) walk(property, path === '' ? name : `${path}.${name}`, visit);
    } else if (key !== 'properties') {
      walk(value, path, visit);
    }
  }
}
