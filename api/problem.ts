import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { outageProblem } from './outage-errors';

/** ProblemType is the closed set of RFC 9457 problem `type`s the API answers with. */
export const ProblemType = {
  invalidRequest: 'urn:rollgate:problem:invalid-request',
  invalidPlan: 'urn:rollgate:problem:invalid-plan',
  unsupportedMediaType: 'urn:rollgate:problem:unsupported-media-type',
  payloadTooLarge: 'urn:rollgate:problem:payload-too-large',
  unauthorized: 'urn:rollgate:problem:unauthorized',
  forbidden: 'urn:rollgate:problem:forbidden',
  notFound: 'urn:rollgate:problem:not-found',
  conflict: 'urn:rollgate:problem:conflict',
  unavailable: 'urn:rollgate:problem:unavailable',
  internal: 'urn:rollgate:problem:internal',
} as const;
export type ProblemType = (typeof ProblemType)[keyof typeof ProblemType];

/** ProblemDetail is one entry of `errors[]`: where (path, and line/column for plans) and why. */
export interface ProblemDetail {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** Problem is an error the API reports as application/problem+json with its status. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly type: ProblemType,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: ProblemDetail[],
    readonly extra?: Record<string, unknown>,
    /** headers are sent with the problem, e.g. WWW-Authenticate. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export const notFound = (detail: string) => new Problem(404, ProblemType.notFound, 'Not found', detail);
export const conflict = (detail: string, extra?: Record<string, unknown>) =>
  new Problem(409, ProblemType.conflict, 'Conflict', detail, undefined, extra);

/** parseBody validates a JSON body with a zod schema; failures become 422 with every error's path. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new Problem(
    422,
    ProblemType.invalidRequest,
    'Invalid request body',
    'The request body does not match the expected shape.',
    result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message })),
  );
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`no route for ${req.method} ${req.path}`));
};

/** problemHandler renders every error as problem+json; unexpected ones are logged and become 500. */
export const problemHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const problem = toProblem(error);
  // An outage is one line per request (its detail names the cause); anything else in full.
  if (problem.status === 503) console.warn(`api: ${req.method} ${req.originalUrl} answered 503 (request ${req.requestId}): ${problem.detail}`);
  else if (problem.status >= 500) console.error(`api: ${req.method} ${req.originalUrl} failed (request ${req.requestId}):`, error);
  res.set(problem.headers ?? {});
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: problem.type,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      instance: req.originalUrl,
      ...(req.requestId ? { requestId: req.requestId } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
      ...problem.extra,
    });
};

/** toProblem maps body-parser errors (bad JSON, too large) and unknown errors to problems. */
function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  const outage = outageProblem(error);
  if (outage) return outage;
  const httpError = error as { type?: string; status?: number; message?: string; limit?: number };
  if (httpError.type === 'entity.parse.failed') {
    return new Problem(400, ProblemType.invalidRequest, 'Malformed JSON', httpError.message);
  }
  if (httpError.type === 'entity.too.large') {
    return new Problem(413, ProblemType.payloadTooLarge, 'Request body too large', `the limit is ${httpError.limit} bytes`);
  }
  if (httpError.type === 'encoding.unsupported' || httpError.type === 'charset.unsupported') {
    return new Problem(415, ProblemType.unsupportedMediaType, 'Unsupported encoding', httpError.message);
  }
  return new Problem(500, ProblemType.internal, 'Internal error', 'The request failed unexpectedly; the server log has details.');
}
