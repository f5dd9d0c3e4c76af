import { createParser } from 'eventsource-parser';
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

/** StreamedEvent is one event of a rollout's trail as the event stream sends it. */
export type StreamedEvent = Schemas['AuditEvent'];

export interface EventStreamOptions extends ClientOptions {
  rolloutId: string;
  /** after is the seq the stream starts after (0: the whole trail); it moves on with each event, and a reconnection sends it as Last-Event-ID. */
  after?: number;
  /** onEvent is called for each event, in order; a promise it returns is awaited before the next. */
  onEvent: (event: StreamedEvent) => void | Promise<void>;
  /** onHeartbeat is called for each heartbeat comment of an idle stream. */
  onHeartbeat?: () => void | Promise<void>;
  /** signal ends the stream. */
  signal: AbortSignal;
}

/**
 * followEvents reads GET /v1/rollouts/:id/events as server-sent events and calls onEvent for
 * each, until signal aborts. A stream the server ends (it restarted, say) is opened again
 * after a pause, with Last-Event-ID, so no event is lost or repeated. An answer that is not a
 * stream (a problem) throws an ApiError; a server that cannot be reached throws fetch's error.
 */
export async function followEvents(options: EventStreamOptions): Promise<void> {
  const { url, token, rolloutId, onEvent, onHeartbeat, signal } = options;
  const fetchImpl = options.fetch ?? fetch;
  let after = options.after ?? 0;
  let retryMs = 2_000;
  while (!signal.aborted) {
    let response: Response;
    try {
      response = await fetchImpl(`${url.replace(/\/+$/, '')}/v1/rollouts/${encodeURIComponent(rolloutId)}/events?after=${after}`, {
        headers: { accept: 'text/event-stream', 'last-event-id': String(after), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal,
      });
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) {
      const text = await response.text().catch(() => '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      unwrap({ error: body ?? {}, response });
      throw new ApiError(response.status, { type: 'about:blank', title: 'Not an event stream', status: response.status, detail: `the server answered ${response.headers.get('content-type') ?? 'no media type'}` });
    }
    // Events are handled one at a time, in order, however the chunks arrive.
    let pending: Promise<void> = Promise.resolve();
    const parser = createParser({
      onEvent: (message) => {
        pending = pending.then(async () => {
          const event = JSON.parse(message.data) as StreamedEvent;
          if (event.seq <= after) return;
          after = event.seq;
          await onEvent(event);
        });
      },
      onComment: (comment) => {
        if (comment.trim() === 'heartbeat' && onHeartbeat) pending = pending.then(onHeartbeat);
      },
      onRetry: (ms) => {
        retryMs = ms;
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        await pending;
        if (signal.aborted) break;
      }
    } catch (error) {
      if (!signal.aborted && !(error instanceof TypeError)) throw error;
    }
    await pending;
    if (signal.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}
