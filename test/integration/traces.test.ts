import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createPool } from '../../db/pool';
import { createToken } from '../../db/tokens';
import { freeLocalAddress } from '../../workers/metrics';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { eventually } from '../support/harness';

/*
 * Tracing is set up when the processes load their modules, so the API and the worker run here
 * as their own processes (`tsx api/server.ts`, `tsx workers/main.ts`), exporting to a local
 * OTLP/HTTP receiver that keeps the JSON spans it is sent.
 */

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}

const spans: Span[] = [];
let receiver: http.Server;
let database: TestDatabase;
const children: ChildProcess[] = [];
const ROOT = path.join(__dirname, '..', '..');

/** startProcess runs a tsx entry point and waits for a log line whose msg starts with ready. */
async function startProcess(entry: string, env: Record<string, string>, ready: string): Promise<void> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes(`"msg":"${ready}`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited with code ${code}`)));
  });
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const sent = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] };
      for (const resource of sent.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  database = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)))));
  await new Promise((resolve) => receiver?.close(resolve));
  await database?.drop();
});

it('traces a sign-off from the HTTP request through the Update and the workflow to the activity and PostgreSQL', async () => {
  const port = Number((await freeLocalAddress()).split(':')[1]);
  const env = {
    TEMPORAL_ADDRESS: process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS!,
    DATABASE_URL: database.url,
    ROLLGATE_TASK_QUEUE: `rollgate-traces-${port}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    LOG_LEVEL: 'info',
    PORT: String(port),
  };
  await Promise.all([startProcess('workers/main.ts', env, 'worker: polling'), startProcess('api/server.ts', env, 'api: listening')]);
  const pool = createPool(database.url);
  const { token } = await createToken(pool, { name: 'admin', kind: 'person', roles: ['admin'] });
  const lena = (await createToken(pool, { name: 'lena', kind: 'person', roles: ['deployment-lead'] })).token;
  await pool.end();
  const call = async (method: string, url: string, body: string, type = 'application/json', as = token) => {
    const response = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers: { authorization: `Bearer ${as}`, 'content-type': type }, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const plan = 'name: traced\nowner: lena\nroles:\n  deployment-lead: { members: [lena] }\nstages:\n  - id: pilot\n    title: Pilot\n    mode: pilot\n    minDuration: 1s\n    approvals: [{ role: deployment-lead }]\n';
  expect((await call('POST', '/v1/plans', plan, 'application/yaml')).status).toBe(201);
  expect((await call('POST', '/v1/rollouts', JSON.stringify({ plan: 'traced', rolloutId: 'traced-1' }))).status).toBe(201);
  await eventually(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/rollouts/traced-1`, { headers: { authorization: `Bearer ${token}` } });
    const status = (await response.json()) as { stages?: { state: string }[] };
    return status.stages?.[0]?.state === 'awaiting-approval' ? true : undefined;
  }, 'the pilot to await sign-off', 60_000);
  expect((await call('POST', '/v1/rollouts/traced-1/stages/pilot/approvals', JSON.stringify({ decision: 'approve' }), 'application/json', lena)).status).toBe(200);

  // Express 5 is not patched by the express instrumentation: the request span is http's `POST`, the trace's root.
  let last: string[] = [];
  const trace = await eventually(async () => {
    const update = spans.find((span) => span.name === 'StartWorkflowUpdate:approveStage');
    if (!update) return undefined;
    const inTrace = spans.filter((span) => span.traceId === update.traceId);
    last = inTrace.map((span) => span.name);
    const root = inTrace.find((span) => !span.parentSpanId);
    const complete = root?.name === 'POST' && last.includes('HandleUpdate:approveStage') && last.includes('RunActivity:recordEvents') && last.some((name) => name.startsWith('pg.query'));
    return complete ? last : undefined;
  }, 'one trace from the sign-off request to PostgreSQL', 30_000).catch((error: Error) => {
    throw new Error(`${error.message}; the Update's trace has ${last.join(', ') || 'no spans'}; all: ${[...new Set(spans.map((span) => span.name))].join(', ')}`);
  });
  expect(trace).toEqual(expect.arrayContaining(['POST', 'StartWorkflowUpdate:approveStage', 'HandleUpdate:approveStage', 'RunActivity:recordEvents']));
}, 150_000);
