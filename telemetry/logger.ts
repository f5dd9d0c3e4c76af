import type { Writable } from 'node:stream';
import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** LogLevel is LOG_LEVEL: one of debug, info, warn, error (config/env.ts). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * DEFAULT_LOG_LEVEL applies until an entry point calls configureLogging: warnings and errors
 * only, so a library use of the API or worker (tests, the bench) prints no request lines.
 */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/** REDACTED replaces a secret's value in a log line. */
export const REDACTED = '[redacted]';

/**
 * REDACT_PATHS are the fields that may hold a secret wherever they occur, one level deep: bearer
 * tokens, cookies, webhook signing secrets, passwords, connection strings and activity task
 * tokens (which would let their holder complete an activity). Request lines carry
 * no headers at all (api/request-log.ts); this is the net under everything else.
 */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'token',
  'secret',
  'password',
  'databaseUrl',
  'taskToken',
  '*.authorization',
  '*.cookie',
  '*.token',
  '*.secret',
  '*.password',
  '*.databaseUrl',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggingOptions {
  level: LogLevel;
  /** pretty prints human-readable lines (`npm start` on a terminal); JSON lines otherwise. */
  pretty?: boolean;
  /** destination receives the lines; default stdout. */
  destination?: Writable | pino.DestinationStream;
}

/** createLogger makes a pino logger with rollgate's redaction and ISO timestamps. */
export function createLogger(options: LoggingOptions): Logger {
  const settings = {
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (options.pretty) return pino(settings, pretty({ colorize: true, destination: options.destination ?? 1, sync: true }));
  return pino(settings, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

let root: Logger = createLogger({ level: DEFAULT_LOG_LEVEL });

/**
 * log is the process's root logger. Modules take it when they log (`log().warn(...)`), not at
 * import, so that configureLogging at start-up governs every line.
 */
export function log(): Logger {
  return root;
}

/** configureLogging replaces the root logger: entry points call it once with LOG_LEVEL. */
export function configureLogging(options: LoggingOptions): Logger {
  root = createLogger(options);
  return root;
}

/**
 * errorFields is how a caught error appears in a log line: its message and type (an
 * ApplicationFailure's type, else the error's name), not its stack.
 */
export function errorFields(error: unknown): { error: { message: string; type: string } } {
  if (!(error instanceof Error)) return { error: { message: String(error), type: typeof error } };
  const type = (error as { type?: unknown }).type;
  return { error: { message: error.message, type: typeof type === 'string' && type !== '' ? type : error.name } };
}

const SDK_TO_PINO: Record<SdkLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * SDK_LEVEL_FOR is the Temporal SDK's threshold for each LOG_LEVEL. The SDK's own info lines
 * (bundling, worker state changes) show at debug only; workflow and activity lines pass at
 * rollgate's level through sdkLogger below.
 */
export const SDK_LEVEL_FOR: Record<LogLevel, SdkLogLevel> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

const SDK_ORDER: SdkLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** SDK components whose info lines are the SDK talking about itself (bundling, state changes). */
const CHATTY_SDK_COMPONENTS = new Set(['worker', 'core']);

/**
 * sdkLogger routes the Temporal SDK's log lines (its own, the workflows' `log` and activities'
 * `Context.log`, which carry workflowId, runId and activity type) into the root logger, from
 * threshold up. The root logger is looked up per line, so configureLogging after installation
 * still applies.
 */
export function sdkLogger(threshold: SdkLogLevel = 'TRACE'): SdkLogger {
  const write = (level: SdkLogLevel, message: string, meta: LogMetadata = {}) => {
    if (SDK_ORDER.indexOf(level) < SDK_ORDER.indexOf(threshold)) return;
    let method = SDK_TO_PINO[level];
    const component = typeof meta.sdkComponent === 'string' ? meta.sdkComponent : undefined;
    if (method === 'info' && component !== undefined && CHATTY_SDK_COMPONENTS.has(component)) method = 'debug';
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta)) if (typeof key === 'string') fields[key] = value;
    root[method](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
