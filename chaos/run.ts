import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../cli/temporal-cli';
import { loadEnv } from '../config/env';
import { ensureDatabase } from '../db/admin';
import { migrateDatabase } from '../db/migrate';
import { createPool } from '../db/pool';
import { createToken } from '../db/tokens';
import { ApiClient, sleep } from './api-client';
import { checkRun } from './checks';
import { driveRollout, emptyAcknowledged, emptyDriverFindings, type DriverFindings, type Tokens } from './driver';
import { FaultInjector, faultSchedule } from './faults';
import { faultPlanYaml, PEOPLE, REPORTER } from './plan';
import { freePort } from './processes';
import { RollgateProcesses } from './rollgate-processes';
import { details, figures, table } from './report';
import { ThrowawayPostgres, ThrowawayTemporal } from './servers';

const USAGE = `npm run chaos [-- options]

Runs rollouts on throwaway servers (its own Temporal dev server and PostgreSQL cluster, separate
worker and API processes, loopback ports) while it kills and restarts them, then checks that
nothing was lost, duplicated or stuck and that outages answered 503, never 500.

  --rollouts N         concurrent rollouts (default 30)
  --worker-kills N     worker SIGKILLs (default 10)
  --workers N          worker processes (default 2)
  --apis N             API processes (default 2)
  --stage-seconds N    each stage's minimum duration (default 3)
  --fault-interval S   seconds between faults (default 4)
  --temporal-down S    seconds Temporal stays down when restarted (default 25: longer than the
                       Temporal client retries, so that requests meet the outage)
  --postgres-down S    seconds PostgreSQL stays down when restarted (default 5)
  --deadline S         seconds the rollouts may take in all before they count as stuck (default 420)
  --keep               keep the temporary directory (logs, databases) even when the run passes
  --help               this text

Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.`;

