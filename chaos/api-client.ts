/**
 * ApiClient is how the fault run talks to rollgate: it spreads requests over every API process,
 * retries a request on 503 and on network errors (on the next API, honouring Retry-After), never
 * on another status, and records the status of every attempt.
 */

/** How long one attempt may take before it counts as a network error. */
const ATTEMPT_TIMEOUT_MS = 30_000;
/** Waits between retries when the answer names no Retry-After. */
const BACKOFF_MS = [250, 500, 1_000, 2_000];
const MAX_RETRY_AFTER_MS = 5_000;

/** Attempt is one HTTP exchange: status 0 means no answer (refused, reset or timed out). */
export interface Attempt {
  kind: string;
  status: number;
  at: number;
  api: string;
  /** retryAfter says whether a 503 carried Retry-After. */
  retryAfter?: boolean;
  /** problem is the problem type or first line of a 5xx answer, to say what went wrong. */
  problem?: string;
}

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON as it answers
  body: any;
  /** attempts is how many tries this answer took. */
  attempts: number;
}

export interface CallOptions {
  token: string;
  body?: unknown;
  /** yaml sends body as application/yaml text. */
  yaml?: boolean;
  headers?: Record<string, string>;
  /** budgetMs bounds the retries; undefined answers mean it ran out. */
  budgetMs?: number;
}

export class ApiClient {
  readonly attempts: Attempt[] = [];
  private next = 0;

  constructor(private readonly urls: readonly string[]) {}

  /** call sends one logical request, retried on 503 and network errors; undefined if no answer came within budget. */
  async call(kind: string, method: string, path: string, options: CallOptions): Promise<Answer | undefined> {
    const deadline = Date.now() + (options.budgetMs ?? 120_000);
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = options.yaml ? 'application/yaml' : 'application/json';
    const payload = options.body === undefined ? undefined : options.yaml ? String(options.body) : JSON.stringify(options.body);
    for (let attempt = 1; ; attempt += 1) {
      const api = this.urls[this.next++ % this.urls.length]!;
      let wait = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
      try {
        const response = await fetch(`${api}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
        const text = await response.text();
        const record: Attempt = { kind, status: response.status, at: Date.now(), api };
        const body = parseJson(text);
        if (response.status >= 500) record.problem = problemOf(body, text);
        if (response.status === 503) {
          const retryAfter = response.headers.get('retry-after');
          record.retryAfter = retryAfter !== null;
          if (retryAfter !== null && /^\d+$/.test(retryAfter)) wait = Math.min(Number(retryAfter) * 1000, MAX_RETRY_AFTER_MS);
        }
        this.attempts.push(record);
        if (response.status !== 503) return { status: response.status, body, attempts: attempt };
      } catch (error) {
        this.attempts.push({ kind, status: 0, at: Date.now(), api, problem: (error as Error).message });
      }
      if (Date.now() + wait > deadline) return undefined;
      await sleep(wait);
    }
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function problemOf(body: unknown, text: string): string {
  const problem = body as { type?: string; title?: string; detail?: string } | undefined;
  if (problem && typeof problem === 'object') return [problem.title, problem.detail].filter(Boolean).join(': ').slice(0, 200);
  return text.split('\n')[0]!.slice(0, 200);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
