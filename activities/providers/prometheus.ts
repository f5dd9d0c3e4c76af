import type { Dispatcher } from 'undici';
import type { PrometheusProvider } from '../../config/providers';
import type { z } from 'zod';
import { getText, httpAgent, parseJson } from './http-client';
import { numberOf, ProviderError, SCOPE_WORDS, windowSeconds, type ProviderClient, type PullRequest, type PulledQuery } from './pull';

/** escapeLabelValue makes text safe inside a PromQL string literal, double- or single-quoted. */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/'/g, "\\'").replace(/\n/g, '\\n');
}

/**
 * substitutePromql fills in $window (the window as seconds, e.g. 3600s) and the scope words
 * ($site, $line, …) as escaped label values; a scope word the stage has no value for becomes
 * an empty string, which matches series without that label.
 */
export function substitutePromql(query: string, request: PullRequest): string {
  const words: Record<string, string> = { window: windowSeconds(request) };
  for (const word of SCOPE_WORDS) words[word] = escapeLabelValue(request.scope[word] ?? '');
  return query.replace(/\$(window|site|line|shift|lane|carrier)\b/g, (_all, word: string) => words[word]!);
}

/** The Prometheus client: an instant query at the window's end (GET /api/v1/query). */
export function prometheusClient(settings: z.infer<typeof PrometheusProvider>): ProviderClient {
  const agent: Dispatcher = httpAgent(settings);
  return {
    prepare(request) {
      return { text: substitutePromql(request.source.query, request), parameters: { time: new Date(request.to).toISOString() } };
    },
    async run(prepared: PulledQuery, signal) {
      const url = new URL('api/v1/query', settings.address.endsWith('/') ? settings.address : `${settings.address}/`);
      url.searchParams.set('query', prepared.text);
      url.searchParams.set('time', (prepared.parameters as { time: string }).time);
      const { body } = await getText(agent, url, settings, signal);
      const answer = parseJson(body) as { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
      if (answer.status !== 'success') throw new ProviderError(`Prometheus refused the query: ${answer.error ?? 'no reason given'}`, false);
      const { resultType, result } = answer.data ?? {};
      if (resultType === 'scalar') {
        const [time, value] = result as [number, string];
        return { value: numberOf(value), samples: null, observedAt: new Date(time * 1000).toISOString(), raw: body };
      }
      if (resultType !== 'vector') throw new ProviderError(`the query answers a ${resultType}; write one that answers an instant vector of one series, e.g. avg(avg_over_time(x[$window]))`, false);
      const series = result as { value: [number, string] }[];
      if (series.length === 0) return { value: null, samples: 0, observedAt: null, raw: body };
      if (series.length > 1) throw new ProviderError(`the query answers ${series.length} series; aggregate them to one, e.g. with avg(...)`, false);
      const [time, value] = series[0]!.value;
      return { value: numberOf(value), samples: null, observedAt: new Date(time * 1000).toISOString(), raw: body };
    },
    close: () => agent.close(),
  };
}