interface Options {
  rollouts: number;
  workerKills: number;
  workers: number;
  apis: number;
  stageSeconds: number;
  faultInterval: number;
  temporalDown: number;
  postgresDown: number;
  deadline: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      rollouts: { type: 'string', default: '30' },
      'worker-kills': { type: 'string', default: '10' },
      workers: { type: 'string', default: '2' },
      apis: { type: 'string', default: '2' },
      'stage-seconds': { type: 'string', default: '3' },
      'fault-interval': { type: 'string', default: '4' },
      'temporal-down': { type: 'string', default: '25' },
      'postgres-down': { type: 'string', default: '5' },
      deadline: { type: 'string', default: '420' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const number = (name: keyof typeof values, min: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
    return value;
  };
  return {
    rollouts: number('rollouts', 1),
    workerKills: number('worker-kills', 0),
    workers: number('workers', 1),
    apis: number('apis', 1),
    stageSeconds: number('stage-seconds', 1),
    faultInterval: number('fault-interval', 1),
    temporalDown: number('temporal-down', 0),
    postgresDown: number('postgres-down', 0),
    deadline: number('deadline', 10),
    keep: values.keep,
  };
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`chaos: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const cliPath = await resolveTemporalCli({ cliPath: loadEnv().TEMPORAL_CLI_PATH, log: say });
  if (!cliPath) {
    console.error('chaos: no Temporal CLI; set TEMPORAL_CLI_PATH (see README, "Running it")');
    return 1;
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollgate-chaos-'));
  fs.chmodSync(dir, 0o755);
  say(`state and logs in ${dir}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  let passed = false;
  try {
    const pgDir = path.join(dir, 'postgres');
    fs.mkdirSync(pgDir);
    const postgres = await ThrowawayPostgres.create(pgDir, await freePort());
    await postgres.start();
    cleanups.push(() => postgres.stopIfRunning());
    const temporalCrashes: string[] = [];
    const temporal = new ThrowawayTemporal({ cliPath, dir, port: await freePort(), onUnexpectedExit: (name, how) => temporalCrashes.push(`${name} (${how})`) });
    await temporal.start();
    cleanups.push(() => temporal.stop());
    say(`Temporal at ${temporal.address} (${temporal.dbPath}); PostgreSQL at ${postgres.serverUrl}`);

    const databaseUrl = `${postgres.serverUrl}/rollgate`;
    await ensureDatabase(databaseUrl);
    await migrateDatabase(databaseUrl);
    const pool = createPool(databaseUrl, 2);
    cleanups.push(() => pool.end());
    const tokens: Tokens = {};
    for (const name of [PEOPLE.lead, PEOPLE.data, ...PEOPLE.safety, ...PEOPLE.operations]) {
      tokens[name] = (await createToken(pool, { name, kind: 'person', roles: name === PEOPLE.lead ? ['deployment-lead'] : [] })).token;
    }
    tokens.reporter = (await createToken(pool, { name: REPORTER, kind: 'service', roles: [] })).token;

    const processes = await RollgateProcesses.start({ temporalAddress: temporal.address, databaseUrl, taskQueue: 'rollgate', workers: options.workers, apis: options.apis, logDir: dir });
    cleanups.push(() => processes.stop());
    say(`${options.workers} workers and ${options.apis} APIs (${processes.apiUrls.join(', ')}) running`);

    const api = new ApiClient(processes.apiUrls);
    const upload = await api.call('plan', 'POST', '/v1/plans', { token: tokens[PEOPLE.lead]!, body: faultPlanYaml(options.stageSeconds), yaml: true });
    if (upload?.status !== 201 && upload?.status !== 200) throw new Error(`plan upload failed: ${upload?.status} ${JSON.stringify(upload?.body)}`);

    const faults = new FaultInjector({
      processes,
      temporal,
      postgres,
      downMs: { temporal: options.temporalDown * 1000, postgres: options.postgresDown * 1000 },
    });
    const schedule = faultSchedule(options.workerKills);
    const acknowledged = emptyAcknowledged();
    const driverFindings: DriverFindings = emptyDriverFindings();
    const started = Date.now();
    const deadline = started + options.deadline * 1000;
    // Rollouts start over the time the faults take, so that every fault meets rollouts in flight.
    const spreadMs = Math.max(1, schedule.length) * options.faultInterval * 1000;
    const run = Date.now().toString(36);
    const rolloutIds = Array.from({ length: options.rollouts }, (_, i) => `fr-${run}-${String(i + 1).padStart(3, '0')}`);
    say(`${options.rollouts} rollouts starting over ${Math.round(spreadMs / 1000)} s; faults: ${schedule.join(', ')}`);
    const drivers = rolloutIds.map(async (rolloutId, i) => {
      await sleep((i * spreadMs) / options!.rollouts);
      return driveRollout(rolloutId, { api, tokens, acknowledged, findings: driverFindings, deadline });
    });
    const injecting = (async () => {
      for (const kind of schedule) {
        await sleep(options!.faultInterval * 1000);
        say(`fault: ${kind}`);
        await faults.inject(kind);
      }
      await processes.settled();
    })();
    let finished = 0;
    const progress = setInterval(() => say(`${finished}/${options!.rollouts} rollouts finished`), 15_000);
    await Promise.all([...drivers.map((driver) => driver.then(() => (finished += 1))), injecting]);
    clearInterval(progress);
    const seconds = Math.round((Date.now() - started) / 1000);
    say(`rollouts done after ${seconds} s; checking`);

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const findings = await checkRun({ pool, temporal: new Client({ connection }), api, token: tokens[PEOPLE.lead]!, rolloutIds, acknowledged });
    const crashes = [...processes.crashes, ...temporalCrashes];
    const result = { ...figures({ findings, driver: driverFindings, attempts: api.attempts, faults, crashes }), seconds };
    console.log(`\n${table(result)}`);
    const why = details(findings, driverFindings, crashes, api.attempts);
    if (why) console.log(`\n${why}`);
    if (driverFindings.flaggedStuck.size > 0) {
      console.log(`\nflagged stuck by the API while running:\n${[...driverFindings.flaggedStuck].map(([id, message]) => `  ${id}: ${message}`).join('\n')}`);
    }
    passed = result.failed.length === 0;
    return passed ? 0 : 1;
  } catch (error) {
    console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (passed && !options.keep) fs.rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir} (logs: worker-*.log, api-*.log, temporal.log, postgres/postgres.log)`);
  }
}

void main().then((code) => process.exit(code));
