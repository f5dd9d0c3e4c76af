import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, type CommandIo } from './command-io';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/**
 * parseCommandArgs parses one command's arguments with node:util parseArgs (strict: unknown
 * options are errors) and handles `--help` itself. It returns the parsed arguments, or the
 * exit status when the command should stop: 0 after printing the usage on stdout for --help,
 * 2 after a usage error on stderr.
 */
export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T, usage: string, io: CommandIo): Parsed<T> | ExitCode {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed<T>;
  } catch (error) {
    return usageError(command, parseErrorText(error), io);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.out(usage);
    return ExitCode.ok;
  }
  return parsed;
}

/** usageError reports a wrong use of `rollgate <command>` and returns exit status 2. */
export function usageError(command: string, message: string, io: CommandIo): ExitCode {
  io.err(`rollgate ${command}: ${message}`);
  io.err(`run "rollgate ${command} --help" for its usage`);
  return ExitCode.usage;
}

/** parseErrorText turns parseArgs' messages into short ones: `unknown option --bogus`. */
function parseErrorText(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^']*)'/.exec(message ?? '')?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  const text = message ?? String(error);
  return text.charAt(0).toLowerCase() + text.slice(1);
}
