import type { RequestHandler, Router } from 'express';
import { storableProblem } from './limits';
import { Problem, ProblemType, type ProblemDetail } from './problem';

/**
 * Guards of the URL's own input: path parameters and query values reach SQL as text, and
 * PostgreSQL stores no U+0000 (a lone surrogate cannot arise: the router and the query parser
 * decode UTF-8, and a bad percent-encoding is a 400 of its own, api/error-mapping.ts).
 */

/** PATH_PARAMETERS names every route parameter of the API; each router checks them with guardPathParameters. */
const PATH_PARAMETERS = ['id', 'stageId', 'prerequisiteId', 'number', 'recId', 'metric', 'decisionId', 'proposalId', 'name', 'version'] as const;

/** guardPathParameters makes router refuse, with 400 naming the parameter, a path parameter that cannot be stored. */
export function guardPathParameters(router: Router): Router {
  for (const name of PATH_PARAMETERS) {
    router.param(name, (_req, _res, next, value: string) => {
      const problem = storableProblem(value);
      if (!problem) return next();
      next(new Problem(400, ProblemType.invalidRequest, 'Invalid path parameter', `the path parameter ${name} ${problem}`, [{ path: `(path) ${name}`, message: problem }]));
    });
  }
  return router;
}

/** refuseUnstorableQuery refuses, with 422 naming each parameter, query values that cannot be stored (e.g. `?plan=%00`). */
export const refuseUnstorableQuery: RequestHandler = (req, _res, next) => {
  const errors: ProblemDetail[] = [];
  for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
    const keyProblem = storableProblem(key);
    if (keyProblem) errors.push({ path: JSON.stringify(key), message: `the parameter name ${keyProblem}` });
    for (const item of Array.isArray(value) ? value : [value]) {
      const problem = typeof item === 'string' ? storableProblem(item) : undefined;
      if (problem) errors.push({ path: key, message: problem });
    }
  }
  if (errors.length === 0) return next();
  next(new Problem(422, ProblemType.invalidRequest, 'Invalid query', 'The query string holds a value that cannot be stored.', errors));
};
