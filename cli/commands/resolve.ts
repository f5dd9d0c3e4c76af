import { unwrap } from '../../client';
import { API_OPTIONS_USAGE, needArgs, runApiCommand } from '../api-command';
import { usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';

export const RESOLVE_USAGE = `usage: rollgate resolve ROLLOUT-ID STAGE --action retry-window|rollback|abort --reason TEXT
                        [--to STAGE] [--site SITE]

Resolves a held stage (its criteria failed and the plan holds it for a person to decide):
retry-window judges it again over a fresh window, rollback re-enters an upstream stage (--to,
default the plan's onFailure target), abort ends the rollout. --site resolves one site of a
per-site stage.

${API_OPTIONS_USAGE}

exit status: 0 done, 1 the API refused (its problem is printed), 2 usage, 3 no server or unreachable`;

const CHOICES = ['retry-window', 'rollback', 'abort'] as const;

export function resolveCommand(args: string[], io: CommandIo): Promise<number> {
  const options = { action: { type: 'string' }, reason: { type: 'string' }, to: { type: 'string' }, site: { type: 'string' } } as const;
  return runApiCommand('resolve', args, options, RESOLVE_USAGE, io, async ({ values, positionals }, context) => {
    if (!needArgs('resolve', positionals, ['ROLLOUT-ID', 'STAGE'], io)) return ExitCode.usage;
    const choice = String(values.action ?? '');
    if (!(CHOICES as readonly string[]).includes(choice)) {
      return usageError('resolve', `--action is ${CHOICES.join(', ')}${values.action === undefined ? '' : `, not ${choice}`}`, io);
    }
    if (!values.reason) return usageError('resolve', 'a resolution needs a reason: --reason TEXT', io);
    const [id, stageId] = positionals as [string, string];
    const body = {
      choice: choice as (typeof CHOICES)[number],
      reason: String(values.reason),
      ...(values.to ? { to: String(values.to) } : {}),
      ...(values.site ? { site: String(values.site) } : {}),
    };
    const answer = unwrap(await context.client.POST('/v1/rollouts/{id}/stages/{stageId}/resolution', { params: { path: { id, stageId } }, body }));
    if (context.json) io.out(JSON.stringify(answer));
    else io.out(`resolved stage ${stageId}${answer.site ? ` at ${answer.site}` : ''} (${choice}): it is now ${answer.stage.state}`);
    return ExitCode.ok;
  });
}
