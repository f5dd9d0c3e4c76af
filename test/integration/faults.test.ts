import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { ApiClient, sleep } from '../../chaos/api-client';
import { checkRun } from '../../chaos/checks';
import { driveRollout, emptyAcknowledged, emptyDriverFindings, type DriverFindings, type Tokens } from '../../chaos/driver';
import { FaultInjector } from '../../chaos/faults';
import { faultPlanYaml, PEOPLE, REPORTER } from '../../chaos/plan';
import { RollgateProcesses } from '../../chaos/rollgate-processes';
import { details, figures } from '../../chaos/report';
import { createPool } from '../../db/pool';
import { createToken } from '../../db/tokens';
import { createTestDatabase, type TestDatabase } from '../support/databases';

/**
 * The fault run of `npm run chaos`, small: a worker and an API in processes of their own, a few
 * rollouts of the diamond plan, one worker SIGKILL (restarted), and kills of every database
 * connection the worker and the API hold (pg_terminate_backend): a burst while the rollouts
 * start, so that it meets connections held across the start of a workflow, and one later.
 */
const ROLLOUTS = 4;
/** The checker's own connections are spared by the connection kills. */
const CHECKER = 'rollgate-fault-checker';
const DEADLINE_MS = 120_000;

let database: TestDatabase;
let pool: Pool;
let admin: Pool;
let processes: RollgateProcesses | undefined;
let connection: Connection;
let logDir: string;
let passed = false;

beforeAll(async () => {
  database = await createTestDatabase();
  const checkerUrl = new URL(database.url);
  checkerUrl.searchParams.set('application_name', CHECKER);
  pool = createPool(checkerUrl.toString(), 2);
  const server = new URL(process.env.ROLLGATE_TEST_DATABASE_SERVER!);
  server.pathname = '/postgres';
  admin = new Pool({ connectionString: server.toString(), max: 1 });
  connection = await Connection.connect({ address: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS! });
  logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollgate-faults-'));
});

afterAll(async () => {
  await processes?.stop();
  await Promise.allSettled([pool?.end(), admin?.end(), connection?.close()]);
  await database?.drop();
  // The worker's and the API's logs explain a failure: they stay.
  if (passed) fs.rmSync(logDir, { recursive: true, force: true });
  else console.error(`fault test: the worker's and the API's logs are in ${logDir}`);
});

it('finishes every rollout through a worker kill and a database connection kill, losing and repeating nothing, with no 500', async () => {
  processes = await RollgateProcesses.start({
    temporalAddress: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS!,
    databaseUrl: database.url,
    taskQueue: `rollgate-faults-${randomUUID()}`,
    workers: 1,
    apis: 1,
    logDir,
  });
  const tokens: Tokens = {};
  for (const name of [PEOPLE.lead, PEOPLE.data, ...PEOPLE.safety, ...PEOPLE.operations]) {
    tokens[name] = (await createToken(pool, { name, kind: 'person', roles: name === PEOPLE.lead ? ['deployment-lead'] : [] })).token;
  }
  tokens.reporter = (await createToken(pool, { name: REPORTER, kind: 'service', roles: [] })).token;
  const api = new ApiClient(processes.apiUrls);
  const upload = await api.call('plan', 'POST', '/v1/plans', { token: tokens[PEOPLE.lead]!, body: faultPlanYaml(2), yaml: true });
  expect(upload?.status).toBe(201);

  const faults = new FaultInjector({ processes, admin: { pool: admin, database: new URL(database.url).pathname.slice(1), spare: CHECKER } });
  const acknowledged = emptyAcknowledged();
  const driver: DriverFindings = emptyDriverFindings();
  const deadline = Date.now() + DEADLINE_MS;
  const rolloutIds = Array.from({ length: ROLLOUTS }, (_, i) => `faults-${i + 1}-${randomUUID().slice(0, 8)}`);
  const drivers = rolloutIds.map((rolloutId) => driveRollout(rolloutId, { api, tokens, acknowledged, findings: driver, deadline }));
  await faults.inject('connection-kill', { burstMs: 1_500 });
  await sleep(4_000);
  await faults.inject('worker-kill');
  await sleep(4_000);
  await faults.inject('connection-kill');
  await processes.settled();
  await Promise.all(drivers);

  const findings = await checkRun({ pool, temporal: new Client({ connection }), api, token: tokens[PEOPLE.lead]!, rolloutIds, acknowledged });
  const result = figures({ findings, driver, attempts: api.attempts, faults, crashes: processes.crashes });
  const why = details(findings, driver, processes.crashes, api.attempts);
  expect({ faults: result.faults, completed: result.completed, failed: result.failed, why }).toEqual({
    faults: { 'worker-kill': 1, 'connection-kill': 2 },
    completed: ROLLOUTS,
    failed: [],
    why: '',
  });
  // The driver must have been acknowledged something for the checks to mean anything.
  expect(acknowledged.approvals.size).toBe(ROLLOUTS * 6);
  expect(acknowledged.prerequisites.size).toBe(ROLLOUTS);
  passed = true;
}, 200_000);
