import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ensureDatabase, dropDatabase } from '../../db/admin';
import type { Providers } from '../../config/providers';
import { sqlClient } from '../../activities/providers/sql';
import { eventually, startHarness, type Harness } from '../support/harness';
import { startPrometheus, type PrometheusServer } from '../support/prometheus';
import { startInflux, type InfluxServer } from '../support/influxdb';
import { startRollout, waitForStage, type StatusBody } from '../support/rollouts';

/**
 * Metric providers against real servers: Prometheus scraping a test exporter, PostgreSQL as a
 * SQL historian behind a read-only role, InfluxDB 1.x, and HTTP servers that answer 500 or
 * never. A provider's trouble is an inconclusive criterion with the reason, never a pass.
 */

let h: Harness;
let prometheus: PrometheusServer;
let influx: InfluxServer;
let exporterValue = 0.9;
const servers: http.Server[] = [];
const historian = { url: '', role: `rollgate_reader_${randomBytes(4).toString('hex')}`, admin: undefined as Client | undefined };

function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  const exporter = await listen((_req, res) => {
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`# TYPE line_oee gauge\nline_oee{site="plant-a"} ${exporterValue}\n`);
  });
  const failing = await listen((_req, res) => {
    res.statusCode = 500;
    res.end('internal error');
  });
  const silent = await listen(() => undefined);
  const andon = await listen((req, res) => {
    const query = new URL(req.url ?? '/', 'http://andon').searchParams;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ asked: Object.fromEntries(query), lines: [{ line: 'press-1', oee: 0.88 }] }));
  });
  prometheus = await startPrometheus({ exporter: [exporter] });
  influx = await startInflux();
  await influx.query('CREATE DATABASE plant');

  // The historian: its own database, a time-series table, and a role that may only read it.
  const server = new URL(process.env.ROLLGATE_TEST_DATABASE_SERVER!);
  server.pathname = `/historian_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.toString());
  historian.url = server.toString();
  const admin = new Client({ connectionString: historian.url });
  await admin.connect();
  historian.admin = admin;
  await admin.query('CREATE TABLE line_oee (at timestamptz NOT NULL, site text NOT NULL, oee double precision NOT NULL)');
  await admin.query(`CREATE ROLE ${historian.role} LOGIN`);
  await admin.query(`GRANT SELECT ON line_oee TO ${historian.role}`);
  const reader = new URL(historian.url);
  reader.username = historian.role;

  const providers: Providers = {
    metrics: { kind: 'prometheus', address: prometheus.url, timeoutMs: 2_000, attempts: 2 },
    broken: { kind: 'prometheus', address: `http://${failing}`, timeoutMs: 1_000, attempts: 2 },
    silent: { kind: 'prometheus', address: `http://${silent}`, timeoutMs: 300, attempts: 2 },
    historian: { kind: 'sql', connectionString: reader.toString(), timeoutMs: 2_000, attempts: 2 },
    influx: { kind: 'influxdb', address: influx.url, database: 'plant', timeoutMs: 2_000, attempts: 2 },
    andon: { kind: 'http', url: `http://${andon}/api/oee`, timeoutMs: 2_000, attempts: 2 },
  };
  h = await startHarness({ providers });
  await eventually(async () => ((await prometheus.query('line_oee')).length > 0 ? true : undefined), 'Prometheus to scrape the exporter');
}, 60_000);

