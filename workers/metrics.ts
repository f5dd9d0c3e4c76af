import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { errorFields, log } from '../telemetry/logger';

/**
 * The worker's Prometheus metrics: what its activities did, labelled by activity type, stage id
 * and closed sets (never rollout ids, decision ids or people). They are served at
 * ROLLGATE_WORKER_METRICS together with the Temporal SDK's own metrics (task slots, workflow
 * task failures, poll and schedule-to-start latencies), which the SDK exports on an address of
 * its own that serveWorkerMetrics reads on each scrape.
 */

/** ACTIVITY_BUCKETS are the activity and webhook duration histograms' upper bounds, in seconds. */
export const ACTIVITY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** WebhookOutcome: delivered; failed and to be retried; failed for good (non-retryable or the last attempt). */
export const WebhookOutcome = { succeeded: 'succeeded', retrying: 'retrying', failed: 'failed' } as const;
export type WebhookOutcome = (typeof WebhookOutcome)[keyof typeof WebhookOutcome];

/** workerRegistry holds the series of every worker in this process. */
export const workerRegistry = new Registry();
collectDefaultMetrics({ register: workerRegistry });

export const activityDuration = new Histogram({
  name: 'rollgate_activity_duration_seconds',
  help: 'Activity execution time in seconds, by activity type and outcome (completed, failed).',
  labelNames: ['activity', 'outcome'] as const,
  buckets: ACTIVITY_BUCKETS,
  registers: [workerRegistry],
});
export const activityFailures = new Counter({
  name: 'rollgate_activity_failures_total',
  help: 'Activity attempts that failed, by activity type and failure type (the ApplicationFailure type, else the error name).',
  labelNames: ['activity', 'error_type'] as const,
  registers: [workerRegistry],
});
export const criteriaEvaluations = new Counter({
  name: 'rollgate_criteria_evaluations_total',
  help: 'Stage criteria evaluations, by stage and verdict (pass, fail, inconclusive).',
  labelNames: ['stage', 'verdict'] as const,
  registers: [workerRegistry],
});
export const webhookDeliveries = new Counter({
  name: 'rollgate_webhook_deliveries_total',
  help: 'Webhook delivery attempts, by event type and outcome (succeeded, retrying, failed).',
  labelNames: ['event', 'outcome'] as const,
  registers: [workerRegistry],
});
export const webhookDuration = new Histogram({
  name: 'rollgate_webhook_delivery_duration_seconds',
  help: 'Webhook delivery attempt time in seconds, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: ACTIVITY_BUCKETS,
  registers: [workerRegistry],
});
export const safeDefaults = new Counter({
  name: 'rollgate_decisions_safe_default_total',
  help: 'Deferred decisions nobody decided in time, whose safe default applied, by action (hold, escalate, execute).',
  labelNames: ['action'] as const,
  registers: [workerRegistry],
});

/** LogContext is what every log line of an activity carries beside the SDK's workflowId, runId and activityType. */
export interface LogContext {
  rolloutId?: string;
  stageId?: string;
}

/** ROLLOUT_WORKFLOW_PREFIX starts every rollout workflow's id (api/rollout-start.ts). */
const ROLLOUT_WORKFLOW_PREFIX = 'rollout-';

/** logContext finds the rollout and stage an activity works on, from its input or its workflow's id. */
export function logContext(workflowId: string | undefined, input: unknown): LogContext {
  const record = (value: unknown) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
  const arg = record(input);
  // A transition's write (recordEvents) names the rollout and stage of its first event.
  const event = record(arg.event ?? (Array.isArray(arg.events) ? arg.events[0] : undefined));
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const rolloutId = text(arg.rolloutId) ?? text(event.rolloutId) ?? (workflowId?.startsWith(ROLLOUT_WORKFLOW_PREFIX) ? workflowId.slice(ROLLOUT_WORKFLOW_PREFIX.length) : undefined);
  const stageId = text(arg.stageId) ?? text(event.stageId);
  return { ...(rolloutId ? { rolloutId } : {}), ...(stageId ? { stageId } : {}) };
}

