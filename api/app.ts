import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { requestIds, requireToken } from './auth';
import { decisionsRouter } from './decisions-routes';
import { evidenceRouter } from './evidence-routes';
import { healthRouter } from './health';
import { jsonBody } from './json-body';
import { plansRouter } from './plans-routes';
import { problemHandler, unknownRoute } from './problem';
import type { RolloutWatch } from './rollout-sweep';
import { rolloutsRouter } from './rollouts-routes';
import { schemaRouter } from './schema-routes';

/** Largest JSON request body accepted. */
const JSON_BODY_LIMIT = '256kb';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  /** watch is the process's rollout sweep; /healthz reports the stuck rollouts it found. */
  watch?: RolloutWatch;
}

/**
 * createApp builds the REST API. Every /v1 route needs a bearer token (api/auth.ts); what a
 * principal may do is checked per route, and sign-off authority by the rollout workflow itself.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestIds);
  app.use(healthRouter(deps.pool, deps.temporal, deps.watch));
  // Everything under /v1 needs a bearer token; only /healthz is open. Editors read the plan
  // schema from the committed definitions/plan.schema.json through the modeline instead.
  app.use('/v1', requireToken(deps.pool));
  app.use('/v1/schema', schemaRouter());
  app.use('/v1', decisionsRouter(deps));
  app.use('/v1/plans', plansRouter(deps.pool));
  app.use('/v1/rollouts', evidenceRouter(deps));
  app.use('/v1/rollouts', jsonBody(JSON_BODY_LIMIT), rolloutsRouter(deps));
  app.use(unknownRoute);
  app.use(problemHandler);
  return app;
}
