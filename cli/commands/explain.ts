import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { startOption } from '../instant';
import { explainPlan } from '../plan-explain';
import { loadOnePlan } from '../plan-files';

export const EXPLAIN_USAGE = `usage: rollgate explain [--start <date>] <file>

Describes a plan in words on stdout: its prerequisites and who signs them; each stage in the
order it can run, with its mode, scope, durations, criteria, sign-offs (with the members of
each role), escalation and failure policy; for a per-site stage its waves with their expected
dates, the sign-off and prerequisites at each site and the execution windows; for a
steady-state stage its review calendar, retraining and horizon; and the earliest date the
rollout can finish, from the longest chain of minimum durations and feedback cycles (the
critical path).

options:
  -s, --start <date>   when the rollout starts: YYYY-MM-DD (midnight UTC) or an ISO 8601
                       time with its zone, e.g. 2026-12-01T06:00+01:00 (default: today)

exit status: 0 printed, 1 the plan has errors, 2 usage error or the file could not be read`;

/** explainCommand runs `rollgate explain`; `today` is the default start. */
export function explainCommand(args: string[], io: CommandIo, today: Date = new Date()): ExitCode {
  const parsed = parseCommandArgs('explain', args, { start: { type: 'string', short: 's' } }, EXPLAIN_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const start = startOption(parsed.values.start, today);
  if (start === undefined) return usageError('explain', `--start must be a date such as 2026-12-01, not "${parsed.values.start}"`, io);
  if (parsed.positionals.length !== 1) return usageError('explain', 'give exactly one plan file', io);

  const plan = loadOnePlan(parsed.positionals[0]!, io);
  if (typeof plan === 'number') return plan;
  io.out(explainPlan(plan, new Date(start)).trimEnd());
  return ExitCode.ok;
}
