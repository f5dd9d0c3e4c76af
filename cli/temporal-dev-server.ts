import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { ConnectionOptions } from '@temporalio/client';
import { Component, ComponentError, errorText } from './component-error';
import { portIsFree } from './ports';
import { superviseGroup, type ProcessExit } from './process-group';
import { ensureSearchAttributes, ROLLOUT_SEARCH_ATTRIBUTES, searchAttributeFlags } from './search-attributes';

export const TEMPORAL_DEV_IP = '127.0.0.1';
export const TEMPORAL_DEV_PORT = 7233;
export const TEMPORAL_DEV_UI_PORT = 8233;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 250;


export interface TemporalDevServerOptions {
  cliPath: string;
  dataDir: string;
  namespace: string;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  dbPath: string;
  logPath: string;
  /** exited settles when the server process ends, for whatever reason. */
  exited: Promise<ProcessExit>;
  stop(): Promise<void>;
}

/**
 * spawnTemporalDevServer starts `temporal server start-dev` with its state in <dataDir>/temporal.db
 * and its output in <dataDir>/temporal.log. It returns as soon as the process is running; call
 * waitForTemporal before using it.
 */
export async function spawnTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const dbPath = path.join(dataDir, 'temporal.db');
  const logPath = path.join(dataDir, 'temporal.log');
  const address = `${TEMPORAL_DEV_IP}:${TEMPORAL_DEV_PORT}`;

  for (const [port, what] of [
    [TEMPORAL_DEV_PORT, 'gRPC'],
    [TEMPORAL_DEV_UI_PORT, 'Web UI'],
  ] as const) {
    if (!(await portIsFree(TEMPORAL_DEV_IP, port))) {
      throw new ComponentError(
        Component.temporal,
        `port ${port} (${what}) on ${TEMPORAL_DEV_IP} is already in use, perhaps by another Temporal server. ` +
          `Stop it, or set TEMPORAL_ADDRESS=${address} to use the server that is running there.`,
      );
    }
  }

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbPath,
    '--ip',
    TEMPORAL_DEV_IP,
    '--port',
    String(TEMPORAL_DEV_PORT),
    '--ui-port',
    String(TEMPORAL_DEV_UI_PORT),
    '--log-level',
    'warn',
    ...(options.namespace === 'default' ? [] : ['--namespace', options.namespace]),
    // Only honoured when the database file is created; ensureSearchAttributes covers older files.
    ...searchAttributeFlags(),
  ];
  const logFd = fs.openSync(logPath, 'a');
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${options.cliPath} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    // Detached (its own process group) so that Ctrl-C in the terminal reaches only us, and the
    // server is stopped after the worker and API that depend on it.
    child = spawn(options.cliPath, args, { stdio: ['ignore', logFd, logFd], detached: true });
  } finally {
    fs.closeSync(logFd);
  }
  const group = superviseGroup(child, 'SIGKILL');

  return {
    address,
    uiUrl: `http://${TEMPORAL_DEV_IP}:${TEMPORAL_DEV_UI_PORT}`,
    dbPath,
    logPath,
    exited: group.exited,
    async stop() {
      if (!group.running()) return;
      group.signal('SIGTERM');
      const timer = setTimeout(() => group.signal('SIGKILL'), STOP_TIMEOUT_MS);
      await group.exited;
      clearTimeout(timer);
    },
  };
}

/**
 * waitForTemporal polls address until the frontend answers for namespace, then registers the
 * rollout search attributes. With a dev server, it fails early if the process exits.
 */
export async function waitForTemporal(
  connectionOptions: ConnectionOptions & { address: string },
  namespace: string,
  server?: TemporalDevServer,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited: ProcessExit | undefined;
  void server?.exited.then((result) => (exited = result));
  let lastError: unknown;
  let connection: Connection | undefined;
  while (connection === undefined) {
    if (exited !== undefined && server !== undefined) {
      throw new ComponentError(
        Component.temporal,
        `the dev server exited during start-up (${describeTemporalExit(exited)}). ${logTail(server.logPath)}See ${server.logPath}.`,
      );
    }
    if (Date.now() > deadline) {
      const hint = server
        ? `See ${server.logPath}.`
        : 'Check TEMPORAL_ADDRESS (and TLS/API key settings), or unset it to run a local dev server.';
      throw new ComponentError(
        Component.temporal,
        `no answer from ${connectionOptions.address} within ${READY_TIMEOUT_MS / 1000} s: ${errorText(lastError)}. ${hint}`,
      );
    }
    try {
      const candidate = await Connection.connect({ ...connectionOptions, connectTimeout: 2_000 });
      try {
        await candidate.workflowService.describeNamespace({ namespace });
        connection = candidate;
      } catch (error) {
        await candidate.close();
        throw error;
      }
    } catch (error) {
      lastError = error;
      if (isPermanent(error)) {
        throw new ComponentError(Component.temporal, `${connectionOptions.address}: ${errorText(error)}`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }
  try {
    await ensureSearchAttributes(connection, namespace);
  } catch (error) {
    const wanted = ROLLOUT_SEARCH_ATTRIBUTES.map((key) => `${key.name} (${key.type})`).join(', ');
    throw new ComponentError(
      Component.temporal,
      `cannot register the search attributes ${wanted} in namespace ${namespace}: ${errorText(error)}. ` +
        'Register them with `temporal operator search-attribute create` and start again.',
    );
  } finally {
    await connection.close();
  }
}

const GRPC_NOT_FOUND = 5;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;

/** isPermanent tells errors that waiting will not cure (no such namespace, bad credentials). */
function isPermanent(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === GRPC_NOT_FOUND || code === GRPC_PERMISSION_DENIED || code === GRPC_UNAUTHENTICATED;
}

export function describeTemporalExit(result: ProcessExit): string {
  if (result.signal !== null) return `signal ${result.signal}`;
  if (result.code !== null) return `exit code ${result.code}`;
  return 'it could not be run';
}

/** logTail quotes the last lines of the server log, where the reason for a failure usually is. */
function logTail(logPath: string, lines = 5): string {
  try {
    const text = fs.readFileSync(logPath, 'utf8').trimEnd().split('\n');
    const tail = text.slice(-lines).filter((line) => !line.startsWith('--- '));
    return tail.length === 0 ? '' : `Last output:\n  ${tail.join('\n  ')}\n`;
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
