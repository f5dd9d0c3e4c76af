import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { explainPlan } from '../../cli/plan-explain';
import { renderMermaid } from '../../cli/plan-graph';
import { PLAN_FORMAT_DOC, withGeneratedParts } from '../../cli/plan-docs';
import { loadPlan } from '../../definitions/load';
import { planFixtures } from '../fixtures/plans/plan-fixtures';

/** docs/plan-format.md: its generated parts are current, and its examples match what the code does. */

const doc = readFileSync(PLAN_FORMAT_DOC, 'utf8');

/** blocks lists the fenced code blocks of one language, in document order. */
function blocks(language: string): string[] {
  return [...doc.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]!);
}

const glance = blocks('yaml')[0]!;
const loaded = loadPlan(glance);

describe('docs/plan-format.md', () => {
  it('has current generated parts: run npm run docs after changing the schema or the lint rules', () => {
    if (withGeneratedParts(doc) !== doc) throw new Error('the generated parts of docs/plan-format.md are stale: run npm run docs');
  });

  it('opens with a plan that loads without errors or warnings', () => {
    expect(glance.startsWith('# yaml-language-server: $schema=../definitions/plan.schema.json\nname: ')).toBe(true);
    expect(loaded).toMatchObject({ ok: true, warnings: [] });
  });

  it('shows YAML that parses in every example', () => {
    const broken = blocks('yaml')
      .map((text, i) => ({ i, errors: parseDocument(text).errors.map((error) => error.message) }))
      .filter(({ errors }) => errors.length > 0);
    expect(broken).toEqual([]);
  });

  it('shows the graph and the explanation of that plan as rollgate prints them', () => {
    if (!loaded.ok) throw new Error('the plan does not load');
    expect(blocks('mermaid')).toEqual([renderMermaid(loaded.plan)]);
    const explained = explainPlan(loaded.plan, new Date('2026-12-01T00:00:00Z')).split('\n');
    const shown = blocks('console').find((block) => block.includes('rollgate explain'))!;
    const lines = shown.split('\n').slice(1).filter((line) => line !== '' && line !== '…');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((line) => !explained.includes(line))).toEqual([]);
  });

  it('quotes only error messages that rollgate gives for the plan fixtures', () => {
    const table = doc.slice(doc.indexOf('## Errors you can expect'), doc.indexOf('## Size limits'));
    const quoted = [...table.matchAll(/^\| [^|]+ \| `(.*)` \|$/gm)].map((match) => match[1]!);
    expect(quoted.length).toBeGreaterThan(10);
    const known = new Set(planFixtures('invalid').flatMap((fixture) => fixture.expected.map((issue) => issue.message)));
    expect(quoted.filter((message) => !known.has(message))).toEqual([]);
  });
});
