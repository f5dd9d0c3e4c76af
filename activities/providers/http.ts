import { JSONPath } from 'jsonpath-plus';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { HttpProvider } from '../../config/providers';
import { getText, httpAgent, parseJson } from './http-client';
import { numberOf, ProviderError, SCOPE_WORDS, type ProviderClient, type PulledQuery } from './pull';

/**
 * The http client: GET the operator's JSON endpoint with the window (from, to as RFC 3339,
 * window in seconds) and the scope as query parameters, and read the value at the plan's
 * JSONPath (jsonpath-plus; filters run in its safe evaluator, never as JavaScript). The
 * endpoint is the operator's; a plan chooses only the JSONPath.
 */
export function httpClient(settings: z.infer<typeof HttpProvider>): ProviderClient {
  const agent: Dispatcher = httpAgent(settings);
  return {
    prepare(request) {
      const params: Record<string, string> = {
        from: new Date(request.from).toISOString(),
        to: new Date(request.to).toISOString(),
        window: String(Math.max(1, Math.round((request.to - request.from) / 1000))),
      };
      for (const word of SCOPE_WORDS) if (request.scope[word] !== undefined) params[word] = request.scope[word]!;
      return { text: request.source.query, parameters: params };
    },
    async run(prepared: PulledQuery, signal) {
      const url = new URL(settings.url);
      for (const [name, value] of Object.entries(prepared.parameters as Record<string, string>)) url.searchParams.set(name, value);
      const { body } = await getText(agent, url, settings, signal);
      let found: unknown[];
      try {
        found = JSONPath({ path: prepared.text, json: parseJson(body) as object, wrap: true, eval: 'safe' }) as unknown[];
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        throw new ProviderError(`the JSONPath ${prepared.text} cannot be read: ${(error as Error).message}`, false);
      }
      if (found.length === 0 || found[0] === null) return { value: null, samples: 0, observedAt: null, raw: body };
      if (found.length > 1) throw new ProviderError(`the JSONPath ${prepared.text} finds ${found.length} values; point it at one`, false);
      return { value: numberOf(found[0]), samples: null, observedAt: null, raw: body };
    },
    close: () => agent.close(),
  };
}
