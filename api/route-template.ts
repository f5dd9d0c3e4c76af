import type { Express, Request } from 'express';

/** UNMATCHED_ROUTE labels a request that no route matched (404s, and refusals before routing such as 401). */
export const UNMATCHED_ROUTE = 'unmatched';

interface MatchedRoute {
  template: string;
  params: Record<string, string>;
}

const ROUTE = Symbol('route');
const PARAMS = Symbol('params');
const MATCHED = Symbol('matchedRoute');

type Tracked = Request & { [ROUTE]?: { path?: unknown }; [PARAMS]?: Record<string, string>; [MATCHED]?: MatchedRoute };

/**
 * matchRoutes makes app's requests remember the route template they matched ("/v1/rollouts/:id")
 * and that route's parameters. Express restores req.baseUrl and req.params when an error leaves
 * a router, so by the time a failed request's response is written they no longer say which
 * route it was; this records them when the router assigns them. It defines accessors on the
 * app's request prototype once, so requests keep their shape (no per-request defineProperty).
 */
export function matchRoutes(app: Express): void {
  Object.defineProperty(app.request, 'route', {
    configurable: true,
    get(this: Tracked) {
      return this[ROUTE];
    },
    set(this: Tracked, value: { path?: unknown } | undefined) {
      this[ROUTE] = value;
      if (!value || typeof value.path !== 'string') return;
      const template = `${this.baseUrl}${value.path}`;
      // The router may assign the same route again after its parameters; they still apply.
      if (this[MATCHED]?.template !== template) this[MATCHED] = { template, params: {} };
    },
  });
  Object.defineProperty(app.request, 'params', {
    configurable: true,
    get(this: Tracked) {
      return this[PARAMS];
    },
    set(this: Tracked, value: Record<string, string> | undefined) {
      this[PARAMS] = value;
      const matched = this[MATCHED];
      if (matched && value && Object.keys(value).length > 0) matched.params = value;
    },
  });
}

/** routeTemplate is the template of the route the request matched, or UNMATCHED_ROUTE. */
export function routeTemplate(req: Request): string {
  return (req as Tracked)[MATCHED]?.template ?? UNMATCHED_ROUTE;
}

/** routeParams are the matched route's parameters (empty when none matched). */
export function routeParams(req: Request): Record<string, string> {
  return (req as Tracked)[MATCHED]?.params ?? {};
}
