import type { ApiError, Schemas } from '../../client';
import { followEvents, unwrap } from '../../client';
import { API_OPTIONS_USAGE, needArgs, runApiCommand, type ApiContext } from '../api-command';
import { parseCommandArgs, usageError } from '../args';
import { ExitCode, type CommandIo } from '../command-io';
import { saveProfile, DEFAULT_PROFILE } from '../profiles';
import { rolloutTree } from '../rollout-tree';

const FINAL_STATES = new Set(['completed', 'aborted', 'terminated', 'not-started']);

export const LOGIN_USAGE = `usage: rollgate login --url URL --token TOKEN [--profile NAME]

Stores the server and token as a profile (default "default") in ~/.config/rollgate/profiles.json,
readable by you only. The other API commands use it; ROLLGATE_URL and ROLLGATE_TOKEN override it.`;

export function loginCommand(args: string[], io: CommandIo): number {
  const parsed = parseCommandArgs('login', args, { url: { type: 'string' }, token: { type: 'string' }, profile: { type: 'string' } }, LOGIN_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const { url, token, profile } = parsed.values as { url?: string; token?: string; profile?: string };
  if (!url || !token) return usageError('login', 'give --url and --token', io);
  if (!/^https?:\/\//.test(url)) return usageError('login', `--url must be an http: or https: URL, not ${url}`, io);
  const path = saveProfile(profile ?? DEFAULT_PROFILE, { url, token });
  io.err(`stored profile ${profile ?? DEFAULT_PROFILE} for ${url} in ${path}`);
  return ExitCode.ok;
}

export const ROLLOUTS_USAGE = `usage:
  rollgate rollouts start PLAN [--version N] [--id ROLLOUT-ID]
  rollgate rollouts list [--plan NAME] [--state STATE] [--limit N]

${API_OPTIONS_USAGE}

exit status: 0 done, 1 the API refused (its problem is printed), 2 usage, 3 no server or unreachable`;

export function rolloutsCommand(args: string[], io: CommandIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'start') {
    return runApiCommand('rollouts start', rest, { version: { type: 'string' }, id: { type: 'string' } }, ROLLOUTS_USAGE, io, async ({ values, positionals }, context) => {
      if (!needArgs('rollouts start', positionals, ['PLAN'], io)) return ExitCode.usage;
      const version = values.version === undefined ? undefined : Number(values.version);
      if (version !== undefined && !Number.isInteger(version)) return usageError('rollouts start', `--version is a number, not ${String(values.version)}`, io);
      const body = { plan: positionals[0]!, ...(version ? { version } : {}), ...(values.id ? { rolloutId: String(values.id) } : {}) };
      const started = unwrap(await context.client.POST('/v1/rollouts', { body }));
      print(context, started, [`started ${started.rolloutId} (plan ${started.plan} version ${started.version})`]);
      return ExitCode.ok;
    });
  }
  if (action === 'list') {
    const options = { plan: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' } } as const;
    return runApiCommand('rollouts list', rest, options, ROLLOUTS_USAGE, io, async ({ values }, context) => {
      const query = { ...(values.plan ? { plan: String(values.plan) } : {}), ...(values.state ? { state: String(values.state) } : {}), ...(values.limit ? { limit: Number(values.limit) } : {}) };
      const list = unwrap(await context.client.GET('/v1/rollouts', { params: { query: query as never } }));
      print(
        context,
        list,
        list.rollouts.map((rollout) => [rollout.rolloutId, `${rollout.plan} v${rollout.version}`, rollout.state, rollout.activeStages.join(',') || '-', rollout.createdAt].join('\t')),
      );
      return ExitCode.ok;
    });
  }
  if (action === '--help' || action === '-h') {
    io.out(ROLLOUTS_USAGE);
    return Promise.resolve(ExitCode.ok);
  }
  return Promise.resolve(usageError('rollouts', action === undefined ? 'give start or list' : `unknown action "${action}"; the actions are start, list`, io));
}

export const STATUS_USAGE = `usage: rollgate status ROLLOUT-ID [--watch]

Shows the rollout as a tree: its prerequisites, each stage with its state, criteria verdicts,
waves and sites, and who it waits for. --watch follows the rollout's event stream and draws
the tree again whenever an event changes it, until the rollout ends.

${API_OPTIONS_USAGE}`;

export function statusCommand(args: string[], io: CommandIo): Promise<number> {
  return runApiCommand('status', args, { watch: { type: 'boolean', short: 'w' } }, STATUS_USAGE, io, async ({ values, positionals }, context) => {
    if (!needArgs('status', positionals, ['ROLLOUT-ID'], io)) return ExitCode.usage;
    const id = positionals[0]!;
    let shown = '';
    // show draws the rollout when it changed, and tells whether it has ended.
    const show = async (): Promise<boolean> => {
      const rollout = await getRollout(context, id);
      const text = context.json ? JSON.stringify(rollout) : rolloutTree(rollout, context.paint).join('\n');
      if (text !== shown) {
        if (shown && !context.json) io.out('');
        io.out(text);
        shown = text;
      }
      return FINAL_STATES.has(rollout.state);
    };
    if ((await show()) || !values.watch) return ExitCode.ok;
    // Each event (and each heartbeat, for what ends a rollout without one) reads the status again;
    // a burst of events is read once after it.
    await untilEnded(context, id, 0, { onEvent: () => undefined, onSettled: show, onHeartbeat: show });
    return ExitCode.ok;
  });
}

export const EVENTS_USAGE = `usage: rollgate events ROLLOUT-ID [--follow]

Prints the rollout's audit trail in order; --follow follows its event stream and prints each
new event as it is recorded, until the rollout ends.

${API_OPTIONS_USAGE}`;

export function eventsCommand(args: string[], io: CommandIo): Promise<number> {
  return runApiCommand('events', args, { follow: { type: 'boolean', short: 'f' } }, EVENTS_USAGE, io, async ({ values, positionals }, context) => {
    if (!needArgs('events', positionals, ['ROLLOUT-ID'], io)) return ExitCode.usage;
    const id = positionals[0]!;
    const print = (event: Schemas['AuditEvent']) =>
      io.out(context.json ? JSON.stringify(event) : [event.occurredAt, event.type, event.stageId ?? '-', event.actor ?? '-', event.reason ?? ''].join('\t').trimEnd());
    if (!values.follow) {
      let after = 0;
      for (;;) {
        const page = unwrap(await context.client.GET('/v1/rollouts/{id}/events', { params: { path: { id }, query: { after, limit: 500 } as never } })) as Schemas['AuditPage'];
        for (const event of page.events) print(event);
        if (page.next === null) return ExitCode.ok;
        after = page.next;
      }
    }
    let ended = false;
    await untilEnded(context, id, 0, {
      onEvent: (event) => {
        print(event);
        if (ENDING_EVENTS.has(event.type)) ended = true;
      },
      onSettled: () => Promise.resolve(ended),
      // A rollout that ended without an event of its own (never started, say) is known by its state
      // once the stream has been quiet for a heartbeat: the ending event, if any, came before.
      onHeartbeat: async () => ended || FINAL_STATES.has((await getRollout(context, id)).state),
    });
    return ExitCode.ok;
  });
}

/** Events after which a rollout changes no more. */
const ENDING_EVENTS = new Set(['rollout.completed', 'rollout.aborted', 'rollout.terminated']);
/** How long the stream must be quiet after an event before onQuiet runs: a burst is one read. */
const SETTLE_MS = 100;

/**
 * untilEnded follows the rollout's event stream from seq after: onEvent for each event,
 * onSettled once a burst of events has settled, onHeartbeat at each heartbeat of a quiet
 * stream; it returns once one of these two says the rollout has ended.
 */
async function untilEnded(
  context: ApiContext,
  rolloutId: string,
  after: number,
  handlers: { onEvent: (event: Schemas['AuditEvent']) => void; onSettled: () => Promise<boolean>; onHeartbeat: () => Promise<boolean> },
): Promise<void> {
  const stop = new AbortController();
  let settle: NodeJS.Timeout | undefined;
  let failure: unknown;
  let checking = Promise.resolve();
  const check = (ended: () => Promise<boolean>) => () => {
    checking = checking.then(async () => {
      if (stop.signal.aborted) return;
      if (await ended()) stop.abort();
    }).catch((error: unknown) => {
      failure = error;
      stop.abort();
    });
  };
  await followEvents({
    ...context.server,
    rolloutId,
    after,
    signal: stop.signal,
    onEvent: (event) => {
      handlers.onEvent(event);
      clearTimeout(settle);
      settle = setTimeout(check(handlers.onSettled), SETTLE_MS);
    },
    onHeartbeat: check(handlers.onHeartbeat),
  }).finally(() => clearTimeout(settle));
  await checking;
  if (failure !== undefined) throw failure;
}

export const CONTROL_USAGE = `usage: rollgate pause|resume|abort ROLLOUT-ID [--reason TEXT]

${API_OPTIONS_USAGE}`;

export function controlCommand(action: 'pause' | 'resume' | 'abort') {
  return (args: string[], io: CommandIo): Promise<number> =>
    runApiCommand(action, args, { reason: { type: 'string' } }, CONTROL_USAGE, io, async ({ values, positionals }, context) => {
      if (!needArgs(action, positionals, ['ROLLOUT-ID'], io)) return ExitCode.usage;
      const body = values.reason ? { reason: String(values.reason) } : {};
      const answer = unwrap(await context.client.POST(`/v1/rollouts/{id}/${action}`, { params: { path: { id: positionals[0]! } }, body }));
      print(context, answer, [`rollout ${answer.rolloutId} is ${answer.state}`]);
      return ExitCode.ok;
    });
}

export const SIGN_OFF_USAGE = `usage:
  rollgate approve ROLLOUT-ID STAGE [--site SITE] [--role ROLE] [--comment TEXT]
  rollgate reject ROLLOUT-ID STAGE --comment TEXT [--site SITE] [--role ROLE]

${API_OPTIONS_USAGE}`;

export function signOffCommand(decision: 'approve' | 'reject') {
  const options = { site: { type: 'string' }, role: { type: 'string' }, comment: { type: 'string', short: 'm' } } as const;
  return (args: string[], io: CommandIo): Promise<number> =>
    runApiCommand(
      decision,
      args,
      options,
      SIGN_OFF_USAGE,
      io,
      async ({ values, positionals }, context) => {
        if (!needArgs(decision, positionals, ['ROLLOUT-ID', 'STAGE'], io)) return ExitCode.usage;
        if (decision === 'reject' && !values.comment) return usageError('reject', 'a rejection needs a reason: --comment TEXT', io);
        const [id, stageId] = positionals as [string, string];
        const body = {
          decision,
          ...(values.site ? { site: String(values.site) } : {}),
          ...(values.role ? { role: String(values.role) } : {}),
          ...(values.comment ? { comment: String(values.comment) } : {}),
        };
        const answer = unwrap(await context.client.POST('/v1/rollouts/{id}/stages/{stageId}/approvals', { params: { path: { id, stageId } }, body }));
        print(context, answer, [`${decision === 'approve' ? 'approved' : 'rejected'} stage ${stageId}${answer.site ? ` at ${answer.site}` : ''}: it is now ${answer.stage.state}`]);
        return ExitCode.ok;
      },
      (error, context) => signOffHint(error, context, args),
    );
}

/** signOffHint names, for a refused sign-off, the roles the stage accepts. */
async function signOffHint(error: ApiError, context: ApiContext, args: string[]): Promise<string | undefined> {
  if (error.status !== 403) return undefined;
  const [id, stageId] = args.filter((arg) => !arg.startsWith('-'));
  if (!id || !stageId) return undefined;
  const stage = (await getRollout(context, id)).stages.find((candidate) => candidate.id === stageId);
  if (!stage) return undefined;
  const roles = [...new Set([...stage.required.map((requirement) => requirement.role), ...stage.escalatedTo])];
  return `stage ${stageId} takes sign-off from ${roles.join(', ')}; ask for a token with one of these roles`;
}

export const PREREQ_USAGE = `usage: rollgate prereq sign ROLLOUT-ID PREREQUISITE [--evidence URL] [--comment TEXT]

${API_OPTIONS_USAGE}`;

export function prereqCommand(args: string[], io: CommandIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'sign') {
    if (action === '--help' || action === '-h') {
      io.out(PREREQ_USAGE);
      return Promise.resolve(ExitCode.ok);
    }
    return Promise.resolve(usageError('prereq', 'the action is sign', io));
  }
  return runApiCommand('prereq sign', rest, { evidence: { type: 'string' }, comment: { type: 'string', short: 'm' } }, PREREQ_USAGE, io, async ({ values, positionals }, context) => {
    if (!needArgs('prereq sign', positionals, ['ROLLOUT-ID', 'PREREQUISITE'], io)) return ExitCode.usage;
    const [id, prerequisiteId] = positionals as [string, string];
    const body = { ...(values.evidence ? { evidence: String(values.evidence) } : {}), ...(values.comment ? { comment: String(values.comment) } : {}) };
    const answer = unwrap(await context.client.POST('/v1/rollouts/{id}/prerequisites/{prerequisiteId}/sign-offs', { params: { path: { id, prerequisiteId } }, body }));
    print(context, answer, [`signed off ${prerequisiteId} of rollout ${id}`]);
    return ExitCode.ok;
  });
}

export const INBOX_USAGE = `usage: rollgate inbox [--kind KIND] [--rollout ROLLOUT-ID]

Lists what you may act on now, oldest wait first: stage, site and wave sign-offs, readiness
prerequisites, deferred decisions, threshold calibrations and held stages, each with the
command or API call that acts on it.

${API_OPTIONS_USAGE}`;

export function inboxCommand(args: string[], io: CommandIo): Promise<number> {
  return runApiCommand('inbox', args, { kind: { type: 'string' }, rollout: { type: 'string' } }, INBOX_USAGE, io, async ({ values }, context) => {
    const items: Schemas['InboxItem'][] = [];
    let after: string | undefined;
    do {
      const query = { ...(values.kind ? { kind: String(values.kind) } : {}), ...(values.rollout ? { rolloutId: String(values.rollout) } : {}), ...(after ? { after } : {}) };
      const page = unwrap(await context.client.GET('/v1/inbox', { params: { query: query as never } }));
      items.push(...page.items);
      after = page.next ?? undefined;
    } while (after);
    if (context.json) {
      io.out(JSON.stringify({ items }));
      return ExitCode.ok;
    }
    if (items.length === 0) io.err('nothing waits for you');
    for (const item of items) {
      io.out(`${context.paint('yellow', item.kind)}  ${item.rolloutId}${item.stageId ? ` ${item.stageId}` : ''}${item.site ? `@${item.site}` : ''}: ${item.title}`);
      io.out(`  ${item.why}; waiting since ${item.since}${item.deadline ? `, deadline ${item.deadline}` : ''}`);
      for (const criterion of item.evidence?.criteria ?? []) io.out(`  ${criterion.verdict} ${criterion.metric}: ${criterion.reason}`);
      io.out(`  ${suggestedCommand(item)}`);
    }
    return ExitCode.ok;
  });
}

/** suggestedCommand is the rollgate command that acts on an item, or its API call. */
function suggestedCommand(item: Schemas['InboxItem']): string {
  if (item.kind === 'stage-sign-off' || item.kind === 'site-sign-off') {
    return `rollgate approve ${item.rolloutId} ${item.stageId}${item.site ? ` --site ${item.site}` : ''}`;
  }
  if (item.kind === 'wave-sign-off') return `rollgate approve ${item.rolloutId} ${item.stageId}`;
  if (item.kind === 'prerequisite') return `rollgate prereq sign ${item.rolloutId} ${item.prerequisiteId}`;
  if (item.kind === 'deferred-decision') return `rollgate decisions resolve ${item.rolloutId} ${item.decisionId} --action accept|modify|reject`;
  if (item.kind === 'held-stage') {
    return `rollgate resolve ${item.rolloutId} ${item.stageId} --action retry-window|rollback|abort --reason TEXT${item.site ? ` --site ${item.site}` : ''}`;
  }
  return `${item.action.method} ${item.action.path}`;
}

async function getRollout(context: ApiContext, id: string): Promise<Schemas['RolloutView']> {
  return unwrap(await context.client.GET('/v1/rollouts/{id}', { params: { path: { id } } }));
}

/** print writes the API's answer as JSON with --output json, else the lines. */
function print(context: ApiContext, answer: unknown, lines: string[]): void {
  if (context.json) context.io.out(JSON.stringify(answer));
  else for (const line of lines) context.io.out(line);
}
