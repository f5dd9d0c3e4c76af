import type { Request, RequestHandler } from 'express';

/** UNMATCHED_ROUTE labels a request that no route matched (404s, and refusals before routing such as 401). */
export const UNMATCHED_ROUTE = 'unmatched';

interface MatchedRoute {
  template: string;
  params: Record<string, string>;
}

const matched = new WeakMap<Request, MatchedRoute>();

/**
 * matchRoutes remembers, for each request, the route template it matched ("/v1/rollouts/:id")
 * and that route's parameters. Express restores req.baseUrl and req.params when an error leaves
 * a router, so by the time a failed request's response is written they no longer say which
 * route it was; this records them when the router assigns them. Mount it before every router.
 */
export const matchRoutes: RequestHandler = (req, _res, next) => {
  let route: unknown;
  let params: unknown = req.params;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      if (!value || typeof value.path !== 'string') return;
      const template = `${req.baseUrl}${value.path}`;
      // The router may assign the same route again after its parameters; they still apply.
      if (matched.get(req)?.template !== template) matched.set(req, { template, params: {} });
    },
  });
  Object.defineProperty(req, 'params', {
    configurable: true,
    enumerable: true,
    get: () => params,
    set(value: Record<string, string> | undefined) {
      params = value;
      const current = matched.get(req);
      if (current && value && Object.keys(value).length > 0) current.params = value;
    },
  });
  next();
};

/** routeTemplate is the template of the route the request matched, or UNMATCHED_ROUTE. */
export function routeTemplate(req: Request): string {
  return matched.get(req)?.template ?? UNMATCHED_ROUTE;
}

/** routeParams are the matched route's parameters (empty when none matched). */
export function routeParams(req: Request): Record<string, string> {
  return matched.get(req)?.params ?? {};
}
