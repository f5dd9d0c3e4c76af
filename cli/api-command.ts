import { ApiError, rollgateClient, type RollgateClient } from '../client';
import { parseCommandArgs } from './args';
import { ExitCode, type CommandIo } from './command-io';
import { resolveProfile, type Profile } from './profiles';

type Options = Parameters<typeof parseCommandArgs>[2];

/** Options every API command takes. */
export const API_OPTIONS = {
  profile: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export const API_OPTIONS_USAGE = `  --profile NAME    the stored profile to use (rollgate login); ROLLGATE_URL and ROLLGATE_TOKEN override it
  -o, --output json print the API's answer as JSON instead of text`;

export interface ApiContext {
  client: RollgateClient;
  /** server is where the client goes and with which token, for calls the typed client does not make (event streams). */
  server: Profile;
  io: CommandIo;
  json: boolean;
  /** paint colours text on a terminal, and leaves it plain otherwise (or with NO_COLOR). */
  paint: (colour: keyof typeof COLOURS, text: string) => string;
}

const COLOURS = { green: 32, red: 31, yellow: 33, cyan: 36, dim: 2 } as const;

/**
 * runApiCommand parses a command's arguments, finds the server, and runs the command; an
 * answer that is a problem is printed with its detail and errors, and becomes exit status 1;
 * a server that cannot be reached is exit status 3.
 */
export async function runApiCommand<T extends Options>(
  name: string,
  args: string[],
  options: T,
  usage: string,
  io: CommandIo,
  run: (parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }, context: ApiContext) => Promise<number>,
  hint?: (error: ApiError, context: ApiContext) => Promise<string | undefined>,
): Promise<number> {
  const parsed = parseCommandArgs(name, args, { ...API_OPTIONS, ...options }, usage, io);
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.output !== undefined && values.output !== 'json' && values.output !== 'text') {
    io.err(`rollgate ${name}: --output is json or text, not ${String(values.output)}`);
    return ExitCode.usage;
  }
  const profile = resolveProfile(values.profile as string | undefined);
  if (typeof profile === 'string') {
    io.err(`rollgate ${name}: ${profile}`);
    return ExitCode.unreachable;
  }
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const context: ApiContext = {
    client: rollgateClient(profile),
    server: profile,
    io,
    json: values.output === 'json',
    paint: (which, text) => (colour ? `\u001b[${COLOURS[which]}m${text}\u001b[0m` : text),
  };
  try {
    return await run({ values, positionals: parsed.positionals }, context);
  } catch (error) {
    if (error instanceof ApiError) {
      reportProblem(name, error, io, await hint?.(error, context).catch(() => undefined));
      return ExitCode.failed;
    }
    if (error instanceof TypeError && /fetch failed/.test(error.message)) {
      io.err(`rollgate ${name}: cannot reach ${profile.url}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
      return ExitCode.unreachable;
    }
    throw error;
  }
}

/** reportProblem prints a problem: status, title and detail, then each error with its path. */
export function reportProblem(name: string, error: ApiError, io: CommandIo, hint?: string): void {
  const { problem } = error;
  io.err(`rollgate ${name}: ${error.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
  for (const entry of problem.errors ?? []) io.err(`  ${entry.path}: ${entry.message}`);
  if (hint) io.err(`hint: ${hint}`);
  if (problem.requestId) io.err(`(request ${problem.requestId})`);
}

/** needArgs checks the count of positional arguments, with the names for the usage error. */
export function needArgs(name: string, positionals: string[], names: string[], io: CommandIo): boolean {
  if (positionals.length === names.length) return true;
  io.err(`rollgate ${name}: give ${names.join(' ')}${positionals.length > names.length ? `; unexpected ${positionals.slice(names.length).join(' ')}` : ''}`);
  io.err(`run "rollgate ${name.split(' ')[0]} --help" for its usage`);
  return false;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