afterAll(async () => {
  await h?.close();
  await prometheus?.stop();
  await influx?.stop();
  await historian.admin?.query(`DROP OWNED BY ${historian.role}`).catch(() => undefined);
  await historian.admin?.end();
  if (historian.url) {
    await dropDatabase(historian.url).catch(() => undefined);
    const admin = new Client({ connectionString: process.env.ROLLGATE_TEST_DATABASE_SERVER });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${historian.role}`).catch(() => undefined);
    await admin.end();
  }
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A one-stage plan judging metric `oee`, pulled from `provider` with `query`. */
function plan(name: string, provider: string, query: string, criteria: string, stage = ''): string {
  return `
name: ${name}
owner: maria
roles:
  line-supervisor: { members: [ann] }
metrics:
  oee:
    unit: ratio
    direction: higher-is-better
    source:
      provider: ${provider}
      query: ${JSON.stringify(query)}
stages:
  - id: pilot
    title: Pilot
    mode: pilot
    minDuration: 1s
    evaluationInterval: 1s
    approvals: [{ role: line-supervisor }]
    lint: { ignore: [{ rule: unwatched-feed, reason: each test watches the feed itself }] }${stage}
    criteria:
${criteria}
`;
}

const OEE = '      - { metric: oee, threshold: 0.8, window: 1h }';

function waitForEvaluation(id: string, probe: (evaluation: StatusBody) => boolean, what: string): Promise<StatusBody> {
  return eventually(async () => {
    const { body } = await h.http('GET', `/v1/rollouts/${id}`);
    const evaluation = body.stages[0].evaluation;
    return evaluation && probe(evaluation) ? body : undefined;
  }, what);
}

describe('Prometheus', () => {
  it('passes a PromQL criterion on the exporter value, and records what it rested on', async () => {
    exporterValue = 0.9;
    const id = await startRollout(h, plan('prom-pass', 'metrics', 'max(max_over_time(line_oee{site=~".*"}[$window]))', OEE));
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const criterion = awaiting.stages[0].evaluation.criteria[0];
    expect(criterion).toMatchObject({ metric: 'oee', verdict: 'pass', value: 0.9, threshold: 0.8, samples: 1 });
    expect(criterion.pulled[0]).toMatchObject({ part: 'window', provider: 'metrics', value: 0.9, error: null, answerSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(criterion.pulled[0].query).toMatch(/^max\(max_over_time\(line_oee\{site=~"\.\*"\}\[\d+s\]\)\)$/);
    const rows = await h.pool.query('SELECT provider, kind, query, value, answer_sha256 FROM pulled_evidence WHERE rollout_id = $1', [id]);
    expect(rows.rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.rows[0]).toMatchObject({ provider: 'metrics', kind: 'prometheus', value: 0.9 });
    const stored = await h.http('GET', `/v1/rollouts/${id}/evaluations`);
    expect(stored.body.evaluations[0].criteria[0].pulled[0]).toMatchObject({ provider: 'metrics', value: 0.9, answerSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('fails the criterion once the exporter value crosses the threshold', async () => {
    exporterValue = 0.5;
    await eventually(async () => ((await prometheus.query('line_oee'))[0]?.value === 0.5 ? true : undefined), 'Prometheus to see 0.5');
    const id = await startRollout(h, plan('prom-fail', 'metrics', 'max(line_oee)', OEE));
    const held = await eventually(async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${id}`);
      return body.stages[0].state === 'held' ? body : undefined;
    }, 'the stage held');
    expect(held.stages[0].hold.cause).toBe('criteria-failed');
    expect(held.stages[0].evaluation.criteria[0]).toMatchObject({ verdict: 'fail', value: 0.5 });
  });

  it.each([
    ['broken', /answered 500/],
    ['silent', /did not answer within 300 ms/],
  ])('a provider that %s leaves the criterion inconclusive, with the reason, and the rollout keeps evaluating', async (provider, reason) => {
    const id = await startRollout(h, plan(`prom-${provider}`, provider, 'max(line_oee)', OEE, '\n    maxDuration: 4s'));
    const first = await waitForEvaluation(id, (e) => e.criteria[0].verdict === 'inconclusive', 'an inconclusive evaluation');
    expect(first.stages[0].evaluation.criteria[0].reason).toMatch(reason);
    expect(first.stages[0].evaluation.criteria[0].pulled[0]).toMatchObject({ value: null, error: expect.stringMatching(reason), answerSha256: null });
    const held = await eventually(async () => {
      const { body } = await h.http('GET', `/v1/rollouts/${id}`);
      return body.stages[0].state === 'held' ? body : undefined;
    }, 'the stage held at maxDuration');
    expect(held.stages[0].hold.cause).toBe('inconclusive');
  });
});

