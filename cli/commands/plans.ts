import { readFileSync } from 'node:fs';
import { ApiError, unwrap } from '../../client';
import { API_OPTIONS_USAGE, needArgs, runApiCommand } from '../api-command';
import { usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { checkPlanFile, issueLines, summaryLine, tally } from '../plan-files';

export const PLANS_USAGE = `usage:
  rollgate plans push <file…>   validate each plan as rollgate validate does, then upload the valid ones
  rollgate plans list           the plans on the server with their latest versions
  rollgate plans show NAME [--version N]
                                a plan's YAML as uploaded (the latest version, or N)
  rollgate plans versions NAME  a plan's versions with their digests and upload times
  rollgate plans diff NAME A B  what changed from version A to version B, one change a line

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
  if (action === 'show') {
    return runApiCommand('plans show', rest, { version: { type: 'string' } }, PLANS_USAGE, io, async ({ values, positionals }, context) => {
      if (!needArgs('plans show', positionals, ['NAME'], io)) return ExitCode.usage;
      const name = positionals[0]!;
      const version = values.version === undefined ? undefined : versionNumber(String(values.version));
      if (version === null) return usageError('plans show', `--version is a positive whole number, not ${String(values.version)}`, io);
      const shown = unwrap(
        version === undefined
          ? await context.client.GET('/v1/plans/{name}', { params: { path: { name } } })
          : await context.client.GET('/v1/plans/{name}/versions/{version}', { params: { path: { name, version: String(version) } } }),
      );
      if (context.json) io.out(JSON.stringify(shown));
      else {
        io.err(`${shown.name} version ${shown.version} (${shown.digest}), uploaded ${shown.createdAt}`);
        io.out(shown.source.replace(/\n$/, ''));
      }
      return ExitCode.ok;
    });
  }
  if (action === 'versions') {
    return runApiCommand('plans versions', rest, {}, PLANS_USAGE, io, async ({ positionals }, context) => {
      if (!needArgs('plans versions', positionals, ['NAME'], io)) return ExitCode.usage;
      const list = unwrap(await context.client.GET('/v1/plans/{name}/versions', { params: { path: { name: positionals[0]! } } }));
      if (context.json) io.out(JSON.stringify(list));
      else for (const entry of list.versions) io.out([`v${entry.version}`, entry.digest, entry.createdAt].join('\t'));
      return ExitCode.ok;
    });
  }
  if (action === 'diff') {
    return runApiCommand('plans diff', rest, {}, PLANS_USAGE, io, async ({ positionals }, context) => {
      if (!needArgs('plans diff', positionals, ['NAME', 'A', 'B'], io)) return ExitCode.usage;
      const [name, a, b] = positionals as [string, string, string];
      const [from, to] = [versionNumber(a), versionNumber(b)];
      if (from === null || to === null) return usageError('plans diff', `versions are positive whole numbers, not ${from === null ? a : b}`, io);
      const diff = unwrap(await context.client.GET('/v1/plans/{name}/diff', { params: { path: { name }, query: { from: String(from), to: String(to) } } }));
      if (context.json) io.out(JSON.stringify(diff));
      else {
        if (diff.changes.length === 0) io.err(`${name}: versions ${from} and ${to} are the same plan`);
        for (const change of diff.changes) io.out(changeLine(change));
      }
      return ExitCode.ok;
    });
  }
  if (action === '--help' || action === '-h') {
    io.out(PLANS_USAGE);
    return Promise.resolve(ExitCode.ok);
  }
  return Promise.resolve(usageError('plans', action === undefined ? 'give push, list, show, versions or diff' : `unknown action "${action}"; the actions are push, list, show, versions, diff`, io));
}

/** versionNumber reads a plan version argument: a positive whole number, else null. */
function versionNumber(text: string): number | null {
  return /^[1-9][0-9]*$/.test(text) ? Number(text) : null;
}

/** changeLine is one change of a plan diff: `~ stages[0].minDuration: "1m" -> "2m"`, + for an addition, - for a removal. */
function changeLine(change: { path: string; [key: string]: unknown }): string {
  const value = (v: unknown) => JSON.stringify(v);
  if (change.change === 'added') return `+ ${change.path}: ${value(change.to)}`;
  if (change.change === 'removed') return `- ${change.path}: ${value(change.from)}`;
  return `~ ${change.path}: ${value(change.from)} -> ${value(change.to)}`;
}
