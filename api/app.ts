import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { AuditFeed } from '../db/audit-feed';
import type { WebhookAllowList } from '../config/webhook-allow';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../config/rate-limits';
import { requestIds, requireToken } from './auth';
import { calibrationsRouter } from './calibrations-routes';
import { decisionMetricsRouter } from './decision-metrics-routes';
import { decisionOutcomeRouter } from './decision-outcome-routes';
import { decisionResolutionRouter } from './decision-resolution-routes';
import { decisionsRouter } from './decisions-routes';
import { evaluationsRouter } from './evaluations-routes';
import { docsRouter } from './docs-routes';
import { healthRouter } from './health';
import { inboxRouter } from './inbox-routes';
import { jsonBody } from './json-body';
import { httpMetrics, metricsRoute } from './metrics';
import { missedEventsRouter } from './missed-events-routes';
import { PlanLoader } from './plan-loader';
import { plansRouter } from './plans-routes';
import { problemHandler } from './error-mapping';
import { recommendationsRouter } from './recommendations-routes';
import { unknownRoute } from './problem';
import { principalLimit, unauthenticatedLimit } from './rate-limits';
import type { RolloutWatch } from './rollout-sweep';
import { rolloutsRouter } from './rollouts-routes';
import { samplesRouter } from './samples-routes';
import { schemaRouter } from './schema-routes';
import { systemAuditRouter } from './system-audit';
import { refuseUnstorableQuery } from './url-guards';
import { requestLog } from './request-log';
import { matchRoutes } from './route-template';
import { log } from '../telemetry/logger';

/** Largest JSON request body accepted. */
const JSON_BODY_LIMIT = '256kb';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  /** webhookAllow is ROLLGATE_WEBHOOK_ALLOW, for warnings about notification targets at upload. */
  webhookAllow?: WebhookAllowList;
  /** auditFeed is the process's one listener for appended audit events, which wakes event streams (api/event-stream.ts). */
  auditFeed?: AuditFeed;
  /** providers are the worker's metric providers' names (ROLLGATE_PROVIDERS_FILE), for checking uploads; unset checks none. */
  providers?: readonly string[];
  /** watch is the process's rollout sweep; /healthz reports the stuck rollouts it found. */
  watch?: RolloutWatch;
  /**
   * planLoader checks plan uploads off the event loop; its owner closes it (api/server.ts does).
   * Without one the app makes its own, which is never closed: its threads start on the first upload.
   */
  planLoader?: PlanLoader;
  /** rateLimits are the request budgets; default DEFAULT_RATE_LIMITS, `false` for none. */
  rateLimits?: RateLimits;
  /** telemetry `false` leaves out the request log and the request histogram (the benchmark's baseline). */
  telemetry?: boolean;
}

/**
 * securityHeaders: a JSON API needs no page resources, may not be framed, and its answers are
 * not to be kept by caches or browsers (they carry plans, rollout states and audit trails).
 */
const securityHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
});
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * createApp builds the REST API. Every /v1 route needs a bearer token (api/auth.ts); what a
 * principal may do is checked per route, and sign-off authority by the rollout workflow itself.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const rateLimits = deps.rateLimits ?? DEFAULT_RATE_LIMITS;
  app.use(securityHeaders);
  matchRoutes(app);
  app.use(requestIds);
  if (deps.telemetry !== false) app.use(httpMetrics, requestLog(log()));
  app.use(healthRouter(deps.pool, deps.temporal, deps.watch));
  // Prometheus scrapes /metrics without a token, like /healthz: it names plans and stages, no people.
  app.get('/metrics', metricsRoute(deps.pool, deps.watch));
  app.use(docsRouter());
  // Everything under /v1 needs a bearer token; only /healthz, /metrics, /docs and /v1/openapi.json are open. Editors read the plan
  // schema from the committed definitions/plan.schema.json through the modeline instead.
  app.use('/v1', noStore, unauthenticatedLimit(rateLimits), requireToken(deps.pool), principalLimit(rateLimits), refuseUnstorableQuery);
  app.use('/v1/schema', schemaRouter());
  app.use('/v1/audit', systemAuditRouter(deps.pool));
  app.use('/v1/inbox', inboxRouter(deps.pool));
  app.use('/v1', decisionsRouter(deps), decisionResolutionRouter(deps), decisionOutcomeRouter(deps), calibrationsRouter(deps), decisionMetricsRouter(deps));
  app.use('/v1/plans', plansRouter(deps.pool, deps.planLoader ?? new PlanLoader(), deps.webhookAllow ?? [], deps.providers));
  app.use('/v1/rollouts', samplesRouter(deps), recommendationsRouter(deps), missedEventsRouter(deps), evaluationsRouter(deps));
  app.use('/v1/rollouts', jsonBody(JSON_BODY_LIMIT), rolloutsRouter(deps));
  app.use(unknownRoute);
  app.use(problemHandler);
  return app;
}
