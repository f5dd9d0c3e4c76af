import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { routeParams, routeTemplate } from './route-template';

/** Routes polled by machines (Prometheus, load balancers): their lines show at debug only. */
const QUIET_ROUTES = new Set(['/metrics', '/healthz']);

/**
 * requestLog writes one JSON line per finished request: its request id, method, path (without
 * the query), route template, status, duration in ms, the principal's name, and the rollout and
 * stage the route names. It logs no headers and no bodies, so no token or secret reaches a log.
 * 5xx lines are errors, scrapes and health checks debug, every other line info.
 * Mount it after requestIds and matchRoutes.
 */
export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as Request).requestId,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    quietReqLogger: true,
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      return QUIET_ROUTES.has(routeTemplate(req as Request)) ? 'debug' : 'info';
    },
    customSuccessMessage: (req, res) => `${req.method} ${routeTemplate(req as Request)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeTemplate(req as Request)} ${res.statusCode}`,
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0] }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
    },
    customProps: (req: IncomingMessage, _res: ServerResponse) => requestFields(req as Request),
  }) as unknown as RequestHandler;
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
