import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { loadOnePlan } from '../plan-files';
import { GraphFormat, isGraphFormat, renderGraph } from '../plan-graph';

export const GRAPH_USAGE = `usage: rollgate graph [--format mermaid|dot] <file>

Prints the stage graph of a plan on stdout: one node per stage (title, mode, minimum duration,
sign-offs, prerequisites, number of criteria), an edge from each stage to the stages that
depend on it. A per-site stage is a group with one node per wave and its sites, the waves
joined by the feedback cycle and wave sign-off; a steady-state stage is a hexagon. Paste
Mermaid into a Markdown file; render dot with Graphviz
(rollgate graph --format dot plan.yaml | dot -Tsvg > plan.svg).

options:
  -f, --format   mermaid (the default) or dot

exit status: 0 printed, 1 the plan has errors, 2 usage error or the file could not be read`;

/** graphCommand runs `rollgate graph`. */
export function graphCommand(args: string[], io: CommandIo): ExitCode {
  const parsed = parseCommandArgs('graph', args, { format: { type: 'string', short: 'f' } }, GRAPH_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const format = parsed.values.format ?? GraphFormat.mermaid;
  if (!isGraphFormat(format)) return usageError('graph', `--format must be mermaid or dot, not "${format}"`, io);
  if (parsed.positionals.length !== 1) return usageError('graph', 'give exactly one plan file', io);

  const plan = loadOnePlan(parsed.positionals[0]!, io);
  if (typeof plan === 'number') return plan;
  io.out(renderGraph(plan, format).trimEnd());
  return ExitCode.ok;
}
