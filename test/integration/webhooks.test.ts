import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ActivityFailure, ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createWebhookActivities, type WebhookDelivery, type WebhookDeliveryResult } from '../../activities/webhooks';
import type { Resolve } from '../../activities/webhook-transport';
import { webhookAllowFromEnv } from '../../config/env';
import { createPool } from '../../db/pool';
import { listDeliveries, recordDeliveryAttempt } from '../../db/webhooks';
import { installRuntimeLogger } from '../../workers/main';
import { WEBHOOK_RETRY, WEBHOOK_TIMEOUTS } from '../../workflows/activity-options';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { quietLogger } from '../support/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/*
 * deliverWebhook runs here as production will run it: scheduled by a workflow on the shared
 * Temporal dev server, executed by a real Worker, so retries, backoff and attempt numbers come
 * from Temporal. The workflow is a one-line stand-in for the rollout workflow, written to a
 * temporary directory (workflows/ is not touched) and bundled against this repo's node_modules.
 */
const TEST_WORKFLOW = `
const { proxyActivities } = require('@temporalio/workflow');
exports.deliverWebhookWorkflow = async function deliverWebhookWorkflow(delivery, options) {
  const { deliverWebhook } = proxyActivities(options);
  return deliverWebhook(delivery);
};
`;

const SECRET_ENV = 'ROLLGATE_WEBHOOK_SECRET_CMMS';
const SECRET = 'whsec_integration';
/** WEBHOOK_RETRY with its waits shortened so that retries take milliseconds. */
const FAST_RETRY: RetryPolicy = { ...WEBHOOK_RETRY, initialInterval: '50 ms', maximumInterval: '200 ms' };

let database: TestDatabase;
let pool: Pool;
let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let receiver: WebhookReceiver;
let workflowDir: string;
const taskQueue = `rollgate-webhooks-${randomUUID()}`;

beforeAll(async () => {
  installRuntimeLogger('WARN');
  const address = process.env.ROLLGATE_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('ROLLGATE_TEST_TEMPORAL_ADDRESS is unset: run tests through jest (global setup)');
  database = await createTestDatabase();
  pool = createPool(database.url);
  receiver = await startWebhookReceiver(SECRET, (urlPath, index) => {
    if (urlPath.startsWith('/flaky')) return index < 2 ? 500 : 200;
    if (urlPath.startsWith('/reject')) return 400;
    if (urlPath.startsWith('/unsigned')) return 200;
    return undefined;
  });

  workflowDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rollgate-webhook-workflow-'));
  const workflowsPath = path.join(workflowDir, 'workflows.js');
  await fs.writeFile(workflowsPath, TEST_WORKFLOW);
  const repoModules = path.join(__dirname, '..', '..', 'node_modules');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath,
    logger: quietLogger,
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), repoModules] } }),
  });

  nativeConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle,
    // The receiver listens on 127.0.0.1, which the default target policy refuses.
    activities: createWebhookActivities({ pool, secrets: { [SECRET_ENV]: SECRET }, allow: webhookAllowFromEnv({ ROLLGATE_WEBHOOK_ALLOW: '127.0.0.1' }) }),
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await connection?.close();
  await nativeConnection?.close();
  await receiver?.close();
  await pool?.end();
  await database?.drop();
  if (workflowDir) await fs.rm(workflowDir, { recursive: true, force: true });
});

function delivery(urlPath: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const rolloutId = overrides.rolloutId ?? `r-${randomUUID()}`;
  return {
    deliveryId: `d-${randomUUID()}`,
    rolloutId,
    target: { url: `${receiver.url}${urlPath}`, secretEnv: SECRET_ENV },
    event: {
      type: 'stage.intervention-required',
      occurredAt: '2025-03-01T08:00:00.000Z',
      rolloutId,
      stageId: 'line-3-pilot',
      action: 'Inspect the reject chute on line 3 and confirm the vision model threshold',
      dueBy: '2025-03-01T12:00:00.000Z',
      workOrderPriority: 2,
    },
    ...overrides,
  };
}

function deliver(input: WebhookDelivery, retry: RetryPolicy = FAST_RETRY): Promise<WebhookDeliveryResult> {
  const options: ActivityOptions = { ...WEBHOOK_TIMEOUTS, retry };
  return client.workflow.execute('deliverWebhookWorkflow', { taskQueue, workflowId: `webhook-test-${randomUUID()}`, args: [input, options] });
}

