import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createToken } from '../../db/tokens';
import { BARE_TABLES_SQL } from '../bare/activities';
import { startServers } from './stack';
import type { WorkerKind, WorkerSample } from './worker-process';
import { startThrowawayBase } from './throwaway';

/** WorkerHandle is a worker in a process of its own (bench/support/worker-process.ts). */
export interface WorkerHandle {
  /** sizing is what the worker runs with: maxCachedWorkflows, reuseV8Context, thread pool, slot tuner. */
  sizing: Record<string, unknown>;
  /** sample asks the worker process for its RSS, heap and cache size now. */
  sample(): Promise<WorkerSample>;
  /** restart shuts the worker down gracefully and starts a fresh one: its cache starts empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** HttpAnswer is one REST call's outcome and how long it took, in ms. */
export interface HttpAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON as the API answers it
  body: any;
  ms: number;
}

export interface EngineStack {
  pool: Pool;
  /** api is the REST API's URL; it runs in a process of its own (bench/support/servers.ts). */
  api: string;
  /** temporal is a client of the dev server, for the bare workflow and for reading histories. */
  temporal: Client;
  taskQueues: Record<WorkerKind, string>;
  workers: Record<WorkerKind, WorkerHandle>;
  /** admin starts rollouts and uploads plans; approver holds deployment-lead, the role the bench plans ask to sign. */
  admin: Record<string, string>;
  approver: Record<string, string>;
  /** http calls the API (as admin unless headers say otherwise) and times the call. */
  http(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** uploadPlan uploads plan YAML as admin. */
  uploadPlan(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * startEngineStack brings up everything real and throwaway for the engine benchmarks: a new
 * database (on DATABASE_URL's server, else the local one) with the bare workflow's tables, a
 * Temporal dev server, rollgate's worker and the bare worker each in a process of its own and
 * on its own task queue, and the REST API in a third process, so that the load generator shares
 * no event loop with what it measures.
 */
export async function startEngineStack(log: (line: string) => void): Promise<EngineStack> {
  const { databaseUrl, pool, temporal, cleanup, stop } = await startThrowawayBase(log, 4);
  try {
    await pool.query(BARE_TABLES_SQL);
    const suffix = randomBytes(4).toString('hex');
    const taskQueues: Record<WorkerKind, string> = { rollgate: `rollgate-bench-${suffix}`, bare: `bare-bench-${suffix}` };
    const common = { BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_DATABASE_URL: databaseUrl };

    log('starting the workers (rollgate, bare) and the API');
    const workers = {} as Record<WorkerKind, WorkerHandle>;
    for (const kind of ['rollgate', 'bare'] as const) {
      workers[kind] = await startWorkerProcess(kind, { ...common, BENCH_TASK_QUEUE: taskQueues[kind] });
      cleanup.push(() => workers[kind].stop());
    }
    const servers = await startServers({ ...common, BENCH_TASK_QUEUE: taskQueues.rollgate });
    cleanup.push(() => servers.stop());

    const admin = { authorization: `Bearer ${(await createToken(pool, { name: 'bench-admin', kind: 'person', roles: ['admin'] })).token}` };
    const approver = { authorization: `Bearer ${(await createToken(pool, { name: 'bench-approver', kind: 'person', roles: ['deployment-lead'] })).token}` };
    const http = async (method: string, url: string, body?: unknown, headers: Record<string, string> = admin): Promise<HttpAnswer> => {
      const sent = performance.now();
      const response = await fetch(`${servers.api}${url}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const ms = performance.now() - sent;
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text, which says why
      }
      return { status: response.status, body: parsed, ms };
    };
    const uploadPlan = async (yaml: string) => {
      const response = await fetch(`${servers.api}/v1/plans`, { method: 'POST', headers: { ...admin, 'content-type': 'application/yaml' }, body: yaml });
      if (response.status !== 201 && response.status !== 200) throw new Error(`plan upload: ${response.status} ${await response.text()}`);
    };
    return { pool, api: servers.api, temporal: temporal.client, taskQueues, workers, admin, approver, http, uploadPlan, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** startWorkerProcess runs bench/support/worker-process.ts and waits for its READY line. */
async function startWorkerProcess(kind: WorkerKind, env: Record<string, string>): Promise<WorkerHandle> {
  let child: ChildProcess;
  let exited: Promise<void>;
  const launch = async (): Promise<Record<string, unknown>> => {
    child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'worker-process.ts'), kind], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    const current = child;
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: current.stdout! });
      lines.on('line', (line) => {
        if (line.startsWith('READY ')) resolve(JSON.parse(line.slice('READY '.length)) as Record<string, unknown>);
      });
      current.once('exit', (code) => reject(new Error(`the ${kind} worker exited with code ${code}`)));
    });
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  const sizing = await launch();
  return {
    sizing,
    sample: () =>
      new Promise<WorkerSample>((resolve) => {
        child.once('message', (message) => resolve(message as WorkerSample));
        child.send('status');
      }),
    async restart() {
      await stop();
      await launch();
    },
    stop,
  };
}
