import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { InfluxProvider } from '../../config/providers';
import { getText, httpAgent, parseJson } from './http-client';
import { numberOf, ProviderError, SCOPE_WORDS, windowSeconds, type ProviderClient, type PulledQuery } from './pull';

/**
 * The InfluxDB 1.x client: an InfluxQL query (GET /query) with bound parameters, never text put
 * into the query: $from and $to are the window as RFC 3339 times, $window its length in
 * seconds, and $site, $line, … the scope. The first series' first row answers; its `value` (or
 * first non-time) column is the value, a `count` or `samples` column the sample count.
 * InfluxDB gives an aggregate the start of its range as its time, so no observedAt is read.
 */
export function influxClient(settings: z.infer<typeof InfluxProvider>): ProviderClient {
  const agent: Dispatcher = httpAgent(settings);
  return {
    prepare(request) {
      const params: Record<string, string> = { from: new Date(request.from).toISOString(), to: new Date(request.to).toISOString(), window: windowSeconds(request) };
      for (const word of SCOPE_WORDS) if (request.scope[word] !== undefined) params[word] = request.scope[word]!;
      return { text: request.source.query, parameters: params };
    },
    async run(prepared: PulledQuery, signal) {
      const url = new URL('query', settings.address.endsWith('/') ? settings.address : `${settings.address}/`);
      url.searchParams.set('db', settings.database);
      url.searchParams.set('q', prepared.text);
      url.searchParams.set('params', JSON.stringify(prepared.parameters));
      url.searchParams.set('epoch', 'ms');
      if (settings.username) {
        url.searchParams.set('u', settings.username);
        url.searchParams.set('p', settings.password ?? '');
      }
      const { body } = await getText(agent, url, settings, signal);
      const answer = parseJson(body) as { error?: string; results?: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[] };
      const first = answer.results?.[0];
      const error = answer.error ?? first?.error;
      if (error) throw new ProviderError(`InfluxDB refused the query: ${error}`, false);
      const series = first?.series ?? [];
      if (series.length === 0 || series[0]!.values.length === 0) return { value: null, samples: 0, observedAt: null, raw: body };
      if (series.length > 1 || series[0]!.values.length > 1) throw new ProviderError('the query answers more than one row; aggregate it to one, e.g. with mean()', false);
      const { columns, values } = series[0]!;
      const row = values[0]!;
      const column = (name: string) => columns.indexOf(name);
      const valueAt = column('value') >= 0 ? column('value') : columns.findIndex((name) => name !== 'time' && name !== 'count' && name !== 'samples');
      if (valueAt < 0) throw new ProviderError('the query answers no value column', false);
      const countAt = column('samples') >= 0 ? column('samples') : column('count');
      const value = numberOf(row[valueAt]);
      return {
        value,
        samples: value === null ? 0 : countAt >= 0 ? Math.max(0, Math.trunc(numberOf(row[countAt]) ?? 0)) : null,
        // An aggregate's time is the start of its range, not its newest point: freshness counts from when it was pulled.
        observedAt: null,
        raw: body,
      };
    },
    close: () => agent.close(),
  };
}
