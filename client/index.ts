import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api-types';

/**
 * The typed client of the REST API: openapi-fetch over the types generated from
 * api/openapi.json (client/api-types.ts, `npm run openapi`). The CLI uses it, and so can any
 * TypeScript caller: paths, parameters, bodies and answers are checked against the document.
 */
export type RollgateClient = Client<paths>;
export type Schemas = components['schemas'];
export type ProblemBody = Schemas['Problem'];

export interface ClientOptions {
  /** url is the API's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  token?: string;
  fetch?: typeof fetch;
}

export function rollgateClient({ url, token, fetch: fetchImpl }: ClientOptions): RollgateClient {
  return createClient<paths>({
    baseUrl: url.replace(/\/+$/, ''),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

/** ApiError is an answer of the API that is a problem (RFC 9457), with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody,
  ) {
    super(problem.detail ?? problem.title);
  }
}

/**
 * unwrap returns an answer's data, or throws the problem as an ApiError. An answer without a
 * problem body (a proxy's page, say) becomes a problem that says so.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error === undefined && result.response.ok) return result.data as T;
  const body = result.error as Partial<ProblemBody> | undefined;
  const problem: ProblemBody =
    body && typeof body === 'object' && typeof body.title === 'string'
      ? (body as ProblemBody)
      : { type: 'about:blank', title: result.response.statusText || 'Error', status: result.response.status, detail: `the server answered ${result.response.status} without a problem body` };
  throw new ApiError(result.response.status, problem);
}
