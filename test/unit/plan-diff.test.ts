import { diffPlans } from '../../definitions/diff';
import { loadPlan } from '../../definitions/load';
import type { Plan } from '../../definitions/schema';

function plan(yaml: string): Plan {
  const result = loadPlan(yaml);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.plan;
}

const stage = (id: string, dependsOn: string[], minDuration = '2w', extra = '') =>
  `  - id: ${id}
    title: Stage ${id}
    mode: pilot
    dependsOn: [${dependsOn.join(', ')}]
    minDuration: ${minDuration}
    criteria: [{ metric: precision, threshold: 0.9, window: 7d }]
    approvals: [{ role: lead }]
${extra}`;

const head = 'name: p\nowner: lead\nstages:\n';
const v1 = plan(`${head}${stage('pilot', [])}${stage('shadow', ['pilot'])}${stage('supervised', ['shadow'])}`);

describe('diffPlans', () => {
  it('reports nothing for equal plans, however they were written', () => {
    const rewritten = plan(`${head}${stage('pilot', [])}${stage('shadow', ['pilot'])}${stage('supervised', ['shadow'])}`.replace(/approvals: \[\{ role: lead \}\]/g, 'approvals: [{ role: lead, count: 1 }]'));
    expect(diffPlans(v1, rewritten)).toEqual([]);
  });

  it('matches stages by id: an inserted stage is one addition, and later stages are unchanged', () => {
    const v2 = plan(`${head}${stage('pilot', [])}${stage('canary', ['pilot'], '1w')}${stage('shadow', ['canary'])}${stage('supervised', ['shadow'])}`);
    const inserted = v2.stages[1];
    expect(diffPlans(v1, v2)).toEqual([
      { path: 'stages[shadow].dependsOn', change: 'changed', from: ['pilot'], to: ['canary'] },
      { path: 'stages[canary]', change: 'added', to: inserted },
    ]);
  });

  it('names changed fields by stage id, and reports removals with the old value', () => {
    const v2 = plan(
      `${head}${stage('pilot', [], '3w')}${stage('supervised', ['pilot'], '2w', '    onFailure: { rollback: pilot }\n')}`.replace(
        'id: supervised\n    title: Stage supervised',
        'id: supervised\n    title: Supervised operation',
      ),
    );
    expect(diffPlans(v1, v2)).toEqual([
      { path: 'stages[pilot].minDuration', change: 'changed', from: '2w', to: '3w' },
      { path: 'stages[shadow]', change: 'removed', from: v1.stages[1] },
      { path: 'stages[supervised].title', change: 'changed', from: 'Stage supervised', to: 'Supervised operation' },
      { path: 'stages[supervised].dependsOn', change: 'changed', from: ['shadow'], to: ['pilot'] },
      { path: 'stages[supervised].onFailure', change: 'changed', from: 'hold', to: { rollback: 'pilot' } },
    ]);
  });

  it('reports a new order of the same stages once, as the list of ids', () => {
    const a = plan(`${head}${stage('x', [])}${stage('y', [])}`);
    const b = plan(`${head}${stage('y', [])}${stage('x', [])}`);
    expect(diffPlans(a, b)).toEqual([{ path: 'stages', change: 'changed', from: ['x', 'y'], to: ['y', 'x'] }]);
  });

  it('compares other lists item by item, and map entries by key', () => {
    const before = plan(`${head}${stage('a', [])}`.replace('owner: lead\n', 'owner: lead\nroles:\n  lead: { members: [ann] }\n  "plant-manager@plant-b": { members: [bo] }\n'));
    const after = plan(
      `${head}${stage('a', [])}`
        .replace('owner: lead\n', 'owner: lead\nroles:\n  lead: { members: [ann, cy] }\nlabels: { team: body-shop }\n')
        .replace('approvals: [{ role: lead }]', 'approvals: [{ role: lead, count: 2 }, { role: lead }]'),
    );
    expect(diffPlans(before, after)).toEqual([
      { path: 'roles.lead.members', change: 'changed', from: ['ann'], to: ['ann', 'cy'] },
      { path: 'roles["plant-manager@plant-b"]', change: 'removed', from: { members: ['bo'] } },
      { path: 'stages[a].approvals[0].count', change: 'changed', from: 1, to: 2 },
      { path: 'stages[a].approvals[1]', change: 'added', to: { role: 'lead', count: 1 } },
      { path: 'labels', change: 'added', to: { team: 'body-shop' } },
    ]);
  });

  it('matches prerequisites by id too, from none at all', () => {
    const prerequisite = '  - { id: contract, kind: data-contract, title: Data contract, signedBy: lead }\n';
    const after = plan(`${head.replace('stages:\n', `prerequisites:\n${prerequisite}stages:\n`)}${stage('pilot', [])}${stage('shadow', ['pilot'])}${stage('supervised', ['shadow'])}`);
    expect(diffPlans(v1, after)).toEqual([
      { path: 'prerequisites[contract]', change: 'added', to: { id: 'contract', kind: 'data-contract', title: 'Data contract', signedBy: 'lead', perSite: false } },
    ]);
  });
});
