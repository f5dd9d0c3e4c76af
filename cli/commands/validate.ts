import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { loadProviders, providerNames } from '../../config/providers';
import { checkPlanFile, issueLines, summaryLine, tally } from '../plan-files';

export const VALIDATE_USAGE = `usage: rollgate validate [--quiet] [--providers FILE] <file…>

Checks each plan completely, as an upload would be checked: YAML syntax, the schema, the stage
graph, the cross-field rules and the lint rules. Every problem is printed on stderr as
file:line:col: error|warning: message, then a summary line.

options:
  -q, --quiet          leave out warnings
  --providers FILE     check pulled metrics' provider names against a providers file
                       (the worker's ROLLGATE_PROVIDERS_FILE); without it they are not checked

exit status: 0 no errors, 1 errors, 2 usage error or a file could not be read`;

/** validateCommand runs `rollgate validate`. */
export function validateCommand(args: string[], io: CommandIo): ExitCode {
  const parsed = parseCommandArgs('validate', args, { quiet: { type: 'boolean', short: 'q' }, providers: { type: 'string' } }, VALIDATE_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const files = parsed.positionals;
  if (files.length === 0) return usageError('validate', 'give at least one plan file', io);

  const warnings = !parsed.values.quiet;
  let providers: string[] | undefined;
  if (typeof parsed.values.providers === 'string') {
    try {
      providers = providerNames(loadProviders({ ROLLGATE_PROVIDERS_FILE: parsed.values.providers }));
    } catch (error) {
      io.err((error as Error).message);
      return ExitCode.usage;
    }
  }
  const checked = files.map((file) => checkPlanFile(file, providers ? { providers } : {}));
  for (const entry of checked) {
    if ('unreadable' in entry) io.err(entry.unreadable);
    else for (const line of issueLines(entry.result, { warnings })) io.err(line);
  }
  const counts = tally(checked);
  io.err(summaryLine(counts, { warnings }));
  if (counts.unreadable > 0) return ExitCode.usage;
  return counts.errors > 0 ? ExitCode.failed : ExitCode.ok;
}
