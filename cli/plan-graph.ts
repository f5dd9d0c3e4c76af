import { stageWaves } from '../definitions/sites';
import type { Plan, Stage } from '../definitions/schema';
import { approvalsText, stageLabelLines } from './plan-words';

/** The formats `rollgate graph` renders. */
export const GraphFormat = {
  mermaid: 'mermaid',
  dot: 'dot',
} as const;
export type GraphFormat = (typeof GraphFormat)[keyof typeof GraphFormat];

export function isGraphFormat(text: string): text is GraphFormat {
  return Object.values<string>(GraphFormat).includes(text);
}

/**
 * renderGraph draws the stage graph of a valid plan, edges from a dependency to its
 * dependents. A stage is one node; a per-site (forEach) stage is a group with one node per
 * wave, listing its sites, the waves joined by arrows labelled with what lies between them (the
 * feedback cycle and the wave sign-off); a steady-state stage is a hexagon.
 */
export function renderGraph(plan: Plan, format: GraphFormat): string {
  return format === GraphFormat.dot ? renderDot(plan) : renderMermaid(plan);
}

/** A forEach stage's waves, each with its node label. */
type WaveNode = { label: string[] };

function waveNodes(stage: Stage): WaveNode[] {
  return (stageWaves(stage) ?? []).map((sites, k) => ({ label: [`wave ${k + 1}`, sites.join(', ')] }));
}

/** betweenWaves: what a wave waits for after the one before it passed, e.g. `4w feedback, then sign-off: deployment-lead`. */
function betweenWaves(stage: Stage): string {
  const forEach = stage.forEach!;
  const signOff = `sign-off: ${approvalsText(forEach.waveApprovals ?? stage.approvals)}`;
  return forEach.feedbackCycle === undefined ? signOff : `${forEach.feedbackCycle} feedback, then ${signOff}`;
}

/**
 * renderMermaid writes a Mermaid flowchart. Node ids are `s_` plus the stage id with dashes as
 * underscores (unique, since stage ids have no underscores), and `w_<stage>_<n>` for the waves
 * of a per-site stage, so that no id can be a Mermaid keyword such as `end`; labels are quoted,
 * with `"`, `<`, `>` and `#` as entity codes.
 */
export function renderMermaid(plan: Plan): string {
  const node = (id: string) => `s_${id.replace(/-/g, '_')}`;
  const wave = (id: string, k: number) => `w_${id.replace(/-/g, '_')}_${k + 1}`;
  const label = (lines: string[]) => `"${lines.map(mermaidText).join('<br/>')}"`;
  const lines = ['---', `title: ${plan.name}`, '---', 'flowchart TD'];
  for (const stage of plan.stages) {
    const text = label(stageLabelLines(plan, stage));
    if (stage.forEach === undefined) {
      lines.push(stage.steadyState === undefined ? `  ${node(stage.id)}[${text}]` : `  ${node(stage.id)}{{${text}}}`);
      continue;
    }
    const waves = waveNodes(stage);
    lines.push(`  subgraph ${node(stage.id)}[${text}]`, '    direction LR');
    waves.forEach((w, k) => lines.push(`    ${wave(stage.id, k)}[${label(w.label)}]`));
    const between = label([betweenWaves(stage)]);
    for (let k = 1; k < waves.length; k++) lines.push(`    ${wave(stage.id, k - 1)} -->|${between}| ${wave(stage.id, k)}`);
    lines.push('  end');
  }
  for (const stage of plan.stages) {
    for (const dep of stage.dependsOn) lines.push(`  ${node(dep)} --> ${node(stage.id)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * renderDot writes a Graphviz digraph; node ids are the stage ids, quoted, and `<stage>/wave-<n>`
 * for waves. A per-site stage is a cluster; edges into and out of it end at its first and
 * start at its last wave, clipped at the cluster's border.
 */
export function renderDot(plan: Plan): string {
  const lines = [`digraph ${dotString(plan.name)} {`, '  node [shape=box];'];
  const wavesOf = new Map(plan.stages.map((stage) => [stage.id, waveNodes(stage)]));
  const wave = (id: string, k: number) => dotString(`${id}/wave-${k + 1}`);
  if (plan.stages.some((stage) => stage.forEach !== undefined)) lines.push('  compound=true;');
  for (const stage of plan.stages) {
    const label = dotString(stageLabelLines(plan, stage).join('\n'));
    if (stage.forEach === undefined) {
      lines.push(`  ${dotString(stage.id)} [label=${label}${stage.steadyState === undefined ? '' : ', shape=hexagon'}];`);
      continue;
    }
    const waves = wavesOf.get(stage.id)!;
    lines.push(`  subgraph ${dotString(`cluster_${stage.id}`)} {`, `    label=${label};`);
    waves.forEach((w, k) => lines.push(`    ${wave(stage.id, k)} [label=${dotString(w.label.join('\n'))}];`));
    const between = dotString(betweenWaves(stage));
    for (let k = 1; k < waves.length; k++) lines.push(`    ${wave(stage.id, k - 1)} -> ${wave(stage.id, k)} [label=${between}];`);
    lines.push('  }');
  }
  /** end names the node an edge leaves from (last wave) or arrives at (first wave), and the cluster to clip at. */
  const end = (id: string, leaving: boolean): { node: string; clip?: string } => {
    const count = wavesOf.get(id)?.length ?? 0;
    if (count === 0) return { node: dotString(id) };
    return { node: wave(id, leaving ? count - 1 : 0), clip: dotString(`cluster_${id}`) };
  };
  for (const stage of plan.stages) {
    for (const dep of stage.dependsOn) {
      const [from, to] = [end(dep, true), end(stage.id, false)];
      const clips = [from.clip && `ltail=${from.clip}`, to.clip && `lhead=${to.clip}`].filter(Boolean);
      lines.push(`  ${from.node} -> ${to.node}${clips.length === 0 ? '' : ` [${clips.join(', ')}]`};`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaidText(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
