import { readFileSync } from 'node:fs';
import { ApiError, unwrap } from '../../client';
import { API_OPTIONS_USAGE, runApiCommand } from '../api-command';
import { usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { checkPlanFile, issueLines, summaryLine, tally } from '../plan-files';

export const PLANS_USAGE = `usage:
  rollgate plans push <file…>   validate each plan as rollgate validate does, then upload the valid ones
  rollgate plans list           the plans on the server with their latest versions

${API_OPTIONS_USAGE}

Problems are printed as file:line:col: error|warning: message, the server's as well as the local ones.
exit status: 0 done, 1 a plan has errors or the server refused it, 2 usage, 3 no server or unreachable`;

export function plansCommand(args: string[], io: CommandIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'push') {
    return runApiCommand('plans push', rest, {}, PLANS_USAGE, io, async ({ positionals }, context) => {
      if (positionals.length === 0) return usageError('plans push', 'give at least one plan file', io);
      const checked = positionals.map((file) => checkPlanFile(file));
      for (const entry of checked) {
        if ('unreadable' in entry) io.err(entry.unreadable);
        else for (const line of issueLines(entry.result, { warnings: true })) io.err(line);
      }
      const counts = tally(checked);
      if (counts.unreadable > 0 || counts.errors > 0) {
        io.err(`${summaryLine(counts, { warnings: true })}; nothing was uploaded`);
        return counts.unreadable > 0 ? ExitCode.usage : ExitCode.failed;
      }
      let failed = false;
      for (const file of positionals) {
        const result = await context.client.POST('/v1/plans', {
          body: readFileSync(file, 'utf8') as never,
          bodySerializer: (body: unknown) => body as string,
          headers: { 'content-type': 'application/yaml' },
        });
        try {
          const stored = unwrap(result);
          context.io.out(context.json ? JSON.stringify({ file, ...stored }) : `${file}: ${result.response.status === 201 ? 'stored' : 'unchanged,'} ${stored.name} version ${stored.version}`);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          // The server's own findings, in the same form as the local ones.
          io.err(`${file}: ${error.status} ${error.problem.title}${error.problem.detail ? `: ${error.problem.detail}` : ''}`);
          for (const entry of error.problem.errors ?? []) io.err(`${file}:${entry.line ?? 1}:${entry.column ?? 1}: error: ${entry.path ? `${entry.path}: ` : ''}${entry.message}`);
          failed = true;
        }
      }
      return failed ? ExitCode.failed : ExitCode.ok;
    });
  }
  if (action === 'list') {
    return runApiCommand('plans list', rest, {}, PLANS_USAGE, io, async (_parsed, context) => {
      const list = unwrap(await context.client.GET('/v1/plans'));
      if (context.json) io.out(JSON.stringify(list));
      else for (const plan of list.plans) io.out([plan.name, `v${plan.latestVersion}`, plan.owner, plan.updatedAt].join('\t'));
      return ExitCode.ok;
    });
  }
  if (action === '--help' || action === '-h') {
    io.out(PLANS_USAGE);
    return Promise.resolve(ExitCode.ok);
  }
  return Promise.resolve(usageError('plans', action === undefined ? 'give push or list' : `unknown action "${action}"; the actions are push, list`, io));
}