/** deliveryFailure runs a delivery that must fail and returns the activity's ApplicationFailure. */
async function deliveryFailure(input: WebhookDelivery, retry?: RetryPolicy): Promise<ApplicationFailure> {
  const error: unknown = await deliver(input, retry).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activity = (error as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const failure = (activity as ActivityFailure).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

async function attemptRows(deliveryId: string) {
  const result = await pool.query(
    `SELECT attempt, status, http_status AS "httpStatus", error, response_excerpt AS "responseExcerpt", error_type AS "errorType", gave_up AS "gaveUp", url, event_type AS "eventType"
       FROM webhook_deliveries WHERE delivery_id = $1 ORDER BY seq`,
    [deliveryId],
  );
  return result.rows;
}

const requestsTo = (urlPath: string) => receiver.received.filter((request) => request.path === urlPath);

it('delivers a signed event that the receiver verifies', async () => {
  const input = delivery('/ok');
  const before = Math.floor(Date.now() / 1000);
  await expect(deliver(input)).resolves.toEqual({ attempt: 1, httpStatus: 200, alreadyDelivered: false });

  const [request, ...more] = requestsTo('/ok');
  expect(more).toHaveLength(0);
  expect(request!.check).toMatchObject({ valid: true });
  if (request!.check.valid) expect(request!.check.timestamp).toBeGreaterThanOrEqual(before);
  expect(request!.headers['content-type']).toBe('application/json');
  expect(request!.headers['rollgate-event']).toBe('stage.intervention-required');
  expect(request!.headers['rollgate-delivery']).toBe(input.deliveryId);
  expect(request!.body).toEqual(input.event);
  expect(request!.status).toBe(200);

  expect(await listDeliveries(pool, input.rolloutId)).toEqual([
    {
      deliveryId: input.deliveryId,
      url: input.target.url,
      eventType: 'stage.intervention-required',
      state: 'delivered',
      attempts: 1,
      httpStatus: 200,
      lastError: null,
      lastErrorType: null,
      lastResponseExcerpt: null,
      firstAttemptAt: expect.any(String),
      lastAttemptAt: expect.any(String),
    },
  ]);
});

it('retries a receiver that fails twice, recording each attempt, until it is delivered', async () => {
  const input = delivery('/flaky');
  await expect(deliver(input)).resolves.toEqual({ attempt: 3, httpStatus: 200, alreadyDelivered: false });

  const requests = requestsTo('/flaky');
  expect(requests.map((request) => request.status)).toEqual([500, 500, 200]);
  for (const request of requests) {
    expect(request.check).toMatchObject({ valid: true });
    expect(request.headers['rollgate-delivery']).toBe(input.deliveryId);
    expect(request.rawBody).toBe(requests[0]!.rawBody);
  }

  // The receiver's reply is kept apart from the error: only admins are shown it.
  const failed = { status: 'failed', httpStatus: 500, error: 'HTTP 500', responseExcerpt: 'refused (500)', errorType: 'WebhookDeliveryFailed', gaveUp: false };
  expect(await attemptRows(input.deliveryId)).toEqual([
    expect.objectContaining({ attempt: 1, ...failed }),
    expect.objectContaining({ attempt: 2, ...failed }),
    expect.objectContaining({ attempt: 3, status: 'delivered', httpStatus: 200, error: null, errorType: null, gaveUp: false }),
  ]);
  expect(await listDeliveries(pool, input.rolloutId)).toEqual([
    expect.objectContaining({ deliveryId: input.deliveryId, state: 'delivered', attempts: 3, httpStatus: 200, lastError: null }),
  ]);
});

it('sends nothing again for a delivery that is already delivered', async () => {
  const input = delivery('/once');
  await expect(deliver(input)).resolves.toMatchObject({ alreadyDelivered: false });
  await expect(deliver(input)).resolves.toEqual({ attempt: 1, httpStatus: 200, alreadyDelivered: true });
  expect(requestsTo('/once')).toHaveLength(1);
  expect(await attemptRows(input.deliveryId)).toHaveLength(1);
});

it('fails without sending, and records it, when the signing secret is missing', async () => {
  const input = delivery('/no-secret', {});
  input.target = { ...input.target, secretEnv: 'ROLLGATE_WEBHOOK_SECRET_UNSET' };
  const failure = await deliveryFailure(input);
  expect(failure.type).toBe('WebhookSecretMissing');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain('ROLLGATE_WEBHOOK_SECRET_UNSET');

  expect(requestsTo('/no-secret')).toHaveLength(0);
  expect(await attemptRows(input.deliveryId)).toEqual([
    expect.objectContaining({ attempt: 1, status: 'failed', httpStatus: null, errorType: 'WebhookSecretMissing', gaveUp: true }),
  ]);
  expect(await listDeliveries(pool, input.rolloutId)).toEqual([
    expect.objectContaining({ state: 'failed', attempts: 1, lastErrorType: 'WebhookSecretMissing', lastError: failure.message }),
  ]);
});

it('does not retry a receiver that answers 400', async () => {
  const input = delivery('/reject');
  const failure = await deliveryFailure(input);
  expect(failure.type).toBe('WebhookRejected');
  expect(failure.nonRetryable).toBe(true);
  // The receiver's reply is stored with the attempt for admins, not in the failure, which Temporal shows to anyone.
  expect(failure.message).toBe('HTTP 400');

  expect(requestsTo('/reject')).toHaveLength(1);
  expect(await attemptRows(input.deliveryId)).toEqual([
    expect.objectContaining({ attempt: 1, status: 'failed', httpStatus: 400, errorType: 'WebhookRejected', gaveUp: true }),
  ]);
});

it('retries network errors and records giving up on the last attempt', async () => {
  const closedPort = await freePort();
  const input = delivery('', { target: { url: `http://127.0.0.1:${closedPort}/hook`, secretEnv: SECRET_ENV } });
  const failure = await deliveryFailure(input, { ...FAST_RETRY, maximumAttempts: 2 });
  expect(failure.type).toBe('WebhookDeliveryFailed');
  expect(failure.nonRetryable).toBe(false);

  const rows = await attemptRows(input.deliveryId);
  expect(rows).toEqual([
    expect.objectContaining({ attempt: 1, status: 'failed', httpStatus: null, errorType: 'WebhookDeliveryFailed', gaveUp: false }),
    expect.objectContaining({ attempt: 2, status: 'failed', httpStatus: null, errorType: 'WebhookDeliveryFailed', gaveUp: true }),
  ]);
  expect(rows[1].error).toContain('ECONNREFUSED');
  expect(await listDeliveries(pool, input.rolloutId)).toEqual([expect.objectContaining({ state: 'failed', attempts: 2 })]);
});

it('refuses a target URL that is not http(s)', async () => {
  const input = delivery('', { target: { url: 'file:///etc/passwd', secretEnv: SECRET_ENV } });
  const failure = await deliveryFailure(input);
  expect(failure.type).toBe('WebhookInvalidTarget');
  expect(failure.nonRetryable).toBe(true);
  expect(await attemptRows(input.deliveryId)).toEqual([expect.objectContaining({ status: 'failed', gaveUp: true })]);
});

it('sends a target without secretEnv unsigned', async () => {
  const input = delivery('/unsigned', { target: { url: `${receiver.url}/unsigned` } });
  await expect(deliver(input)).resolves.toMatchObject({ httpStatus: 200 });
  const [request] = requestsTo('/unsigned');
  expect(request!.headers['rollgate-signature']).toBeUndefined();
  expect(request!.headers['rollgate-delivery']).toBe(input.deliveryId);
});

it("lists one rollout's deliveries in order, each at its latest state", async () => {
  const rolloutId = `r-${randomUUID()}`;
  const delivered = delivery('/ok', { rolloutId });
  const rejected = delivery('/reject', { rolloutId });
  await deliver(delivered);
  await deliveryFailure(rejected);
  // A failure that Temporal will still retry: recorded directly, as an attempt in flight would be.
  await recordDeliveryAttempt(pool, {
    deliveryId: `d-${randomUUID()}`,
    rolloutId,
    url: 'https://cmms.example/hooks/rollgate',
    eventType: 'stage.held',
    attempt: 4,
    status: 'failed',
    httpStatus: 503,
    error: 'HTTP 503',
    errorType: 'WebhookDeliveryFailed',
  });
  await deliver(delivery('/ok')); // another rollout's delivery is not listed

  const states = await listDeliveries(pool, rolloutId);
  expect(states.map((state) => [state.state, state.httpStatus, state.lastErrorType])).toEqual([
    ['delivered', 200, null],
    ['failed', 400, 'WebhookRejected'],
    ['failing', 503, 'WebhookDeliveryFailed'],
  ]);
  expect(states[0]!.deliveryId).toBe(delivered.deliveryId);
  expect([states[1]!.lastError, states[1]!.lastResponseExcerpt]).toEqual(['HTTP 400', 'refused (400)']);
});

/** freePort returns a local port that nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the webhook target policy', () => {
  /** policyActivities are the webhook activities of a worker with ROLLGATE_WEBHOOK_ALLOW = allow (default none). */
  const policyActivities = (allow?: string, resolve?: Resolve) =>
    createWebhookActivities({ pool, secrets: { [SECRET_ENV]: SECRET }, allow: webhookAllowFromEnv({ ROLLGATE_WEBHOOK_ALLOW: allow }), resolve });
  /** runOnce runs one attempt of deliverWebhook outside Temporal, as the worker would. */
  const runOnce = (activities: ReturnType<typeof policyActivities>, input: WebhookDelivery) =>
    new MockActivityEnvironment({ retryPolicy: WEBHOOK_RETRY }).run(activities.deliverWebhook, input).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
  const port = () => new URL(receiver.url).port;

  it.each([
    ['the receiver on 127.0.0.1', () => `${receiver.url}/default-policy`, 'target 127.0.0.1 is a loopback address'],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/', 'target 169.254.169.254 is a link-local address'],
    ['the metadata service as a decimal number', () => `http://2852039166:${port()}/decimal`, 'target 169.254.169.254 is a link-local address'],
    ['loopback in hexadecimal parts', () => `http://0x7f.1:${port()}/hex`, 'target 127.0.0.1 is a loopback address'],
    ['IPv6 loopback', () => `http://[::1]:${port()}/ipv6`, 'target ::1 is a loopback address'],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port()}/mapped`, 'target 127.0.0.1 is a loopback address'],
    ['localhost', () => `http://localhost:${port()}/localhost`, 'target host localhost is loopback'],
  ])('refuses %s by default, at once and for good, sending nothing', async (_what, url, reason) => {
    const before = receiver.received.length;
    const input = delivery('', { target: { url: url(), secretEnv: SECRET_ENV } });
    const { error } = (await runOnce(policyActivities(), input)) as { error: ApplicationFailure };
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect({ type: error.type, nonRetryable: error.nonRetryable }).toEqual({ type: 'WebhookTargetRefused', nonRetryable: true });
    expect(error.message).toContain(reason);
    expect(receiver.received.length).toBe(before);
    expect(await attemptRows(input.deliveryId)).toEqual([
      expect.objectContaining({ attempt: 1, status: 'failed', httpStatus: null, errorType: 'WebhookTargetRefused', gaveUp: true, error: error.message }),
    ]);
  });

  it('refuses, at connect time, a name that resolves to loopback, and connects to it once the address is allowed', async () => {
    const resolve: Resolve = (_hostname, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const input = delivery('', { target: { url: `http://cmms.plant.example:${port()}/via-name`, secretEnv: SECRET_ENV } });
    const { error } = (await runOnce(policyActivities(undefined, resolve), input)) as { error: ApplicationFailure };
    expect({ type: error.type, nonRetryable: error.nonRetryable }).toEqual({ type: 'WebhookTargetRefused', nonRetryable: true });
    expect(error.message).toBe('target host cmms.plant.example resolves to 127.0.0.1 is a loopback address, refused unless ROLLGATE_WEBHOOK_ALLOW allows it');
    expect(requestsTo('/via-name')).toHaveLength(0);

    const allowed = delivery('', { target: { url: `http://cmms.plant.example:${port()}/via-name`, secretEnv: SECRET_ENV } });
    expect(await runOnce(policyActivities('127.0.0.1', resolve), allowed)).toEqual({ result: { attempt: 1, httpStatus: 200, alreadyDelivered: false } });
    expect(requestsTo('/via-name')).toHaveLength(1);
  });

  it('is a non-retryable failure when Temporal runs the delivery', async () => {
    const input = delivery('', { target: { url: 'http://169.254.169.254/latest/meta-data/', secretEnv: SECRET_ENV } });
    const failure = await deliveryFailure(input);
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type: 'WebhookTargetRefused', nonRetryable: true });
    expect(await attemptRows(input.deliveryId)).toEqual([expect.objectContaining({ attempt: 1, errorType: 'WebhookTargetRefused', gaveUp: true })]);
  });
});
