import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { routeParams, routeTemplate } from './route-template';

/** Routes polled by machines (Prometheus, load balancers): their lines show at debug only. */
const QUIET_ROUTES = new Set(['/metrics', '/healthz']);

/**
 * requestLog writes one JSON line per finished request: its requestId, req.method, req.path
 * (without the query), route (the template), res.status, durationMs, the principal's name, and
 * the rolloutId and stageId the route names. It logs no headers and no bodies, so no token or
 * secret reaches a log. 5xx lines are errors, scrapes and health checks debug, the rest info.
 * One logger call per request and no child loggers: pino-http, which makes two child loggers
 * and copies every header per request, cost three times as much CPU on the decision hot path
 * (bench/telemetry.ts). Mount it after requestIds, in an app whose requests matchRoutes tracks.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const fields = requestFields(req);
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : QUIET_ROUTES.has(fields.route!) ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        requestId: req.requestId,
        req: { method: req.method, path: req.originalUrl.split('?')[0] },
        res: { status },
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...fields,
      };
      logger[level](line, `${req.method} ${fields.route} ${status}`);
    });
    next();
  };
}

/** requestFields are a request line's own fields: route, principal, rollout and stage where known. */
export function requestFields(req: Request): Record<string, string> {
  const params = routeParams(req);
  const fields: Record<string, string> = { route: routeTemplate(req) };
  if (req.principal) fields.principal = req.principal.name;
  const rolloutId = params.id ?? params.rolloutId;
  if (rolloutId !== undefined && fields.route!.includes('/rollouts/:')) fields.rolloutId = rolloutId;
  if (params.stageId !== undefined) fields.stageId = params.stageId;
  return fields;
}
