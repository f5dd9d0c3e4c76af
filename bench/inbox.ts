import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createApp } from '../api/app';
import { actorOf } from '../api/auth';
import { rolloutInboxItems } from '../api/inbox-items';
import { openRolloutItems } from '../api/inbox-routes';
import { planDefinition } from '../api/plan-cache';
import { DEFAULT_LOCAL_POSTGRES, loadEnv } from '../config/env';
import { dropDatabase, ensureDatabase } from '../db/admin';
import { recordAuditEvent } from '../db/audit';
import { migrateDatabase } from '../db/migrate';
import { storePlanVersion } from '../db/plans';
import { createPool, redactUrl } from '../db/pool';
import { insertRollout } from '../db/rollouts';
import { createToken, type Principal } from '../db/tokens';
import { loadPlan } from '../definitions/load';
import type { InboxItem } from '../contract/inbox';
import type { RolloutStatus, StageStatus } from '../policy/rollout-types';
import { numericOptions } from './support/options';
import { interleavedOrder, median, ms, percentile, ratio, row } from './support/stats';
import { runBenchmark } from './support/throwaway';

/**
 * Benchmark of GET /v1/inbox over many open rollouts: --rollouts open rollouts of --plans plans
 * (each plan's stages signed off by a role of its own, approver-<k>), --stages stages each, whose
 * status snapshots are stored through the real write path (recordAuditEvent with progress, which
 * also writes the inbox index); --awaiting percent of them have a stage awaiting sign-off. The
 * caller holds approver-0. In turns (A B B A …) it times the open-rollout part of the inbox both
 * ways, in-process on one pool:
 *   - indexed: the inbox index selects the rollouts in SQL, the rules check those (api/inbox-routes.ts);
 *   - full scan: every open rollout's snapshot is read and checked (the inbox before the index);
 * and then GET /v1/inbox end to end over HTTP (auth, decisions and calibrations included).
 *
 *   npm run bench -- inbox [--rollouts=1000] [--plans=10] [--stages=5] [--awaiting=10] [--calls=40] [--rounds=4]
 *
 * Needs PostgreSQL only (DATABASE_URL, else the local one); no Temporal server.
 */

