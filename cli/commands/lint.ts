import { LINT_RULES, type LintRuleId } from '../../definitions/lint';
import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { checkPlanFile, issueLines, summaryLine, tally } from '../plan-files';
import { plural } from '../plan-words';

export const LINT_USAGE = `usage: rollgate lint [--strict] <file…>
       rollgate lint --rules

Checks each plan like rollgate validate and explains its lint warnings: known mistakes in
rollout plans that do not stop the upload. Each rule that fired is described once, with how to
switch it off for one stage.

options:
  --strict   exit 1 on warnings too
  --rules    list the lint rules and exit

exit status: 0 no errors (and, with --strict, no warnings), 1 otherwise, 2 usage error or a
file could not be read`;

/** SUPPRESSION_HINT says how a plan switches a lint rule off where a warning points. */
export const SUPPRESSION_HINT =
  "Switch a warning off on the stage it points at (for unwatched-guardrail, the plan's first stage) with lint: { ignore: [{ rule: <rule>, reason: <why it does not apply> }] }.";

/** lintCommand runs `rollgate lint`. */
export function lintCommand(args: string[], io: CommandIo): ExitCode {
  const options = { strict: { type: 'boolean' }, rules: { type: 'boolean' } } as const;
  const parsed = parseCommandArgs('lint', args, options, LINT_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.values.rules) {
    for (const line of ruleLines()) io.out(line);
    return ExitCode.ok;
  }
  const files = parsed.positionals;
  if (files.length === 0) return usageError('lint', 'give at least one plan file, or --rules', io);

  const checked = files.map((file) => checkPlanFile(file));
  const fired = new Map<LintRuleId, number>();
  for (const entry of checked) {
    if ('unreadable' in entry) {
      io.err(entry.unreadable);
      continue;
    }
    for (const line of issueLines(entry.result, { warnings: true })) io.err(line);
    for (const warning of entry.result.warnings) if (warning.rule) fired.set(warning.rule, (fired.get(warning.rule) ?? 0) + 1);
  }
  if (fired.size > 0) {
    io.err('');
    for (const [rule, count] of [...fired].sort(([a], [b]) => a.localeCompare(b))) io.err(`${rule} (${plural(count, 'warning')}): ${LINT_RULES[rule]}`);
    io.err(SUPPRESSION_HINT);
  }
  const counts = tally(checked);
  io.err(summaryLine(counts, { warnings: true }));
  if (counts.unreadable > 0) return ExitCode.usage;
  return counts.errors > 0 || (parsed.values.strict && counts.warnings > 0) ? ExitCode.failed : ExitCode.ok;
}

/** ruleLines lists the lint rules, one a line: id, padding, description. */
export function ruleLines(): string[] {
  const entries = Object.entries(LINT_RULES);
  const width = Math.max(...entries.map(([id]) => id.length));
  return entries.map(([id, description]) => `${id.padEnd(width)}  ${description}`);
}
