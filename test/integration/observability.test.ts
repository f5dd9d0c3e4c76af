import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { configureLogging, DEFAULT_LOG_LEVEL, REDACTED } from '../../telemetry/logger';
import { installRuntime } from '../../workers/main';
import { freeLocalAddress, serveWorkerMetrics, type MetricsServer } from '../../workers/metrics';
import { submitDecision, waitForActiveStages } from '../support/decisions';
import { eventually, startHarness, type Harness } from '../support/harness';
import { startPrometheus, type PrometheusServer } from '../support/prometheus';
import { startRollout, waitForStage } from '../support/rollouts';

/*
 * The API and a worker of this process are scraped by a real Prometheus; a rollout goes through
 * a deferred decision, a failed webhook and a sign-off; the series are read back through
 * Prometheus's query API. The log lines of the same run are captured and parsed.
 */

let h: Harness;
let prometheus: PrometheusServer;
let workerMetrics: MetricsServer;
let receiver: http.Server;
const lines: string[] = [];

beforeAll(async () => {
  // The runtime must be installed with its exporter before the harness connects (and installs a plain one).
  const sdkAddress = await freeLocalAddress();
  expect(installRuntime('DEBUG', sdkAddress)).toBe(true);
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  configureLogging({ level: 'debug', destination: capture });
  receiver = http.createServer((_req, res) => res.writeHead(400).end('no such work order'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  h = await startHarness({ webhookAllow: '127.0.0.1' });
  workerMetrics = await serveWorkerMetrics(await freeLocalAddress(), sdkAddress);
  prometheus = await startPrometheus({ api: [new URL(h.url).host], worker: [new URL(workerMetrics.url).host] });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await workerMetrics?.stop();
  await h?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  configureLogging({ level: DEFAULT_LOG_LEVEL });
});

const plan = () => `
name: observed-line
owner: lena
roles:
  deployment-lead: { members: [lena] }
  transport-planner: { members: [pat] }
notifications:
  - url: http://127.0.0.1:${(receiver.address() as AddressInfo).port}/work-orders
    events: [stage.awaiting-approval]
stages:
  - id: supervised
    title: Supervised operation
    mode: supervised
    overrideAuthority: transport-planner
    minDuration: 1s
    approvals: [{ role: deployment-lead }]
    escalation: [{ after: 1s, action: escalate, to: transport-planner }]
    deferral: { confidenceThreshold: 0.8, safeDefault: hold, deferTo: transport-planner }
`;

/** seen waits until Prometheus answers promql with exactly one series of this value, and returns its labels. */
const seen = (promql: string, value: number) =>
  eventually(
    async () => {
      const result = await prometheus.query(promql);
      return result.length === 1 && result[0]!.value === value ? result[0]!.labels : undefined;
    },
    `Prometheus to answer ${promql} with ${value}`,
    30_000,
  );

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

it('reports a rollout through a deferral, a failed webhook and a sign-off, in metrics and in log lines', async () => {
  await seen('up{job="api"}', 1);
  await seen('up{job="worker"}', 1);
  const id = await startRollout(h, plan(), 'observed-1');
  await waitForActiveStages(h, id, ['supervised']);
  const service = await h.as('tms', [], 'service');
  expect((await submitDecision(h, id, 'confident', { confidence: 0.95 }, service)).body.disposition).toBe('auto');
  expect((await submitDecision(h, id, 'unsure', { confidence: 0.5 }, service)).body.disposition).toBe('deferred');
  await waitForStage(h, id, 'supervised', 'awaiting-approval');

  const where = 'plan="observed-line",stage="supervised"';
  await seen(`rollgate_decisions_total{${where},disposition="auto"}`, 1);
  await seen(`rollgate_decisions_total{${where},disposition="deferred"}`, 1);
  await seen(`rollgate_deferred_decisions_pending{${where}}`, 1);
  await seen(`rollgate_approvals_waiting{${where}}`, 1);
  await seen(`rollgate_approvals_past_escalation{${where}}`, 1);
  await seen(`rollgate_stages{${where},mode="supervised",state="awaiting-approval"}`, 1);
  expect((await prometheus.query(`rollgate_deferred_decision_oldest_age_seconds{${where}} > 0`)).length).toBe(1);

  // The receiver refuses the event with a 400: one attempt, failed for good.
  const failed = await eventually(async () => {
    const { rows } = await h.pool.query<{ n: string }>('SELECT count(*) AS n FROM webhook_deliveries WHERE rollout_id = $1 AND gave_up', [id]);
    return Number(rows[0]!.n) > 0 ? Number(rows[0]!.n) : undefined;
  }, 'a failed webhook delivery');
  await seen('sum(rollgate_webhook_deliveries_total{outcome="failed"})', failed);
  await seen('sum(rollgate_webhook_deliveries_total{outcome="succeeded"}) or vector(0)', 0);

  const lena = await h.as('lena', ['deployment-lead']);
  const approved = await h.http('POST', `/v1/rollouts/${id}/stages/supervised/approvals`, { decision: 'approve' }, lena);
  expect(approved.status).toBe(200);
  await seen('rollgate_rollouts{plan="observed-line",state="completed"}', 1);
  await seen('rollgate_approvals_waiting{plan="observed-line"} or vector(0)', 0);
  await seen('sum(rollgate_http_request_duration_seconds_count{route="/v1/rollouts/:id/stages/:stageId/approvals",status_class="2xx"})', 1);
  expect((await prometheus.query('rollgate_activity_duration_seconds_count{activity="recordEvents",outcome="completed"} > 0')).length).toBe(1);
  // The Temporal SDK's own series come through the worker's address.
  expect((await prometheus.query('temporal_worker_task_slots_available{job="worker"}')).length).toBeGreaterThan(0);
  await seen('rollgate_rollouts_stuck{plan="observed-line"}', 0);

  // No series is labelled with a rollout id, a decision id or a person.
  const labelValues = await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('{__name__=~"rollgate_.*"}')}`)).json() as {
    data: { result: { metric: Record<string, string> }[] };
  };
  const values = new Set(labelValues.data.result.flatMap((item) => Object.values(item.metric)));
  for (const forbidden of [id, 'unsure', 'confident', 'lena', 'tms', 'admin']) expect(values.has(forbidden)).toBe(false);

  // The sign-off's request line, and the activity lines of the rollout's workflow.
  const entries = parsed();
  const request = entries.find((entry) => entry.route === '/v1/rollouts/:id/stages/:stageId/approvals');
  expect(request).toMatchObject({ level: 'info', principal: 'lena', rolloutId: id, stageId: 'supervised', res: { status: 200 }, req: { method: 'POST', path: `/v1/rollouts/${id}/stages/supervised/approvals` } });
  expect(request?.requestId).toBe(approved.headers.get('x-request-id'));
  expect(typeof request?.durationMs).toBe('number');
  const activity = entries.find((entry) => entry.activityType === 'recordEvents' && entry.stageId === 'supervised');
  expect(activity).toMatchObject({ workflowId: `rollout-${id}`, rolloutId: id, stageId: 'supervised' });
  expect(typeof activity?.workflowRunId).toBe('string');
  expect(activity?.taskToken).toBe(REDACTED);
  const failedDelivery = entries.find((entry) => entry.activityType === 'deliverWebhook' && entry.msg === 'activity failed');
  expect(failedDelivery).toMatchObject({ level: 'warn', rolloutId: id, workflowId: `rollout-${id}`, error: { message: 'HTTP 400', type: 'WebhookRejected' } });

  // Tokens never reach a log line.
  for (const header of [lena, service]) {
    const token = header.authorization!.replace(/^Bearer /, '');
    expect(lines.some((line) => line.includes(token))).toBe(false);
  }
}, 120_000);