async function main(): Promise<number> {
  const options = numericOptions(process.argv.slice(2), { rollouts: 1000, plans: 10, stages: 5, awaiting: 10, calls: 40, rounds: 4 });
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const server = new URL(loadEnv().DATABASE_URL ?? DEFAULT_LOCAL_POSTGRES);
  server.pathname = `/rollgate_bench_${randomBytes(6).toString('hex')}`;
  const databaseUrl = server.toString();
  log(`database ${redactUrl(databaseUrl)}`);
  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  const pool = createPool(databaseUrl, 4);
  const temporal = new Client(); // lazy: the inbox never calls Temporal
  const api = http.createServer(createApp({ pool, temporal, taskQueue: 'bench-inbox', rateLimits: false, telemetry: false }));
  try {
    log(`storing ${options.plans} plans and ${options.rollouts} open rollouts (${options.awaiting}% awaiting sign-off)`);
    const planNames = await storePlans(pool, options.plans, options.stages);
    await fillRollouts(pool, planNames, options);
    const principal: Principal = { tokenId: 'bench', name: 'bench-approver', kind: 'person', roles: ['approver-0'] };
    const token = (await createToken(pool, { name: principal.name, kind: 'person', roles: principal.roles })).token;
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/inbox?limit=500`;

    const ways = { indexed: () => openRolloutItems(pool, principal, {}), 'full scan': () => fullScan(pool, principal) } as const;
    const counts: Record<string, number> = {};
    for (const [way, run] of Object.entries(ways)) counts[way] = (await run()).length; // warm the plan cache alike
    if (counts.indexed !== counts['full scan']) throw new Error(`the two ways disagree: ${JSON.stringify(counts)}`);
    const latencies: Record<keyof typeof ways | 'GET /v1/inbox', number[]> = { indexed: [], 'full scan': [], 'GET /v1/inbox': [] };
    for (const way of interleavedOrder<keyof typeof ways>('indexed', 'full scan', options.rounds)) {
      for (let i = 0; i < options.calls; i += 1) {
        const sent = performance.now();
        await ways[way]();
        latencies[way].push(performance.now() - sent);
      }
    }
    let items = 0;
    for (let i = 0; i < options.calls * options.rounds; i += 1) {
      const sent = performance.now();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = (await response.json()) as { items: InboxItem[] };
      latencies['GET /v1/inbox'].push(performance.now() - sent);
      if (response.status !== 200) throw new Error(`GET /v1/inbox answered ${response.status}`);
      items = body.items.length;
    }

    console.log(`\ninbox over ${options.rollouts} open rollouts (${options.plans} plans × ${options.stages} stages, ${options.awaiting}% awaiting); the caller is offered ${counts.indexed} items (${items} over HTTP)\n`);
    console.log(row('way', 'p50', 'p95', 'calls'));
    console.log(row('---', '---', '---', '---'));
    for (const [way, values] of Object.entries(latencies)) console.log(row(way, ms(median(values)), ms(percentile(values, 0.95)), values.length));
    console.log(`\nindexed / full scan, p50: ${ratio(median(latencies.indexed), median(latencies['full scan']))}; p95: ${ratio(percentile(latencies.indexed, 0.95), percentile(latencies['full scan'], 0.95))}`);
    return 0;
  } finally {
    await new Promise((resolve) => api.close(resolve));
    await pool.end();
    await dropDatabase(databaseUrl).catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

/** fullScan is the open-rollout part of the inbox as it was before the index: every open rollout's snapshot, checked. */
async function fullScan(pool: Pool, principal: Principal): Promise<InboxItem[]> {
  const actor = actorOf(principal);
  const rows = await pool.query<{ rolloutId: string; plan: string; version: number; startedBy: string | null; status: RolloutStatus | null }>(
    `SELECT rollout_id AS "rolloutId", plan_name AS plan, plan_version AS version, started_by AS "startedBy", status
       FROM rollouts WHERE state = ANY($1) AND status IS NOT NULL`,
    [['running', 'paused', 'held']],
  );
  const items: InboxItem[] = [];
  for (const row of rows.rows) {
    const plan = await planDefinition(pool, row.plan, row.version);
    if (!plan || !row.status) continue;
    items.push(...rolloutInboxItems({ rolloutId: row.rolloutId, plan, planVersion: row.version, ...(row.startedBy ? { startedBy: row.startedBy } : {}), status: row.status }, actor));
  }
  return items;
}

async function storePlans(pool: Pool, count: number, stages: number): Promise<string[]> {
  const names: string[] = [];
  for (let k = 0; k < count; k += 1) {
    const name = `bench-inbox-${k}`;
    const lines = [`name: ${name}`, 'owner: bench', 'stages:'];
    for (let s = 1; s <= stages; s += 1) {
      lines.push(`  - id: s${s}`, `    title: Stage ${s}`, '    mode: pilot', `    dependsOn: [${s > 1 ? `s${s - 1}` : ''}]`, '    minDuration: 1h', `    approvals: [{ role: approver-${k} }]`);
    }
    const source = `${lines.join('\n')}\n`;
    const loaded = loadPlan(source);
    if (!loaded.ok) throw new Error(`bench plan ${name} is invalid: ${loaded.errors.map((issue) => issue.message).join('; ')}`);
    await storePlanVersion(pool, loaded.plan, source, `bench-${k}`);
    names.push(name);
  }
  return names;
}

/** fillRollouts registers the rollouts and stores each one's snapshot as the workflow does, with an event. */
async function fillRollouts(pool: Pool, plans: string[], options: { rollouts: number; stages: number; awaiting: number }): Promise<void> {
  const at = new Date().toISOString();
  const every = Math.max(1, Math.round(100 / Math.max(options.awaiting, 1e-9)));
  for (let i = 0; i < options.rollouts; i += 1) {
    const rolloutId = `inbox-${i}`;
    const plan = plans[i % plans.length]!;
    await insertRollout(pool, { rolloutId, workflowId: `rollout-${rolloutId}`, planName: plan, planVersion: 1, state: 'running', startedBy: 'bench-lead' });
    const awaiting = options.awaiting > 0 && Math.floor(i / plans.length) % every === 0;
    const stages: StageStatus[] = Array.from({ length: options.stages }, (_, s) => ({
      id: `s${s + 1}`,
      title: `Stage ${s + 1}`,
      mode: 'pilot',
      state: s === 0 ? (awaiting ? 'awaiting-approval' : 'running') : 'pending',
      dependsOn: s > 0 ? [`s${s}`] : [],
      required: [{ role: `approver-${i % plans.length}`, count: 1 }],
      approvals: [],
      history: [],
      escalatedTo: [],
      escalationsApplied: 0,
      evaluations: 0,
      attempt: 1,
      overrides: [],
      ...(s === 0 ? { startedAt: at, ...(awaiting ? { awaitingSince: at } : {}) } : {}),
    })) as StageStatus[];
    const status: RolloutStatus = { rolloutId, plan, version: 1, digest: '', state: 'running', startedBy: 'bench-lead', startedAt: at, prerequisites: [], stages };
    await recordAuditEvent(
      pool,
      { eventId: `${rolloutId}:1`, rolloutId, planName: plan, planVersion: 1, stageId: 's1', type: awaiting ? 'stage.awaiting-approval' : 'stage.started', actor: 'rollgate', occurredAt: at },
      { state: 'running', activeStages: ['s1'], status },
    );
  }
}

runBenchmark(main);
