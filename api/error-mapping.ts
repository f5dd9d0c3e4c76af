import type { ErrorRequestHandler } from 'express';
import { DatabaseError } from 'pg';
import { outageProblem } from './outage-errors';
import { Problem, ProblemType } from './problem';
import { log } from '../telemetry/logger';

/**
 * How an error becomes an answer. Each classifier recognises one class of error and returns
 * its problem, or undefined to pass; toProblem asks them in order, and an error none of them
 * knows is a 500 (logged with the request). Add a class by adding a classifier to the list.
 */
export type ErrorClassifier = (error: unknown) => Problem | undefined;

/** The shape http-errors (body-parser, raw-body, the router) give their errors. */
interface HttpError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
  body?: unknown;
  code?: string;
}

const asHttpError = (error: unknown): HttpError => (error !== null && typeof error === 'object' ? (error as HttpError) : {});

const bodyProblem = (status: number, type: ProblemType, title: string, message: string) =>
  new Problem(status, type, title, message, [{ path: '(body)', message }]);

/**
 * parseFailure says what is wrong with a body that body-parser's strict JSON parser refused:
 * JSON that is not an object or array (`null`, `"x"`, `1e309`) is named as such; anything else
 * is malformed JSON, with the parser's own message.
 */
function parseFailure(error: HttpError): Problem {
  let parsed: unknown;
  let valid = false;
  if (typeof error.body === 'string') {
    try {
      parsed = JSON.parse(error.body);
      valid = true;
    } catch {
      valid = false;
    }
  }
  if (!valid) return bodyProblem(400, ProblemType.invalidRequest, 'Malformed JSON', `the body is not valid JSON: ${error.message ?? 'parse error'}`);
  if (typeof parsed === 'number' && !Number.isFinite(parsed)) {
    return bodyProblem(400, ProblemType.invalidRequest, 'Invalid request body', 'the body is a number out of range; it must be a JSON object');
  }
  const got = parsed === null ? 'null' : typeof parsed;
  return bodyProblem(400, ProblemType.invalidRequest, 'Invalid request body', `the body must be a JSON object, not ${got}`);
}

/** BODY_ERRORS: the problem of each body-parser / raw-body error `type`. */
const BODY_ERRORS: Record<string, (error: HttpError) => Problem> = {
  'entity.parse.failed': parseFailure,
  'entity.verify.failed': (error) => bodyProblem(400, ProblemType.invalidRequest, 'Invalid request body', error.message ?? 'the body was refused'),
  'entity.too.large': (error) =>
    new Problem(413, ProblemType.payloadTooLarge, 'Request body too large', `the limit is ${error.limit} bytes`, [
      { path: '(body)', message: `is larger than the limit of ${error.limit} bytes` },
    ]),
  'encoding.unsupported': (error) =>
    new Problem(415, ProblemType.unsupportedMediaType, 'Unsupported content encoding', `${error.message}; send the body as identity, gzip, deflate or br`, [
      { path: '(header) Content-Encoding', message: error.message ?? 'unsupported' },
    ]),
  'charset.unsupported': (error) =>
    new Problem(415, ProblemType.unsupportedMediaType, 'Unsupported charset', `${error.message}; send UTF-8`, [
      { path: '(header) Content-Type', message: error.message ?? 'unsupported charset' },
    ]),
  'request.aborted': () => bodyProblem(400, ProblemType.invalidRequest, 'Request aborted', 'the client closed the request before its body arrived'),
  'request.size.invalid': () =>
    bodyProblem(400, ProblemType.invalidRequest, 'Invalid request body', 'the body is not as long as its Content-Length header says'),
};

/** bodyParserError: an error of body-parser or raw-body with a `type` of 4xx status. */
const bodyParserError: ErrorClassifier = (error) => {
  const httpError = asHttpError(error);
  const classify = httpError.type === undefined ? undefined : BODY_ERRORS[httpError.type];
  return classify?.(httpError);
};

/** compressedBodyError: a body whose Content-Encoding (gzip, deflate, br) does not match its bytes. */
const compressedBodyError: ErrorClassifier = (error) => {
  const httpError = asHttpError(error);
  if (typeof httpError.code !== 'string' || !/^(Z_|ERR__ERROR_)/.test(httpError.code) || statusOf(httpError) !== 400) return undefined;
  return bodyProblem(400, ProblemType.invalidRequest, 'Invalid request body', `the body does not decompress as its Content-Encoding says: ${httpError.message}`);
};

/** uriError: a path parameter with a bad percent-encoding, e.g. `/v1/rollouts/%ZZ`; the router marks it 400. */
const uriError: ErrorClassifier = (error) => {
  if (!(error instanceof URIError)) return undefined;
  const message = `${error.message}: it is not valid percent-encoded UTF-8`;
  return new Problem(400, ProblemType.invalidRequest, 'Invalid URL', message, [{ path: '(path)', message }]);
};

const statusOf = (error: HttpError) => error.status ?? error.statusCode;

/** clientHttpError: any other http-errors error with a 4xx status keeps that status. */
const clientHttpError: ErrorClassifier = (error) => {
  const httpError = asHttpError(error);
  const status = statusOf(httpError);
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const detail = httpError.expose && httpError.message ? httpError.message : 'The request could not be processed.';
  return new Problem(status, status === 413 ? ProblemType.payloadTooLarge : ProblemType.invalidRequest, 'Bad request', detail);
};

/**
 * postgresDataError: PostgreSQL refused a value (SQLSTATE class 22: out of range, bad text
 * representation, bad encoding, untranslatable character, string too long). The request
 * schemas refuse such values first; this is the safety net, so it is logged too.
 */
const postgresDataError: ErrorClassifier = (error) => {
  if (!(error instanceof DatabaseError) || !error.code?.startsWith('22')) return undefined;
  log().warn({ sqlstate: error.code }, `api: PostgreSQL refused a value (SQLSTATE ${error.code}) that the request schemas let through: ${error.message}`);
  return new Problem(422, ProblemType.invalidRequest, 'Invalid value', `a value of the request cannot be stored: ${error.message}`, [
    { path: '(request)', message: error.message },
  ]);
};

/** ERROR_CLASSIFIERS in the order toProblem asks them; the first that knows the error answers. */
export const ERROR_CLASSIFIERS: readonly ErrorClassifier[] = [
  (error) => (error instanceof Problem ? error : undefined),
  // Before the outage check: a client that hangs up mid-body is ECONNABORTED too, and that is
  // the client's doing, not PostgreSQL's.
  bodyParserError,
  outageProblem,
  compressedBodyError,
  uriError,
  postgresDataError,
  clientHttpError,
];

/** toProblem maps an error to its problem; one no classifier knows is a 500. */
export function toProblem(error: unknown): Problem {
  for (const classify of ERROR_CLASSIFIERS) {
    const problem = classify(error);
    if (problem) return problem;
  }
  return new Problem(500, ProblemType.internal, 'Internal error', 'The request failed unexpectedly; the server log has details.');
}

/** problemHandler renders every error as problem+json; unexpected ones are logged and become 500. */
export const problemHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const problem = toProblem(error);
  // An outage is one line per request (its detail names the cause); anything else in full.
  if (problem.status === 503) log().warn({ requestId: req.requestId, method: req.method, path: req.path }, `api: ${req.method} ${req.path} answered 503: ${problem.detail}`);
  else if (problem.status >= 500) log().error({ requestId: req.requestId, method: req.method, path: req.path, err: error }, `api: ${req.method} ${req.path} failed`);
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
