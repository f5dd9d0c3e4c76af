import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { formatPath } from '../definitions/format-path';

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
  tooManyRequests: 'urn:rollgate:problem:too-many-requests',
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

/**
 * invalidInput is the 422 for input a zod schema refused: every issue with its path as plans
 * write it (`samples[3].value`), or `root` for the input as a whole.
 */
function invalidInput(error: z.ZodError, root: '(body)' | '(query)', title: string, detail: string): Problem {
  const errors = error.issues.map((issue) => ({ path: formatPath(issue.path) || root, message: issue.message }));
  return new Problem(422, ProblemType.invalidRequest, title, detail, errors);
}

/** parseBody validates a JSON body with a zod schema; failures become 422 with every error's path. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw invalidInput(result.error, '(body)', 'Invalid request body', 'The request body does not match the expected shape; nothing was stored.');
}

/** parseQuery validates a query string with a zod schema; failures become 422 with every parameter's path. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown, detail = 'The query string does not match the expected parameters.'): z.infer<T> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  throw invalidInput(result.error, '(query)', 'Invalid query', detail);
}

/** invalidField is the 422 for one field of a body that is well formed but cannot be taken as it is. */
export const invalidField = (path: string, message: string): Problem =>
  new Problem(422, ProblemType.invalidRequest, 'Invalid request body', `${path} ${message}`, [{ path, message }]);

/** invalidQueryField is the 422 for one query parameter that is well formed but cannot be taken as it is. */
export const invalidQueryField = (path: string, message: string): Problem =>
  new Problem(422, ProblemType.invalidRequest, 'Invalid query', `${path} ${message}`, [{ path, message }]);

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`no route for ${req.method} ${req.path}`));
};
