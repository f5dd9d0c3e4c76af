import type { Plan } from '../definitions/schema';
import { stageLabelLines } from './plan-words';

/** The formats `rollgate graph` renders. */
export const GraphFormat = {
  mermaid: 'mermaid',
  dot: 'dot',
} as const;
export type GraphFormat = (typeof GraphFormat)[keyof typeof GraphFormat];

export function isGraphFormat(text: string): text is GraphFormat {
  return Object.values<string>(GraphFormat).includes(text);
}

/** renderGraph draws the stage graph of a valid plan, one node per stage, edges from a dependency to its dependents. */
export function renderGraph(plan: Plan, format: GraphFormat): string {
  return format === GraphFormat.dot ? renderDot(plan) : renderMermaid(plan);
}

/**
 * renderMermaid writes a Mermaid flowchart. Node ids are `s_` plus the stage id with dashes as
 * underscores (unique, since stage ids have no underscores), so that no id can be a Mermaid
 * keyword such as `end`; labels are quoted, with `"`, `<`, `>` and `#` as entity codes.
 */
export function renderMermaid(plan: Plan): string {
  const node = (id: string) => `s_${id.replace(/-/g, '_')}`;
  const lines = ['---', `title: ${plan.name}`, '---', 'flowchart TD'];
  for (const stage of plan.stages) {
    lines.push(`  ${node(stage.id)}["${stageLabelLines(plan, stage).map(mermaidText).join('<br/>')}"]`);
  }
  for (const stage of plan.stages) {
    for (const dep of stage.dependsOn) lines.push(`  ${node(dep)} --> ${node(stage.id)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** renderDot writes a Graphviz digraph; node ids are the stage ids, quoted. */
export function renderDot(plan: Plan): string {
  const lines = [`digraph ${dotString(plan.name)} {`, '  node [shape=box];'];
  for (const stage of plan.stages) {
    lines.push(`  ${dotString(stage.id)} [label=${dotString(stageLabelLines(plan, stage).join('\n'))}];`);
  }
  for (const stage of plan.stages) {
    for (const dep of stage.dependsOn) lines.push(`  ${dotString(dep)} -> ${dotString(stage.id)};`);
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