/** failureType is an error's ApplicationFailure type, else its name. */
function failureType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { type, name } = error as { type?: unknown; name?: unknown };
    if (typeof type === 'string' && type !== '') return type;
    if (typeof name === 'string') return name;
  }
  return 'Error';
}

/**
 * activityTelemetry times every activity, counts its failures and what its result means
 * (criteria verdicts, webhook outcomes, safe defaults), and adds the rollout and stage to its
 * log lines (Context.log, and the SDK's own activity lines).
 */
export const activityTelemetry: ActivityInterceptorsFactory = (ctx) => {
  let context: LogContext = {};
  return {
    inbound: {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        context = logContext(ctx.info.workflowExecution?.workflowId, input.args[0]);
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        try {
          const result = await next(input);
          activityDuration.observe({ activity, outcome: 'completed' }, seconds());
          observeResult(activity, input.args[0], result, seconds());
          return result;
        } catch (error) {
          activityDuration.observe({ activity, outcome: 'failed' }, seconds());
          activityFailures.inc({ activity, error_type: failureType(error) });
          if (activity === 'deliverWebhook') {
            const nonRetryable = (error as { nonRetryable?: unknown }).nonRetryable === true;
            const maximumAttempts = ctx.info.retryPolicy?.maximumAttempts ?? 0;
            const last = nonRetryable || (maximumAttempts > 0 && ctx.info.attempt >= maximumAttempts);
            observeWebhook(input.args[0], last ? WebhookOutcome.failed : WebhookOutcome.retrying, seconds());
          }
          ctx.log.warn('activity failed', { ...errorFields(error), attempt: ctx.info.attempt });
          throw error;
        }
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next({ ...attributes, ...context }),
    },
  };
};

function observeResult(activity: string, input: unknown, result: unknown, seconds: number): void {
  const value = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
  if (activity === 'evaluateStage' && typeof value.verdict === 'string' && typeof value.stageId === 'string') {
    criteriaEvaluations.inc({ stage: value.stageId, verdict: value.verdict });
  } else if (activity === 'deliverWebhook' && value.alreadyDelivered !== true) {
    observeWebhook(input, WebhookOutcome.succeeded, seconds);
  } else if (activity === 'settleDeferredDecision' && value.state === 'timed-out' && value.notice !== undefined) {
    safeDefaults.inc({ action: typeof value.timeoutAction === 'string' ? value.timeoutAction : 'unknown' });
  }
}

function observeWebhook(input: unknown, outcome: WebhookOutcome, seconds: number): void {
  const event = (input as { event?: { type?: unknown } } | undefined)?.event?.type;
  webhookDeliveries.inc({ event: typeof event === 'string' ? event : 'unknown', outcome });
  webhookDuration.observe({ outcome }, seconds);
}

/** freeLocalAddress is 127.0.0.1 with a port free right now, for the SDK's own exporter. */
export async function freeLocalAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

export interface MetricsServer {
  /** url is where the metrics are served, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
  stop(): Promise<void>;
}

/** parseListenAddress reads host:port (a bare port means 127.0.0.1; [::1]:9464 for IPv6). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address) ?? /^()()(\d+)$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${address} is not host:port`);
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

/**
 * serveWorkerMetrics listens on address and answers GET /metrics with the worker's series,
 * followed by the Temporal SDK's from sdkAddress when given (its exporter's own /metrics).
 */
export async function serveWorkerMetrics(address: string, sdkAddress?: string): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(address);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    void (async () => {
      const own = await workerRegistry.metrics();
      const sdk = sdkAddress === undefined ? '' : await readSdkMetrics(sdkAddress);
      res.writeHead(200, { 'Content-Type': workerRegistry.contentType, 'Cache-Control': 'no-store' }).end(`${own}\n${sdk}`);
    })().catch((error: unknown) => {
      log().warn(errorFields(error), 'worker: metrics scrape failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shown}:${bound.port}/metrics`,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** readSdkMetrics fetches the SDK exporter's text; an empty string (and a warning) when it does not answer. */
async function readSdkMetrics(sdkAddress: string): Promise<string> {
  try {
    const response = await fetch(`http://${sdkAddress}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return await response.text();
  } catch (error) {
    log().warn(errorFields(error), 'worker: the Temporal SDK metrics did not answer');
    return '';
  }
}
