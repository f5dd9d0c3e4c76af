import fs from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import type { Tls } from '../../config/providers';
import { ProviderError } from './pull';

/** Settings an HTTP-based provider shares: authentication and TLS. */
export interface HttpSettings {
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  tls?: Tls;
  headers?: Record<string, string>;
}

/** httpAgent builds the undici dispatcher of one provider, with its TLS settings. */
export function httpAgent(settings: HttpSettings): Agent {
  const tls = settings.tls;
  return new Agent({
    connect: {
      ...(tls?.caFile ? { ca: fs.readFileSync(tls.caFile) } : {}),
      ...(tls?.certFile ? { cert: fs.readFileSync(tls.certFile) } : {}),
      ...(tls?.keyFile ? { key: fs.readFileSync(tls.keyFile) } : {}),
      rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
    },
  });
}

function authHeaders(settings: HttpSettings): Record<string, string> {
  if (settings.bearerToken) return { authorization: `Bearer ${settings.bearerToken}` };
  if (settings.basicAuth) return { authorization: `Basic ${Buffer.from(`${settings.basicAuth.username}:${settings.basicAuth.password}`).toString('base64')}` };
  return {};
}

/** MAX_ANSWER_BYTES bounds a provider's answer: one number needs little. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * getText GETs url and returns the body. A 5xx or a network error is retryable; a 4xx is not
 * (the query is wrong). Redirects are not followed.
 */
export async function getText(dispatcher: Dispatcher, url: URL, settings: HttpSettings, signal: AbortSignal): Promise<{ status: number; body: string }> {
  let response;
  try {
    response = await request(url, { method: 'GET', dispatcher, signal, headers: { accept: 'application/json', ...(settings.headers ?? {}), ...authHeaders(settings) } });
  } catch (error) {
    throw new ProviderError(signal.aborted ? 'the provider did not answer in time' : `cannot reach the provider: ${(error as Error).message}`, true);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_ANSWER_BYTES) {
        response.body.destroy();
        throw new ProviderError(`the provider's answer is larger than ${MAX_ANSWER_BYTES} bytes`, false);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError(signal.aborted ? 'the provider did not answer in time' : `the provider's answer broke off: ${(error as Error).message}`, true);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  if (response.statusCode >= 500) throw new ProviderError(`the provider answered ${response.statusCode}: ${body.slice(0, 200)}`, true);
  if (response.statusCode >= 300) throw new ProviderError(`the provider answered ${response.statusCode}: ${body.slice(0, 200)}`, false);
  return { status: response.statusCode, body };
}

/** parseJson reads a provider's JSON answer. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ProviderError(`the provider's answer is not JSON: ${body.slice(0, 100)}`, false);
  }
}