describe('SQL historian', () => {
  it('passes a stage on the historian, its query run with bind parameters only', async () => {
    const query = 'SELECT avg(oee) AS value, count(*) AS samples, max(at) AS observed_at FROM line_oee WHERE at >= $1 AND at < $2';
    const id = await startRollout(h, plan('sql-pass', 'historian', query, '      - { metric: oee, threshold: 0.8, window: 1h, minSamples: 2 }'));
    await waitForStage(h, id, 'pilot', 'running');
    const now = Date.now();
    await historian.admin!.query('INSERT INTO line_oee (at, site, oee) VALUES ($1, $2, $3), ($4, $2, $5)', [new Date(now - 20), 'plant-a', 0.84, new Date(now - 10), 0.86]);
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const criterion = awaiting.stages[0].evaluation.criteria[0];
    expect(criterion).toMatchObject({ verdict: 'pass', value: 0.85, samples: 2 });
    expect(criterion.pulled[0]).toMatchObject({ provider: 'historian', query, parameters: [expect.any(String), expect.any(String), '{}'] });
  });

  it('refuses a query that writes: the criterion is inconclusive and the table keeps its rows', async () => {
    const before = (await historian.admin!.query('SELECT count(*)::int AS n FROM line_oee')).rows[0].n;
    const query = 'WITH gone AS (DELETE FROM line_oee RETURNING 1) SELECT count(*) AS value FROM gone';
    const id = await startRollout(h, plan('sql-write', 'historian', query, OEE));
    const seen = await waitForEvaluation(id, (e) => e.criteria[0].verdict === 'inconclusive', 'an inconclusive evaluation');
    expect(seen.stages[0].evaluation.criteria[0].reason).toMatch(/read-only transaction|permission denied/);
    expect((await historian.admin!.query('SELECT count(*)::int AS n FROM line_oee')).rows[0].n).toBe(before);
  });

  it('binds the scope as a parameter, so a site cannot carry SQL into the query', async () => {
    const reader = new URL(historian.url);
    reader.username = historian.role;
    const client = sqlClient({ kind: 'sql', connectionString: reader.toString(), timeoutMs: 2_000, attempts: 1 });
    try {
      const request = {
        metric: 'oee',
        source: { provider: 'historian', query: "SELECT count(*) AS value FROM line_oee WHERE site = $3::jsonb->>'site'" },
        from: 0,
        to: Date.now(),
        scope: { site: "plant-a' OR '1'='1" },
      };
      const prepared = client.prepare(request);
      expect(prepared.text).toBe(request.source.query);
      expect((await client.run(prepared, new AbortController().signal)).value).toBe(0);
      const honest = client.prepare({ ...request, scope: { site: 'plant-a' } });
      expect((await client.run(honest, new AbortController().signal)).value).toBeGreaterThan(0);
    } finally {
      await client.close?.();
    }
  });
});

describe('InfluxDB 1.x', () => {
  it('passes a stage on an InfluxQL query with a bound time range', async () => {
    const query = 'SELECT mean(value) AS value, count(value) AS samples FROM oee WHERE time >= $from AND time < $to';
    const id = await startRollout(h, plan('influx-pass', 'influx', query, '      - { metric: oee, threshold: 0.8, window: 1h, minSamples: 2 }'));
    await waitForStage(h, id, 'pilot', 'running');
    const now = Date.now();
    await influx.write('plant', `oee,site=plant-a value=0.82 ${now - 20}\noee,site=plant-a value=0.92 ${now - 10}`);
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    expect(awaiting.stages[0].evaluation.criteria[0]).toMatchObject({ verdict: 'pass', value: 0.87, samples: 2 });
    expect(awaiting.stages[0].evaluation.criteria[0].pulled[0].parameters).toMatchObject({ from: expect.any(String), to: expect.any(String) });
  });
});

describe('JSON endpoint', () => {
  it('passes a stage on the value at a JSONPath, the window sent as query parameters', async () => {
    const id = await startRollout(h, plan('http-pass', 'andon', "$.lines[?(@.line=='press-1')].oee", OEE));
    const awaiting = await waitForStage(h, id, 'pilot', 'awaiting-approval');
    const criterion = awaiting.stages[0].evaluation.criteria[0];
    expect(criterion).toMatchObject({ verdict: 'pass', value: 0.88, samples: 1 });
    expect(criterion.pulled[0].parameters).toEqual({ from: expect.any(String), to: expect.any(String), window: expect.stringMatching(/^\d+$/) });
  });
});

describe('plan upload', () => {
  it('refuses a metric naming a provider the worker does not have, at its line and column', async () => {
    const { status, body } = await h.http('POST', '/v1/plans', plan('unknown-provider', 'historain', 'SELECT 1 AS value', OEE));
    expect(status).toBe(422);
    expect(body.errors).toEqual([
      expect.objectContaining({ path: 'metrics.oee.source.provider', line: 11, column: 17, message: expect.stringMatching(/unknown metric provider "historain" \(did you mean "historian"\?\)$/) }),
    ]);
  });
});
