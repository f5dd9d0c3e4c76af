import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Pool } from 'pg';
import { createToken } from '../../db/tokens';
import { waitForActiveStages } from '../../test/support/decisions';
import { startWorker, type RunningWorker } from '../../workers/main';
import { startThrowawayBase } from './throwaway';

/** The plan of the rollout that benchmarks send decisions to. */
const PLAN = `
name: bench-carrier-selection
owner: bench
stages:
  - id: supervised
    title: Supervised tendering
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1d
    approvals: [{ role: transport-team-lead }]
    deferral: { confidenceThreshold: 0.8, deferTo: transport-planner }
`;

/** A decision body on the automatic path (confidence above the plan's threshold). */
export const benchDecision = (decideBy: string, decisionId: string) => ({
  decisionId,
  kind: 'carrier-selection',
  confidence: 0.9,
  decideBy,
  recommendation: { carrier: 'nordfracht', route: ['DC-1', 'HUB-4', 'STORE-112'], rate: { eur: 812.5 }, loadId: 'L-4711' },
});

export interface BenchStack {
  databaseUrl: string;
  pool: Pool;
  /**
   * api is the REST API's URL, quiet the same API without request log and request histogram,
   * bare the URL of bench/support/servers.ts's own endpoints (same process).
   */
  servers: { api: string; quiet: string; bare: string };
  admin: Record<string, string>;
  service: Record<string, string>;
  /** rolloutId is a running rollout whose stage takes decisions. */
  rolloutId: string;
  /** stop tears everything down, newest first. */
  stop(): Promise<void>;
}

/**
 * startBenchStack brings up everything real and throwaway: a new database (on DATABASE_URL's
 * server, else the local one), a Temporal dev server, a worker, and the API with the bare
 * endpoints in a process of their own (bench/support/servers.ts), so that the load generator
 * does not share their event loop; then starts the rollout `bench`.
 */
export async function startBenchStack(log: (line: string) => void): Promise<BenchStack> {
  const { databaseUrl, pool, temporal, cleanup, stop } = await startThrowawayBase(log, 2);
  try {
    const taskQueue = `rollgate-bench-${randomBytes(4).toString('hex')}`;

    log('starting the worker and the servers under test');
    const worker: RunningWorker = await startWorker({ temporalAddress: temporal.address, namespace: 'default', taskQueue, databaseUrl, logLevel: 'warn' });
    cleanup.push(() => worker.stop());
    const servers = await startServers({ BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_DATABASE_URL: databaseUrl, BENCH_TASK_QUEUE: taskQueue });
    cleanup.push(() => servers.stop());

    const admin = { authorization: `Bearer ${(await createToken(pool, { name: 'bench-admin', kind: 'person', roles: ['admin'] })).token}` };
    const service = { authorization: `Bearer ${(await createToken(pool, { name: 'bench-service', kind: 'service', roles: [] })).token}` };
    const rolloutId = await startBenchRollout(servers.api, admin, pool);
    return { databaseUrl, pool, servers: { api: servers.api, quiet: servers.quiet, bare: servers.bare }, admin, service, rolloutId, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** startServers runs bench/support/servers.ts in a child process and waits for its READY line. */
export async function startServers(env: Record<string, string>): Promise<{ api: string; quiet: string; bare: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'servers.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const urls = await new Promise<{ api: string; quiet: string; bare: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) resolve(JSON.parse(line.slice('READY '.length)) as { api: string; quiet: string; bare: string });
    });
    child.once('exit', (code) => reject(new Error(`the servers under test exited with code ${code}`)));
  });
  return {
    ...urls,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** startBenchRollout uploads the plan, starts a rollout and waits until its stage takes decisions. */
async function startBenchRollout(api: string, admin: Record<string, string>, pool: Pool): Promise<string> {
  const call = async (method: string, url: string, body: string, type: string) => {
    const response = await fetch(`${api}${url}`, { method, headers: { ...admin, 'content-type': type }, body });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  };
  await call('POST', '/v1/plans', PLAN, 'application/yaml');
  await call('POST', '/v1/rollouts', JSON.stringify({ plan: 'bench-carrier-selection', rolloutId: 'bench' }), 'application/json');
  await waitForActiveStages({ pool }, 'bench', ['supervised'], 10_000);
  return 'bench';
}
